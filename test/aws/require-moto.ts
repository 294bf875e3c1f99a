/**
 * Jest's globalSetup for `npm run test:aws`: stops the run before any test when moto's server
 * or cfn-lint (which moto[server] installs) cannot run, with one line that says how to install it;
 * a missing moto never skips a test.
 */
import { motoMissingLine, whyCfnLintCannotRun, whyMotoCannotRun } from './moto';

export default function requireMoto(): void {
  const why = whyMotoCannotRun() ?? whyCfnLintCannotRun();
  if (why === undefined) return;
  // One line and exit code 1, rather than Jest's report of a thrown error with its stack trace.
  process.stderr.write(`\n${motoMissingLine(why)}\n`);
  process.exit(1);
}
