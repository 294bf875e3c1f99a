/**
 * The preflight command line: `npm run preflight -- --env <env> [--config-file <path>]`, read by
 * cli/command-line.ts as a CLI of one command. A refusal is one line that names the argument and
 * points at the help.
 */
import { BoopEnvironment } from '../common/names';
import { defineCommandLine } from './command-line';
import { EnvironmentSource } from './environments';
import { CliError } from './errors';
import { CONFIG_FILE_OPTION } from './keys-args';

/** How the operator runs the CLI; every usage line and hint starts with it. */
export const RUN = 'npm run preflight --';

const PREFLIGHT_COMMAND_LINE = defineCommandLine({
  run: RUN,
  invocation: () => RUN,
  commands: {
    preflight: {
      synopsis: '[--config-file <path>]',
      summary: [
        'read-only checks of whether a deploy of the environment will work: one line per check (ok, BLOCKER,',
        'warning, or could not check and why), every blocker with what to do',
      ],
      options: { 'config-file': CONFIG_FILE_OPTION },
    },
  },
  footer: `Uses your AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID..., aws sso login) and the region the
configuration pins (else AWS_REGION or your profile's), and the environment's configuration (cdk.json
in this folder, or --config-file). Only reads: it changes nothing. Exit code 0 when nothing blocks
the deploy, 1 when something does (or the checks could not start), 2 for a command line it cannot read.`,
});

/** The usage text, for --help. */
export const PREFLIGHT_USAGE = PREFLIGHT_COMMAND_LINE.commandUsage('preflight');

/** What the command line asks for: the usage text, or the checks of one declared environment. */
export type PreflightArgs =
  | { readonly command: 'help'; readonly usage: string }
  | { readonly command: 'preflight'; readonly env: string; readonly boopEnvironment: BoopEnvironment; readonly configFile?: string };

/**
 * Reads the command line; refuses, in one line naming the argument, anything it cannot use, and an
 * environment `environments` does not declare (read from cdk.json unless a test gives others).
 */
export function parsePreflightArgs(argv: readonly string[], environments?: EnvironmentSource): PreflightArgs {
  const line = PREFLIGHT_COMMAND_LINE.readCommand<{ readonly 'config-file'?: string }>('preflight', argv, environments);
  if (line.command === 'help') return line;
  const configFile = line.values['config-file'];
  if (configFile === '') throw new CliError(`--config-file needs a path: --config-file <path> (${PREFLIGHT_COMMAND_LINE.helpHint('preflight')})`);
  return { command: 'preflight', env: line.env, boopEnvironment: line.boopEnvironment, ...(configFile === undefined ? {} : { configFile }) };
}
