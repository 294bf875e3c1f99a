#!/usr/bin/env node
import { createKeysClients, failureLine, keySettingsFromConfig, runKeysCli } from '../cli/keys';
import { readKey } from '../cli/secret-input';
import { redactText } from '../common/logging';

// A failure is one line on stderr, so the SDK's notice about Node versions it will stop supporting
// (printed by every client on Node 20) is left out unless the operator asks for it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let failed = false;
/** Prints the one line of the first failure; a problem the operator can fix is never a stack trace. */
function fail(error: unknown): void {
  if (!failed) console.error(failureLine(error));
  failed = true;
  process.exitCode = 1;
}
// Whatever escapes the command (an error thrown from a socket callback) ends it the same way.
process.on('uncaughtException', (error) => {
  fail(error);
  process.exit(1);
});
process.on('unhandledRejection', (error) => {
  fail(error);
  process.exit(1);
});

Promise.resolve()
  .then(() =>
    runKeysCli(process.argv.slice(2), createKeysClients(), {
      // Whatever the command prints passes the same redaction as every log line.
      out: (line) => console.log(redactText(line)),
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      // The prompt goes to stderr, so stdout stays the command's output alone.
      readKey: (prompt) => readKey(process.stdin, process.stderr, prompt),
      keySettings: (env, configFile) => keySettingsFromConfig(env, configFile),
    }),
  )
  .catch(fail);
