/**
 * Reading the commands a document tells the operator to type, and checking them against this
 * project: `npm run rollout` and `npm run keys` commands with the CLIs' own usage texts and parsers,
 * `npx cdk deploy` with the stack's parameters. Shared by the runbook's and the README's tests.
 */
import { KEYS_COMMANDS, keysCommandUsage, parseKeysArgs } from '../../cli/keys-args';
import { commandUsage, COMMANDS, parseRolloutArgs, ROLLOUT_OVERRIDE_CONTEXT } from '../../cli/rollout-args';
import { projectEnvironments } from '../../cli/environments';
import { CONFIRM_PRODUCTION_PARAMETER, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../../common/names';

/** A piece of code in a document: a line of a fenced block (with its language) or an inline code span. */
export interface Snippet {
  readonly line: number;
  readonly text: string;
  /** The fenced block's language; undefined for an inline code span. */
  readonly block?: string;
}

/** Every line of every fenced block, and every inline code span (joined when it wraps), with its line number. */
export function snippets(markdown: string): Snippet[] {
  const found: Snippet[] = [];
  let block: string | undefined;
  let prose: { line: number; text: string }[] = [];
  const flushProse = () => {
    const text = prose.map((p) => p.text).join('\n');
    for (const match of text.matchAll(/`([^`]+)`/g)) {
      const line = prose[0].line + text.slice(0, match.index).split('\n').length - 1;
      found.push({ line, text: match[1].replace(/\s*\n\s*/g, ' ') });
    }
    prose = [];
  };
  markdown.split('\n').forEach((text, index) => {
    const fence = /^\s*```(\w*)/.exec(text);
    if (fence) {
      if (block === undefined) {
        if (prose.length) flushProse();
        block = fence[1];
      } else block = undefined;
      return;
    }
    if (block !== undefined) found.push({ line: index + 1, text, block });
    else prose.push({ line: index + 1, text });
  });
  if (prose.length) flushProse();
  return found;
}

// ---------------------------------------------------------------------------------------------
// Checking commands.

/** One shell word; a quoted one is never a placeholder or an option. */
export interface Word {
  text: string;
  quoted: boolean;
}

/** The shell words of a command, quotes removed, up to its end: `;`, `|`, `&` or a comment. */
export function shellWords(text: string): Word[] {
  const words: Word[] = [];
  let current: Word | undefined;
  let quote: string | undefined;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current!.text += char;
      continue;
    }
    if (char === '"' || char === "'") {
      current ??= { text: '', quoted: false };
      current.quoted = true;
      quote = char;
      continue;
    }
    if (/\s/.test(char)) {
      if (current) words.push(current);
      current = undefined;
      continue;
    }
    if (';|&'.includes(char) || (char === '#' && !current)) break;
    current ??= { text: '', quoted: false };
    current.text += char;
  }
  if (current) words.push(current);
  return words;
}

/** What an example in a command to type stands for, so the CLI's parser reads a real value. */
export const PLACEHOLDERS: Readonly<Record<string, string>> = {
  '<env>': 'dev',
  '<image>': '111122223333.dkr.ecr.eu-west-1.amazonaws.com/boop-integration:3.1.0',
};

/** An operator CLI as its exports describe it. */
interface OperatorCli {
  readonly commands: readonly string[];
  /** The usage of one command, whose "options:" list names its options. */
  readonly usage: (command: string) => string;
  readonly parse: (argv: readonly string[]) => unknown;
}

export const CLIS: Readonly<Record<'rollout' | 'keys', OperatorCli>> = {
  rollout: { commands: COMMANDS, usage: (command) => commandUsage(command as (typeof COMMANDS)[number]), parse: parseRolloutArgs },
  keys: { commands: KEYS_COMMANDS, usage: (command) => keysCommandUsage(command as (typeof KEYS_COMMANDS)[number]), parse: parseKeysArgs },
};

/** The options a command takes, read from the "options:" list of its usage (--help, -h included). */
function optionsOf(cli: OperatorCli, command: string): Set<string> {
  const usage = cli.usage(command);
  const list = usage.slice(usage.indexOf('\noptions:\n'));
  const names = [...list.matchAll(/^\s+(?:-h, )?--([a-z][a-z-]*)/gm)].map((match) => match[1]);
  return new Set([...names, 'help', 'h']);
}

/** The stack's deploy parameters, and what a value of each must look like. */
const STACK_PARAMETERS: Readonly<Record<string, (value: string) => boolean>> = {
  [GREEN_PERCENT_PARAMETER]: (value) => /^\d{1,3}$/.test(value) && Number(value) <= 100,
  [CONFIRM_PRODUCTION_PARAMETER]: (value) => value === 'true',
  ...Object.fromEntries(Object.values(IMAGE_PARAMETERS).map((name) => [name, (value: string) => value !== ''])),
};

/**
 * The problems of `npx cdk deploy` and its words: only `-c env=` of an environment this project's
 * cdk.json declares, `-c rolloutOverride=` and one `--parameters Name=value` per parameter.
 */
export function deployProblems(words: readonly Word[]): string[] {
  const declared = [...projectEnvironments().environments.keys()];
  const problems: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const flag = words[i].text;
    const value = words[i + 1]?.text ?? '';
    const [name, ...rest] = value.split('=');
    const given = rest.join('=');
    if (flag === '-c') {
      if (name === 'env' && ![...declared, '<env>'].includes(given)) problems.push(`-c env=${given} is not a declared environment (${declared.join(', ')})`);
      else if (name !== 'env' && name !== ROLLOUT_OVERRIDE_CONTEXT) problems.push(`-c ${name} is not a context key a deploy of this project reads`);
      i++;
    } else if (flag === '--parameters') {
      const valid = STACK_PARAMETERS[name];
      if (!valid) problems.push(`--parameters ${value}: ${name} is not a parameter of the stack (${Object.keys(STACK_PARAMETERS).join(', ')})`);
      else if (!rest.length || (!/^<.*>$/.test(given) && !valid(given))) problems.push(`--parameters ${value}: not a value ${name} takes`);
      i++;
    } else {
      problems.push(`"${flag}" is not -c <key>=<value> or --parameters <Name>=<value> (one --parameters per parameter)`);
    }
  }
  return problems;
}

/** The problems of one `npm run <cli> -- ...` command; `toType` also runs the CLI's parser on it. */
export function cliProblems(cliName: 'rollout' | 'keys', words: readonly Word[], toType: boolean): string[] {
  if (words.length === 0) return [];
  if (words[0].text !== '--') return [`npm run ${cliName} needs -- before its command, or npm takes the options for itself`];
  const args = words.slice(1);
  if (args.length === 0) return [];
  const cli = CLIS[cliName];
  const command = args[0].text;
  if (!cli.commands.includes(command)) return [`"${command}" is not a command of npm run ${cliName} (${cli.commands.join(', ')})`];
  const options = optionsOf(cli, command);
  const takes = [...options].filter((name) => name.length > 1).map((name) => `--${name}`);
  const problems = args
    .slice(1)
    .filter((word) => !word.quoted && word.text.startsWith('-'))
    .map((word) => word.text.replace(/^-{1,2}/, '').split('=')[0])
    .filter((name) => !options.has(name))
    .map((name) => `"${command}" has no option --${name} (it takes ${takes.join(', ')})`);
  if (problems.length > 0 || !toType) return problems;
  const unknown = args.find((word) => !word.quoted && /^<.*>$/.test(word.text) && PLACEHOLDERS[word.text] === undefined);
  if (unknown) return [`${unknown.text} is not a known placeholder; write a real value or add it to PLACEHOLDERS`];
  try {
    cli.parse(args.map((word) => (word.quoted ? word.text : (PLACEHOLDERS[word.text] ?? word.text))));
    return [];
  } catch (error) {
    return [`npm run ${cliName}'s parser refuses it: ${(error as Error).message}`];
  }
}

/** Every problem of the npm run rollout / keys and npx cdk deploy commands in one snippet of `file`, as `file:line: command: problem`. */
export function commandProblems(file: string, snippet: Snippet): string[] {
  const toType = snippet.block === 'bash';
  return [...snippet.text.matchAll(/\b(?:npm run (rollout|keys)|npx cdk deploy)\b/g)].flatMap((match) => {
    const words = shellWords(snippet.text.slice(match.index + match[0].length));
    const problems = match[1] ? cliProblems(match[1] as 'rollout' | 'keys', words, toType) : deployProblems(words);
    const command = [match[0], ...words.map((word) => word.text)].join(' ');
    return problems.map((problem) => `${file}:${snippet.line}: ${command}: ${problem}`);
  });
}
