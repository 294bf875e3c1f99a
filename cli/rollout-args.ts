/**
 * The rollout command line: its commands, their options and help texts, read and written by
 * cli/command-line.ts. Anything it cannot use is a CliError of one line that names the argument and
 * points at the help; `--help` (or `-h`) after any command prints that command's usage.
 */
import { EnvironmentName, environmentNames, GREEN_PERCENT_PARAMETER } from '../common/names';
import type { Slot } from '../common/slots';
import type { ThresholdName } from '../lib/monitoring/thresholds';
import { CommandSpec, defineCommandLine } from './command-line';
import { CliError } from './errors';

/** How the operator runs the CLI; every usage line and hint starts with it. */
const RUN = 'npm run rollout --';

/** The rollback row and slot whose alarm a drill puts into ALARM: any rollback row of green would do; this one is the plainest. */
const DRILL_ROW: ThresholdName = 'SERVICE_DOWN';
const DRILL_SLOT: Slot = 'green';

/** The metric alarm of green's rollback row that `rollout drill` puts into ALARM. */
export function drillAlarmName(env: string): string {
  return environmentNames(env).alarm(DRILL_ROW, DRILL_SLOT);
}

const COMMAND_SPECS = {
  status: {
    synopsis: '',
    summary: [`live weights, the ${GREEN_PERCENT_PARAMETER} intent, step and bake, alarms in ALARM, last rollback`],
    options: {},
  },
  rollback: {
    synopsis: '--reason "<why>"',
    summary: [
      'move all traffic to blue now (through the traffic controller; waits out a busy',
      'controller for about two minutes, then prints the command to move traffic by hand)',
    ],
    options: { reason: { type: 'string', value: '"<why>"', description: 'why; recorded in the traffic state and the page (required)' } },
  },
  drill: {
    synopsis: '[--production-drill]',
    summary: [`put ${drillAlarmName('<env>')} into ALARM and time the automatic rollback`, '(production only with --production-drill)'],
    options: { 'production-drill': { type: 'boolean', description: 'allow the drill in prod, where it rolls real traffic back to blue' } },
  },
} as const satisfies Record<string, CommandSpec>;

export type Command = keyof typeof COMMAND_SPECS;
export const COMMANDS = Object.keys(COMMAND_SPECS) as Command[];

const FOOTER = `Uses your AWS credentials and region (AWS_PROFILE or AWS_ACCESS_KEY_ID..., AWS_REGION).
A failure is one line on stderr, "rollout: <what went wrong and what to do>", and exit code 1.`;

const ROLLOUT_COMMAND_LINE = defineCommandLine({ run: RUN, commands: COMMAND_SPECS, footer: FOOTER });

/** The overview: every command in a line or two. */
export const USAGE = ROLLOUT_COMMAND_LINE.usage;

/** One command's usage, for `<command> --help` and `help <command>`. */
export function commandUsage(command: Command): string {
  return ROLLOUT_COMMAND_LINE.commandUsage(command);
}

/** What the command line asks for: a usage text to print, or a command to run. */
export type RolloutArgs =
  | { readonly command: 'help'; readonly usage: string }
  | {
      readonly command: Command;
      readonly env: EnvironmentName;
      /** Why, for a rollback, trimmed. */
      readonly reason?: string;
      readonly productionDrill: boolean;
    };

interface OptionValues {
  readonly 'reason'?: string;
  readonly 'production-drill'?: boolean;
}

/** Reads the command line; refuses, in one line naming the argument, anything it cannot use. */
export function parseRolloutArgs(argv: readonly string[]): RolloutArgs {
  const line = ROLLOUT_COMMAND_LINE.read<OptionValues>(argv);
  if (line.command === 'help') return line;
  const { command, env, values } = line;
  const reason = values.reason?.trim();
  if (command === 'rollback' && !reason) throw new CliError('rollback needs --reason "<why>"; it is recorded in the traffic state and the page');
  const productionDrill = values['production-drill'] === true;
  if (command === 'drill' && env === 'prod' && !productionDrill) {
    throw new CliError('a drill rolls production traffic back to blue; to do that on purpose, add --production-drill');
  }
  return { command, env, reason, productionDrill };
}
