/**
 * The keys command line: its commands, their options and help texts, read and written by
 * cli/command-line.ts. Anything it cannot use is a CliError of one line that names the option and
 * points at the help; `--help` (or `-h`) after any command prints that command's usage. A key is
 * never an argument: a word that looks like one, or anything but `put`'s options, is refused
 * without repeating it, since the shell history and the process list have already seen it.
 */
import { KEY_SLOTS, KeySlot, putKeyCommand } from '../common/keys/api-keys';
import { holdsKey } from '../common/logging';
import { BoopEnvironment, environmentNameProblem } from '../common/names';
import { Slot, SLOTS } from '../common/slots';
import { CommandSpec, defineCommandLine, OptionSpec, Token } from './command-line';
import type { EnvironmentSource } from './environments';
import { CliError } from './errors';

/** How the operator runs the CLI; every usage line and hint starts with it. */
export const RUN = 'npm run keys --';

/** How long `restart` waits for the slot to be steady, unless told: new tasks start, pass the ALB health check, and the old ones drain. */
export const DEFAULT_RESTART_TIMEOUT_MINUTES = 20;
/** The longest wait `--timeout-minutes` may ask for. */
const MAX_RESTART_TIMEOUT_MINUTES = 180;

/** --config-file, as every command that reads the configuration takes it. */
export const CONFIG_FILE_OPTION: OptionSpec = {
  type: 'string',
  value: '<path>',
  description: "a JSON file of the environment's configuration, as cdk deploy -c configFile=<path> reads it",
};

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

/** What a message says instead of an argument that it does not repeat. */
const NOT_REPEATED = '(not repeated here: it may be a key)';

/** A word of the command line as a message may repeat it: short plain words only (a name, an option, a slot), never what could be a key. */
function shown(word: string): string {
  return /^-{0,2}[A-Za-z][A-Za-z-]{0,19}$/.test(word) ? `"${word}"` : NOT_REPEATED;
}

/**
 * Whether a refusal may repeat --env's word before the environments are read: a word the CLI would
 * repeat anyway and the form of an environment name, so never what could be a key.
 */
function repeatableEnvironment(word: string): boolean {
  return shown(word) !== NOT_REPEATED && environmentNameProblem(word) === undefined;
}

/** The refusal of a key given on the command line; `env` and `slot` make the put command exact when they are known. */
function keyInArgvProblem(env?: string, slot?: KeySlot): CliError {
  const put = env && slot ? putKeyCommand(env, slot) : `${RUN} put --env <env> --slot <${KEY_SLOTS.join('|')}>`;
  return new CliError(
    `a key is never a command-line argument: put reads it from stdin, typed (no echo) or piped, e.g. ${put} < key-file; ` +
      'an argument is kept in your shell history and shown to everyone on this machine in the process list, so if that was a real key, treat it as exposed: ask BOOP for a new one and revoke this one',
  );
}

/** put's stray arguments are a key given the wrong way far more often than a typo: refused as such, and never repeated. */
function refuseStrayPutArguments(command: KeysCommand, tokens: readonly Token[], known: (name: string) => boolean): void {
  if (command !== 'put' || !tokens.some((token) => token.kind === 'positional' || (token.kind === 'option' && !known(token.name)))) return;
  const valueOf = (name: string) => tokens.find((token) => token.kind === 'option' && token.name === name && token.value !== undefined);
  const env = (valueOf('env') as { value?: string } | undefined)?.value;
  const slot = (valueOf('slot') as { value?: string } | undefined)?.value;
  throw keyInArgvProblem(
    env !== undefined && repeatableEnvironment(env) ? env : undefined,
    slot !== undefined && (KEY_SLOTS as readonly string[]).includes(slot) ? (slot as KeySlot) : undefined,
  );
}

const KEYS_COMMAND_LINE = defineCommandLine({
  run: RUN,
  commands: COMMAND_SPECS,
  footer: FOOTER,
  shown,
  notRepeated: NOT_REPEATED,
  refuseOptions: refuseStrayPutArguments,
});
const { helpHint } = KEYS_COMMAND_LINE;

/** The overview: every command in a line or two. */
export const KEYS_USAGE = KEYS_COMMAND_LINE.usage;

/** One command's usage, for `<command> --help` and `help <command>`. */
export function keysCommandUsage(command: KeysCommand): string {
  return KEYS_COMMAND_LINE.commandUsage(command);
}

/** What every command acts on: a declared environment, the BOOP environment it talks to, and where its configuration is. */
interface Target {
  /** The environment, as cdk.json declares it. */
  readonly env: string;
  /** The BOOP environment cdk.json binds it to: which keys it takes (sk_live_ for production), whatever it is called. */
  readonly boopEnvironment: BoopEnvironment;
  readonly configFile?: string;
}

/** What the command line asks for: a usage text to print, or a command to run. */
export type KeysArgs =
  | { readonly command: 'help'; readonly usage: string }
  | (Target & { readonly command: 'put'; readonly slot: KeySlot })
  | (Target & { readonly command: 'check' | 'promote' })
  | (Target & { readonly command: 'restart'; readonly slot: Slot; readonly timeoutMinutes: number });

interface OptionValues {
  readonly 'slot'?: string;
  readonly 'timeout-minutes'?: string;
  readonly 'config-file'?: string;
}

/**
 * Reads the command line; refuses, in one line naming the argument, anything it cannot use, and an
 * environment `environments` does not declare (default: cdk.json's in this folder).
 */
export function parseKeysArgs(argv: readonly string[], environments?: EnvironmentSource): KeysArgs {
  // First, before any message could repeat it.
  if (argv.some(holdsKey)) throw keyInArgvProblem();
  const line = KEYS_COMMAND_LINE.read<OptionValues>(argv, environments);
  if (line.command === 'help') return line;
  const { command, env, boopEnvironment, values } = line;
  const configFile = values['config-file'];
  if (configFile === '') throw new CliError(`--config-file needs a path: --config-file <path> (${helpHint(command)})`);
  const common: Target = { env, boopEnvironment, ...(configFile === undefined ? {} : { configFile }) };
  if (command === 'put') return { command, ...common, slot: slotOf(command, values.slot, KEY_SLOTS) };
  if (command === 'restart') {
    return { command, ...common, slot: slotOf(command, values.slot, SLOTS), timeoutMinutes: timeoutMinutesOf(values['timeout-minutes']) };
  }
  return { command, ...common };
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
