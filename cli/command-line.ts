/**
 * What the operator CLIs' command lines share, read with node's `util.parseArgs`: commands with
 * their options and usage texts, `help [<command>]` and `--help` (or `-h`) after any command, a
 * required `--env`, and refusals of one line that name the argument and point at the help. Each
 * CLI says how its refusals may repeat what the operator typed, and what else it refuses.
 */
import { parseArgs } from 'util';
import { BoopEnvironment, environmentNames } from '../common/names';
import { EnvironmentSource, projectEnvironments, resolveEnvironment, UnreadableProject } from './environments';
import { CliError } from './errors';

/** One option of a command, besides --env and --help, which every command takes. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** How its value is written in the usage, for a string option. */
  readonly value?: string;
  /** What it is for, in the usage. */
  readonly description: string;
}

/** One command: how it is written and what it does. */
export interface CommandSpec {
  /** What follows `<command> --env <env>` in its usage line, e.g. `--reason "<why>"`. */
  readonly synopsis: string;
  /** What it does, as lines of the usage texts. */
  readonly summary: readonly string[];
  /** More about it, in its own usage only (after the summary). @default nothing more */
  readonly details?: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
}

/** One word of the command line as parseArgs' lenient pass read it. */
export type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** What an operator CLI's command line is: its commands, and its own ways with refusals. */
export interface CommandLineDefinition<C extends string> {
  /** How the operator runs the CLI; every usage line and hint starts with it. */
  readonly run: string;
  /** Every command, in the order the overview lists them. */
  readonly commands: Readonly<Record<C, CommandSpec>>;
  /** The last paragraph of every usage text: what the CLI uses, and how it fails. */
  readonly footer: string;
  /**
   * A word of the command line that a refusal names (a command, an option, a value it checks), as
   * the refusal shows it.
   * @default the word in double quotes
   */
  readonly shown?: (word: string) => string;
  /**
   * Set when a refusal must never repeat a word it cannot check (it may be a secret): the text said
   * instead of a stray argument; `help`'s extra words, the "-value" hint and parseArgs' own message
   * (which quotes the argument) are then left out.
   * @default undefined: refusals quote what the operator typed
   */
  readonly notRepeated?: string;
  /**
   * Refuses what the command's options say before any other mistake is named (help still wins);
   * `known` tells the command's option names, --env's included.
   * @default nothing more is refused
   */
  readonly refuseOptions?: (command: C, tokens: readonly Token[], known: (name: string) => boolean) => void;
  /** Whether a command may go on, as production, when cdk.json cannot be read. @default 'refuse' for every command */
  readonly unreadableProject?: (command: C) => UnreadableProject;
  /**
   * How the operator writes a command, before its options, in its usage line and help hint.
   * @default `<run> <command>`
   */
  readonly invocation?: (command: C) => string;
}

/** What the command line asks for: a usage text to print. */
export interface HelpRequest {
  readonly command: 'help';
  readonly usage: string;
}

/** What the command line asks for: a command to run in a declared environment, with its options' values (--env's included). */
export interface CommandRequest<C extends string, V> {
  readonly command: C;
  readonly env: string;
  /** The BOOP environment cdk.json binds `env` to: production's confirmations follow it. */
  readonly boopEnvironment: BoopEnvironment;
  readonly values: V;
}

/** A command line defined: its usage texts, and the reading of an argv. */
export interface CommandLine<C extends string> {
  /** The overview: every command in a line or two. */
  readonly usage: string;
  /** One command's usage, for `<command> --help` and `help <command>`. */
  readonly commandUsage: (command: C) => string;
  /** The help command a refusal points at: the command's, or the overview's. */
  readonly helpHint: (command?: C) => string;
  /**
   * Reads the command line: the usage asked for, or the command with a declared environment (read
   * from `environments` only then) and the options' values, typed `V` by the caller; refuses, in one
   * line naming the argument, anything else.
   */
  readonly read: <V>(argv: readonly string[], environments?: EnvironmentSource) => HelpRequest | CommandRequest<C, V>;
  /** Reads the words after a command as `read` does: for a CLI of one command, run without the command's name. */
  readonly readCommand: <V>(command: C, args: readonly string[], environments?: EnvironmentSource) => HelpRequest | CommandRequest<C, V>;
}

const ENV_VALUE = '<env>';
const ENV_OPTION: OptionSpec = {
  type: 'string',
  value: ENV_VALUE,
  description: `the environment, as cdk.json declares it (dev, prod, or one of yours), whose stack is ${environmentNames('<env>').stack} (required)`,
};
const HELP_OPTION = { type: 'boolean', short: 'h' } as const;
const HELP_WORDS: readonly string[] = ['--help', '-h'];

const quoted = (word: string) => `"${word}"`;
const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/** Rows of a two-column list: the left column padded to its widest entry, continuation lines aligned. */
function columns(rows: readonly (readonly [string, readonly string[]])[]): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.flatMap(([left, lines]) => lines.map((line, i) => `  ${(i === 0 ? left : '').padEnd(width)}${line}`)).join('\n');
}

/** The usage texts of an operator CLI, and the reading of its command line. */
export function defineCommandLine<C extends string>(definition: CommandLineDefinition<C>): CommandLine<C> {
  const { run, commands, footer, shown = quoted, notRepeated, refuseOptions } = definition;
  const invocation = definition.invocation ?? ((command: C) => `${run} ${command}`);
  const names = Object.keys(commands) as C[];
  const isCommand = (word: string | undefined): word is C => word !== undefined && hasOwn(commands, word);
  const helpHint = (command?: C) => `${command ? invocation(command) : run} --help`;
  const commandList = `the commands are ${names.join(', ')}`;

  const usage = `usage: ${run} <command> --env ${ENV_VALUE} [options]

commands:
${columns([
  ...names.map((command) => [`${command} ${commands[command].synopsis}`.trim(), commands[command].summary] as const),
  ['help [<command>]', ["this text, or one command's (also --help or -h, after any command)"]],
])}

${footer}`;

  const commandUsage = (command: C): string => {
    const spec: CommandSpec = commands[command];
    const option = (name: string, { value }: OptionSpec) => `--${name}${value ? ` ${value}` : ''}`;
    return `usage: ${invocation(command)} --env ${ENV_VALUE}${spec.synopsis ? ` ${spec.synopsis}` : ''}

${[...spec.summary, ...(spec.details ? ['', ...spec.details] : [])].join('\n')}

options:
${columns([
  [option('env', ENV_OPTION), [ENV_OPTION.description]],
  ...Object.entries(spec.options).map(([name, o]) => [option(name, o), [o.description]] as const),
  ['-h, --help', ['this text']],
])}

${footer}`;
  };

  /** The options after a command, or 'help' when --help or -h is among them (help wins over any mistake). */
  const readOptions = (command: C, args: readonly string[]): Record<string, unknown> | 'help' => {
    const specs: Readonly<Record<string, OptionSpec>> = { env: ENV_OPTION, ...commands[command].options };
    const options = { ...Object.fromEntries(Object.entries(specs).map(([name, { type }]) => [name, { type }])), help: HELP_OPTION };
    // A lenient pass first, for its tokens: they tell whether help was asked for, and name what the strict pass refuses.
    const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
    if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return 'help';
    refuseOptions?.(command, tokens, (name) => hasOwn(specs, name));
    let values: Record<string, unknown>;
    try {
      values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
    } catch (error) {
      throw new CliError(`${argumentProblem(command, specs, tokens, error)} (${helpHint(command)})`);
    }
    // parseArgs keeps the last of a repeated option; `--env prod --env dev` must not quietly act on one of them.
    const optionNames = tokens.flatMap((token) => (token.kind === 'option' ? [token.name] : []));
    const repeated = optionNames.find((name, index) => optionNames.indexOf(name) !== index);
    if (repeated) throw new CliError(`--${repeated} is given more than once; give it once (${helpHint(command)})`);
    return values;
  };

  /** What the strict pass refused, in the operator's words, found among the lenient pass's tokens. */
  const argumentProblem = (command: C, specs: Readonly<Record<string, OptionSpec>>, tokens: readonly Token[], error: unknown): string => {
    for (const token of tokens) {
      if (token.kind === 'positional') return `unexpected argument ${notRepeated ?? shown(token.value)}; ${command} takes options only`;
      if (token.kind !== 'option') continue;
      const spec = hasOwn(specs, token.name) ? specs[token.name] : undefined;
      if (!spec) {
        const known = Object.keys(specs).map((name) => `--${name}`);
        return `unknown option ${shown(token.rawName)}; ${command} takes ${known.join(', ')} and --help`;
      }
      const missing = token.value === undefined || (!token.inlineValue && token.value.startsWith('-'));
      if (spec.type === 'string' && missing) {
        const hint = notRepeated === undefined ? dashedValueHint(token, specs) : '';
        return `${token.rawName} needs a value: ${token.rawName} ${spec.value}${hint}`;
      }
      if (spec.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`;
    }
    // Not expected: parseArgs refused something the tokens do not show. Its message quotes the argument: its first line, or only its kind.
    if (notRepeated === undefined) return String((error as Error).message).split('\n')[0];
    return `an argument ${command} cannot read (${(error as { code?: string }).code ?? 'unreadable'})`;
  };

  const read = <V>(argv: readonly string[], environments: EnvironmentSource = projectEnvironments): HelpRequest | CommandRequest<C, V> => {
    const [first, ...rest] = argv;
    if (first !== undefined && HELP_WORDS.includes(first)) return { command: 'help', usage };
    if (first === 'help') {
      const topics = rest.filter((word) => !HELP_WORDS.includes(word));
      if (topics.length === 0) return { command: 'help', usage };
      if (topics.length === 1 && isCommand(topics[0])) return { command: 'help', usage: commandUsage(topics[0]) };
      const given = notRepeated === undefined ? `, not ${quoted(rest.join(' '))}` : '';
      throw new CliError(`help takes one command${given}; ${commandList} (${helpHint()})`);
    }
    if (first === undefined) throw new CliError(`no command given; ${commandList} (${helpHint()})`);
    if (first.startsWith('-')) throw new CliError(`the command comes first, before ${shown(first)}; ${commandList} (${helpHint()})`);
    if (!isCommand(first)) throw new CliError(`unknown command ${shown(first)}; ${commandList} (${helpHint()})`);
    return readCommand(first, rest, environments);
  };

  const readCommand = <V>(command: C, args: readonly string[], environments: EnvironmentSource = projectEnvironments): HelpRequest | CommandRequest<C, V> => {
    const values = readOptions(command, args);
    if (values === 'help') return { command: 'help', usage: commandUsage(command) };
    const { name, boopEnvironment } = resolveEnvironment(values.env as string | undefined, environments, shown, definition.unreadableProject?.(command));
    return { command, env: name, boopEnvironment, values: values as V };
  };

  return { usage, commandUsage, helpHint, read, readCommand };
}

/** For a string option whose value is missing: how to write a value that starts with "-", when the next word looks like one. */
function dashedValueHint(token: Token & { kind: 'option' }, specs: Readonly<Record<string, OptionSpec>>): string {
  // A word like "-5xx spike" was meant as the value; another option (`--env --reason x`) was not.
  const looksLikeValue = token.value?.startsWith('-') && ![...HELP_WORDS, ...Object.keys(specs).map((name) => `--${name}`)].includes(token.value.split('=')[0]);
  return looksLikeValue ? `; a value that starts with "-" is written ${token.rawName}=${token.value}` : '';
}
