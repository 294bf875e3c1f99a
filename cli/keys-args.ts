/**
 * The keys command line: its commands, their options and help texts, read with node's
 * `util.parseArgs`. Anything it cannot use is a CliError of one line that names the option and
 * points at the help; `--help` (or `-h`) after any command prints that command's usage. A key is
 * never an argument: a word that looks like one, or anything but `put`'s options, is refused
 * without repeating it, since the shell history and the process list have already seen it.
 */
import { parseArgs } from 'util';
import { API_KEY_PREFIX, KEY_SLOTS, KeySlot, putKeyCommand } from '../common/keys/api-keys';
import { ENVIRONMENT_NAMES, EnvironmentName, environmentNames } from '../common/names';
import { Slot, SLOTS } from '../common/slots';
import { CliError } from './errors';

/** How the operator runs the CLI; every usage line and hint starts with it. */
export const RUN = 'npm run keys --';

/** How long `restart` waits for the slot to be steady, unless told: new tasks start, pass the ALB health check, and the old ones drain. */
export const DEFAULT_RESTART_TIMEOUT_MINUTES = 20;
/** The longest wait `--timeout-minutes` may ask for. */
const MAX_RESTART_TIMEOUT_MINUTES = 180;

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
  /** What follows `<command> --env <env>` in its usage line. */
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
const CONFIG_FILE_OPTION: OptionSpec = {
  type: 'string',
  value: '<path>',
  description: "a JSON file of the environment's configuration, as cdk deploy -c configFile=<path> reads it",
};
const HELP_OPTION = { type: 'boolean', short: 'h' } as const;

const COMMAND_SPECS = {
  put: {
    synopsis: `--slot <${KEY_SLOTS.join('|')}>`,
    summary: [
      'write one BOOP API key as a SecureString, read from stdin: typed with no echo (Enter ends,',
      'Ctrl-C cancels), or piped (one trailing newline is dropped); never as an argument',
    ],
    options: {
      'slot': { type: 'string', value: `<${KEY_SLOTS.join('|')}>`, description: 'which key parameter to write (required)' },
      'config-file': CONFIG_FILE_OPTION,
    },
  },
  check: {
    synopsis: '',
    summary: [
      'the key parameters (never a value), the rotation date, the key the services use today,',
      "whether the rotation is ready, and each slot's tasks: stale keys, and whether new ones can start",
    ],
    options: { 'config-file': CONFIG_FILE_OPTION },
  },
  restart: {
    synopsis: `--slot <${SLOTS.join('|')}> [--timeout-minutes <n>]`,
    summary: ['start new tasks of one slot so they read the current keys (refused when they could not start),', 'and wait until the slot is steady'],
    options: {
      'slot': { type: 'string', value: `<${SLOTS.join('|')}>`, description: 'which slot to restart (required)' },
      'timeout-minutes': {
        type: 'string',
        value: '<n>',
        description: `how long to wait for the slot to be steady (default ${DEFAULT_RESTART_TIMEOUT_MINUTES}, at most ${MAX_RESTART_TIMEOUT_MINUTES})`,
      },
      'config-file': CONFIG_FILE_OPTION,
    },
  },
  promote: {
    synopsis: '',
    summary: [
      'finish a rotation: from the rotation date, copy the secondary key into the primary; once no',
      'task reads the secondary any more (rotation date removed and deployed), delete it',
    ],
    options: { 'config-file': CONFIG_FILE_OPTION },
  },
} as const satisfies Record<string, CommandSpec>;

export type KeysCommand = keyof typeof COMMAND_SPECS;
export const KEYS_COMMANDS = Object.keys(COMMAND_SPECS) as KeysCommand[];

const FOOTER = `Uses your AWS credentials and region (AWS_PROFILE or AWS_ACCESS_KEY_ID..., AWS_REGION), and the
environment's configuration (cdk.json in this folder, or --config-file) for boop.keyRotationDate
and boop.apiKeyKmsKeyArn. Never prints a key. A failure is one line on stderr,
"keys: <what went wrong and what to do>", and exit code 1.`;

/** Rows of a two-column list: the left column padded to its widest entry, continuation lines aligned. */
function columns(rows: readonly (readonly [string, readonly string[]])[]): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.flatMap(([left, lines]) => lines.map((line, i) => `  ${(i === 0 ? left : '').padEnd(width)}${line}`)).join('\n');
}

/** The overview: every command in a line or two. */
export const KEYS_USAGE = `usage: ${RUN} <command> --env ${ENV_VALUE} [options]

commands:
${columns([
  ...KEYS_COMMANDS.map((command) => [`${command} ${COMMAND_SPECS[command].synopsis}`.trim(), COMMAND_SPECS[command].summary] as const),
  ['help [<command>]', ["this text, or one command's (also --help or -h, after any command)"]],
])}

${FOOTER}`;

/** One command's usage, for `<command> --help` and `help <command>`. */
export function keysCommandUsage(command: KeysCommand): string {
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
export type KeysArgs =
  | { readonly command: 'help'; readonly usage: string }
  | { readonly command: 'put'; readonly env: EnvironmentName; readonly slot: KeySlot; readonly configFile?: string }
  | { readonly command: 'check' | 'promote'; readonly env: EnvironmentName; readonly configFile?: string }
  | { readonly command: 'restart'; readonly env: EnvironmentName; readonly slot: Slot; readonly timeoutMinutes: number; readonly configFile?: string };

const isCommand = (word: string | undefined): word is KeysCommand => word !== undefined && Object.prototype.hasOwnProperty.call(COMMAND_SPECS, word);
const helpHint = (command?: KeysCommand) => `${RUN} ${command ? `${command} ` : ''}--help`;
const commandList = `the commands are ${KEYS_COMMANDS.join(', ')}`;

/** Every prefix a BOOP key starts with, the test keys' included: a word holding one is never repeated, and refused. */
const KEY_PREFIXES = [...Object.values(API_KEY_PREFIX), 'sk_test_'];

/** True when a command-line word holds what looks like a BOOP key. */
function holdsKey(word: string): boolean {
  const lower = word.toLowerCase();
  return KEY_PREFIXES.some((prefix) => lower.includes(prefix));
}

/** What a message says instead of an argument that it does not repeat. */
const NOT_REPEATED = '(not repeated here: it may be a key)';

/** A word of the command line as a message may repeat it: short plain words only (a name, an option, a slot), never what could be a key. */
function shown(word: string): string {
  return /^-{0,2}[A-Za-z][A-Za-z-]{0,19}$/.test(word) ? `"${word}"` : NOT_REPEATED;
}

/** The refusal of a key given on the command line; `env` and `slot` make the put command exact when they are known. */
function keyInArgvProblem(env?: string, slot?: KeySlot): CliError {
  const put = env && slot ? putKeyCommand(env, slot) : `${RUN} put --env <env> --slot <${KEY_SLOTS.join('|')}>`;
  return new CliError(
    `a key is never a command-line argument: put reads it from stdin, typed (no echo) or piped, e.g. ${put} < key-file; ` +
      'an argument is kept in your shell history and shown to everyone on this machine in the process list, so if that was a real key, treat it as exposed: ask BOOP for a new one and revoke this one',
  );
}

/** Reads the command line; refuses, in one line naming the argument, anything it cannot use. */
export function parseKeysArgs(argv: readonly string[]): KeysArgs {
  // First, before any message could repeat it.
  if (argv.some(holdsKey)) throw keyInArgvProblem();
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') return { command: 'help', usage: KEYS_USAGE };
  if (first === 'help') {
    const topics = rest.filter((word) => word !== '--help' && word !== '-h');
    if (topics.length === 0) return { command: 'help', usage: KEYS_USAGE };
    if (topics.length === 1 && isCommand(topics[0])) return { command: 'help', usage: keysCommandUsage(topics[0]) };
    throw new CliError(`help takes one command; ${commandList} (${helpHint()})`);
  }
  if (first === undefined) throw new CliError(`no command given; ${commandList} (${helpHint()})`);
  if (first.startsWith('-')) throw new CliError(`the command comes first, before ${shown(first)}; ${commandList} (${helpHint()})`);
  if (!isCommand(first)) throw new CliError(`unknown command ${shown(first)}; ${commandList} (${helpHint()})`);
  const values = readOptions(first, rest);
  if (values === 'help') return { command: 'help', usage: keysCommandUsage(first) };

  const env = values.env;
  if (env === undefined) throw new CliError(`--env is required; known environments: ${ENVIRONMENT_NAMES.join(', ')}`);
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(env)) {
    throw new CliError(`unknown environment ${shown(env)}; known environments: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  const configFile = values['config-file'];
  if (configFile === '') throw new CliError(`--config-file needs a path: --config-file <path> (${helpHint(first)})`);
  const common = { env: env as EnvironmentName, ...(configFile === undefined ? {} : { configFile }) };
  if (first === 'put') return { command: first, ...common, slot: slotOf(first, values.slot, KEY_SLOTS) };
  if (first === 'restart') {
    return { command: first, ...common, slot: slotOf(first, values.slot, SLOTS), timeoutMinutes: timeoutMinutesOf(values['timeout-minutes']) };
  }
  return { command: first, ...common };
}

/** The value of --slot, one of `allowed`. */
function slotOf<T extends string>(command: KeysCommand, value: string | undefined, allowed: readonly T[]): T {
  const choices = `${allowed.join(' or ')}`;
  if (value === undefined) throw new CliError(`${command} needs --slot ${choices} (${helpHint(command)})`);
  if (!(allowed as readonly string[]).includes(value)) {
    const what = command === 'put' ? 'key slot' : 'slot';
    throw new CliError(`unknown ${what} ${shown(value)} for ${command}; use --slot ${choices} (${helpHint(command)})`);
  }
  return value as T;
}

/** The value of --timeout-minutes: a whole number of minutes, 1..MAX_RESTART_TIMEOUT_MINUTES. */
function timeoutMinutesOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RESTART_TIMEOUT_MINUTES;
  const minutes = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(minutes >= 1 && minutes <= MAX_RESTART_TIMEOUT_MINUTES)) {
    throw new CliError(
      `--timeout-minutes takes a whole number of minutes from 1 to ${MAX_RESTART_TIMEOUT_MINUTES}, not ${shown(value)} (${helpHint('restart')})`,
    );
  }
  return minutes;
}

interface OptionValues {
  readonly 'env'?: string;
  readonly 'slot'?: string;
  readonly 'timeout-minutes'?: string;
  readonly 'config-file'?: string;
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** The options after a command, or 'help' when --help or -h is among them (help wins over any mistake). */
function readOptions(command: KeysCommand, args: readonly string[]): OptionValues | 'help' {
  const specs: Readonly<Record<string, OptionSpec>> = { env: ENV_OPTION, ...COMMAND_SPECS[command].options };
  const options = { ...Object.fromEntries(Object.entries(specs).map(([name, { type }]) => [name, { type }])), help: HELP_OPTION };
  // A lenient pass first, for its tokens: they tell whether help was asked for, and name what the strict pass refuses.
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return 'help';
  const known = (name: string) => Object.prototype.hasOwnProperty.call(specs, name);
  // put's stray arguments are a key given the wrong way far more often than a typo: refused as such, and never repeated.
  if (command === 'put' && tokens.some((token) => token.kind === 'positional' || (token.kind === 'option' && !known(token.name)))) {
    const valueOf = (name: string) => tokens.find((token) => token.kind === 'option' && token.name === name && token.value !== undefined);
    const env = (valueOf('env') as { value?: string } | undefined)?.value;
    const slot = (valueOf('slot') as { value?: string } | undefined)?.value;
    throw keyInArgvProblem(
      env !== undefined && (ENVIRONMENT_NAMES as readonly string[]).includes(env) ? env : undefined,
      slot !== undefined && (KEY_SLOTS as readonly string[]).includes(slot) ? (slot as KeySlot) : undefined,
    );
  }
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

/** What the strict pass refused, in the operator's words, found among the lenient pass's tokens; never repeating a value. */
function argumentProblem(command: KeysCommand, specs: Readonly<Record<string, OptionSpec>>, tokens: readonly Token[], error: unknown): string {
  for (const token of tokens) {
    // Where a key given the wrong way would be, so never repeated.
    if (token.kind === 'positional') return `unexpected argument ${NOT_REPEATED}; ${command} takes options only`;
    if (token.kind !== 'option') continue;
    const spec = Object.prototype.hasOwnProperty.call(specs, token.name) ? specs[token.name] : undefined;
    if (!spec) {
      const known = Object.keys(specs).map((name) => `--${name}`);
      return `unknown option ${shown(token.rawName)}; ${command} takes ${known.join(', ')} and --help`;
    }
    const missing = token.value === undefined || (!token.inlineValue && token.value.startsWith('-'));
    if (spec.type === 'string' && missing) return `${token.rawName} needs a value: ${token.rawName} ${spec.value}`;
    if (spec.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`;
  }
  // Not expected: parseArgs refused something the tokens do not show. Its message quotes the argument, so only its kind is told.
  return `an argument ${command} cannot read (${(error as { code?: string }).code ?? 'unreadable'})`;
}
