/**
 * An operator command as the process that runs it: its arguments, a terminal whose output is
 * redacted, and every failure (thrown, rejected, or escaped from a callback) as one line on stderr
 * and exit code 1. Shared by bin/rollout.ts and bin/keys.ts.
 */
import { redactText } from '../common/logging';

/** What every operator command gets from the terminal. */
export interface Terminal {
  /** Prints one line of the command's output on stdout. */
  readonly out: (line: string) => void;
  /** The time now, by the computer's clock. */
  readonly now: () => Date;
  /** Waits `ms` milliseconds. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Runs `run` with this process's arguments and terminal; `failureLine` is the one line a failure prints. */
export function runOperatorCommand(failureLine: (error: unknown) => string, run: (argv: readonly string[], terminal: Terminal) => Promise<void>): void {
  // A failure is one line on stderr, so the SDK's notice about Node versions it will stop supporting
  // (printed by every client on Node 20) is left out unless the operator asks for it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  let failed = false;
  /** Prints the one line of the first failure; a problem the operator can fix is never a stack trace. */
  const fail = (error: unknown): void => {
    if (!failed) console.error(failureLine(error));
    failed = true;
    process.exitCode = 1;
  };
  // Whatever escapes the command (an error thrown from a socket callback) ends it the same way.
  process.on('uncaughtException', (error) => {
    fail(error);
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    fail(error);
    process.exit(1);
  });

  const terminal: Terminal = {
    // Whatever the command prints passes the same redaction as every log line.
    out: (line) => console.log(redactText(line)),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  Promise.resolve()
    .then(() => run(process.argv.slice(2), terminal))
    .catch(fail);
}
