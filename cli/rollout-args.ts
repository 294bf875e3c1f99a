/**
 * The rollout command line: its commands, their options and help texts, read with node's
 * `util.parseArgs`. Anything it cannot use is a CliError of one line that names the argument and
 * points at the help; `--help` (or `-h`) after any command prints that command's usage.
 */
import { parseArgs } from 'util';
import { ENVIRONMENT_NAMES, EnvironmentName, environmentNames, GREEN_PERCENT_PARAMETER } from '../common/names';
import type { Slot } from '../common/slots';
import type { ThresholdName } from '../lib/monitoring/thresholds';
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

/** One option of a command, besides --env and --help, which every command takes. */
interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** How its value is written in the usage, for a string option. */
  readonly value?: string;
  /** What it is for, in the usage. */
  readonly description: string;
}

/** One command: how it is written and what it does. */
interface CommandSpec {
  /** What follows `<command> --env <env>` in its usage line, e.g. `--reason "<why>"`. */
  readonly synopsis: string;
  /** What it does, as lines of the usage texts. */
  readonly summary: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
}

const ENV_VALUE = `<${ENVIRONMENT_NAMES.join('|')}>`;
const ENV_OPTION: OptionSpec = {
  type: 'string',
  value: ENV_VALUE,
  description: `the environment, whose stack is ${environmentNames('<env>').stack} (required)`,
};
const HELP_OPTION = { type: 'boolean', short: 'h' } as const;

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

/** Rows of a two-column list: the left column padded to its widest entry, continuation lines aligned. */
function columns(rows: readonly (readonly [string, readonly string[]])[]): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.flatMap(([left, lines]) => lines.map((line, i) => `  ${(i === 0 ? left : '').padEnd(width)}${line}`)).join('\n');
}

/** The overview: every command in a line or two. */
export const USAGE = `usage: ${RUN} <command> --env ${ENV_VALUE} [options]

commands:
${columns([
  ...COMMANDS.map((command) => [`${command} ${COMMAND_SPECS[command].synopsis}`.trim(), COMMAND_SPECS[command].summary] as const),
  ['help [<command>]', ["this text, or one command's (also --help or -h, after any command)"]],
])}

${FOOTER}`;

/** One command's usage, for `<command> --help` and `help <command>`. */
export function commandUsage(command: Command): string {
  const spec: CommandSpec = COMMAND_SPECS[command];
  const option = (name: string, { value }: OptionSpec) => `--${name}${value ? ` ${value}` : ''}`;
  return `usage: ${RUN} ${command} --env ${ENV_VALUE}${spec.synopsis ? ` ${spec.synopsis}` : ''}

${spec.summary.join('\n')}

options:
${columns([
  [option('env', ENV_OPTION), [ENV_OPTION.description]],
  ...Object.entries(spec.options).map(([name, o]) => [option(name, o), [o.description]] as const),
  ['-h, --help', ['this text']],
])}

${FOOTER}`;
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

const isCommand = (word: string | undefined): word is Command => word !== undefined && Object.prototype.hasOwnProperty.call(COMMAND_SPECS, word);
const helpHint = (command?: Command) => `${RUN} ${command ? `${command} ` : ''}--help`;
const commandList = `the commands are ${COMMANDS.join(', ')}`;

/** Reads the command line; refuses, in one line naming the argument, anything it cannot use. */
export function parseRolloutArgs(argv: readonly string[]): RolloutArgs {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') return { command: 'help', usage: USAGE };
  if (first === 'help') {
    const topics = rest.filter((word) => word !== '--help' && word !== '-h');
    if (topics.length === 0) return { command: 'help', usage: USAGE };
    if (topics.length === 1 && isCommand(topics[0])) return { command: 'help', usage: commandUsage(topics[0]) };
    throw new CliError(`help takes one command, not "${rest.join(' ')}"; ${commandList} (${helpHint()})`);
  }
  if (first === undefined) throw new CliError(`no command given; ${commandList} (${helpHint()})`);
  if (first.startsWith('-')) throw new CliError(`the command comes first, before "${first}"; ${commandList} (${helpHint()})`);
  if (!isCommand(first)) throw new CliError(`unknown command "${first}"; ${commandList} (${helpHint()})`);
  const values = readOptions(first, rest);
  if (values === 'help') return { command: 'help', usage: commandUsage(first) };

  const env = values.env;
  if (env === undefined) throw new CliError(`--env is required; known environments: ${ENVIRONMENT_NAMES.join(', ')}`);
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(env)) {
    throw new CliError(`unknown environment "${env}"; known environments: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  const reason = values.reason?.trim();
  if (first === 'rollback' && !reason) throw new CliError('rollback needs --reason "<why>"; it is recorded in the traffic state and the page');
  const productionDrill = values['production-drill'] === true;
  if (first === 'drill' && env === 'prod' && !productionDrill) {
    throw new CliError('a drill rolls production traffic back to blue; to do that on purpose, add --production-drill');
  }
  return { command: first, env: env as EnvironmentName, reason, productionDrill };
}

interface OptionValues {
  readonly 'env'?: string;
  readonly 'reason'?: string;
  readonly 'production-drill'?: boolean;
}

/** The options after a command, or 'help' when --help or -h is among them (help wins over any mistake). */
function readOptions(command: Command, args: readonly string[]): OptionValues | 'help' {
  const specs: Readonly<Record<string, OptionSpec>> = { env: ENV_OPTION, ...COMMAND_SPECS[command].options };
  const options = { ...Object.fromEntries(Object.entries(specs).map(([name, { type }]) => [name, { type }])), help: HELP_OPTION };
  // A lenient pass first, for its tokens: they tell whether help was asked for, and name what the strict pass refuses.
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return 'help';
  let values: OptionValues;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values as OptionValues;
  } catch (error) {
    throw new CliError(`${argumentProblem(command, specs, tokens, error)} (${helpHint(command)})`);
  }
  // parseArgs keeps the last of a repeated option; `--env prod --env dev` must not quietly act on one of them.
  const names = tokens.flatMap((token) => (token.kind === 'option' ? [token.name] : []));
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) throw new CliError(`--${repeated} is given more than once; give it once (${helpHint(command)})`);
  return values;
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** What the strict pass refused, in the operator's words, found among the lenient pass's tokens. */
function argumentProblem(command: Command, specs: Readonly<Record<string, OptionSpec>>, tokens: readonly Token[], error: unknown): string {
  for (const token of tokens) {
    if (token.kind === 'positional') return `unexpected argument "${token.value}"; ${command} takes options only`;
    if (token.kind !== 'option') continue;
    const spec = Object.prototype.hasOwnProperty.call(specs, token.name) ? specs[token.name] : undefined;
    if (!spec) {
      const known = Object.keys(specs).map((name) => `--${name}`);
      return `unknown option "${token.rawName}"; ${command} takes ${known.join(', ')} and --help`;
    }
    const missing = token.value === undefined || (!token.inlineValue && token.value.startsWith('-'));
    if (spec.type === 'string' && missing) {
      // A word like "-5xx spike" was meant as the value; another option (`--env --reason x`) was not.
      const looksLikeValue =
        token.value?.startsWith('-') && !['--help', '-h', ...Object.keys(specs).map((name) => `--${name}`)].includes(token.value.split('=')[0]);
      const dash = looksLikeValue ? `; a value that starts with "-" is written ${token.rawName}=${token.value}` : '';
      return `${token.rawName} needs a value: ${token.rawName} ${spec.value}${dash}`;
    }
    if (spec.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`;
  }
  // Not expected: parseArgs refused something the tokens do not show; its own first line says what.
  return String((error as Error).message).split('\n')[0];
}
