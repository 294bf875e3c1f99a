/** Runs before every test file: fixed property seeds, and no warning that is about this machine rather than the code under test. */
import { configurePropertyTests } from './properties';

configurePropertyTests();
// The AWS SDK warns once per process that its releases after January 2027 need Node 22; tests (and the CLIs they spawn) run on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
