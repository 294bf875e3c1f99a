/**
 * The runbook (docs/runbook.md) tells the truth: every alarm of the thresholds table, and the
 * composite that rolls green back, has its entry with the table's severity and rollback; every
 * `npm run rollout --` / `npm run keys --` command names a command and options the CLIs have (and
 * the ones to type parse with the CLIs' own parsers); every `npx cdk deploy` sets only this stack's
 * parameters; every refusal it quotes is what the code says today; every link leads somewhere.
 * Nothing here synthesizes a stack.
 */
import * as fs from 'fs';
import * as path from 'path';
import { KEYS_COMMANDS, keysCommandUsage, parseKeysArgs } from '../cli/keys-args';
import { commandUsage, COMMANDS, parseRolloutArgs, ROLLOUT_OVERRIDE_CONTEXT } from '../cli/rollout-args';
import { imageParameterConstraint, imageRules } from '../common/images';
import { keyParameterProblems } from '../common/keys/parameter-check';
import { CONFIRM_PRODUCTION_PARAMETER, ENVIRONMENT_NAMES, environmentNames, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../common/names';
import { planDeploy } from '../common/traffic/plan';
import { RiseEvidence } from '../common/traffic/policy';
import { recordRollback, SlotImages, TrafficState } from '../common/traffic/state';
import { keyCheckRefusal } from '../lambda/key-check/check';
import { PRODUCTION_ROLLOUT } from '../lib/guides';
import { SCOPE_WORDS } from './readme-tables';
import { fastRollbackOf, firesWhen, judgedOver, SEVERITIES, SEVERITY_ROUTING, THRESHOLDS } from '../lib/monitoring/thresholds';
import { anchor, headings } from './support/markdown';
import { releasedAt, serving } from './traffic/positions';

const ECR_EXAMPLE_IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/boop-integration:3.0.0';
const ROOT = path.join(__dirname, '..');
const RUNBOOK_FILE = 'docs/runbook.md';
const RUNBOOK = fs.readFileSync(path.join(ROOT, RUNBOOK_FILE), 'utf8');

// ---------------------------------------------------------------------------------------------
// Reading the runbook.

/** The text of one `## ` section, up to the next `## ` heading. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`${RUNBOOK_FILE} has no "## ${title}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** The text of one `### ` part of a section, up to the next `### ` or `## ` heading. */
function subsection(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n### ${title}\n`);
  if (start < 0) throw new Error(`${RUNBOOK_FILE} has no "### ${title}" part`);
  const rest = markdown.slice(start + 1);
  const end = rest.search(/\n##+ /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** A piece of code in the runbook: a line of a fenced block (with its language) or an inline code span. */
interface Snippet {
  readonly line: number;
  readonly text: string;
  /** The fenced block's language; undefined for an inline code span. */
  readonly block?: string;
}

/** Every line of every fenced block, and every inline code span (joined when it wraps), with its line number. */
function snippets(markdown: string): Snippet[] {
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
interface Word {
  text: string;
  quoted: boolean;
}

/** The shell words of a command, quotes removed, up to its end: `;`, `|`, `&` or a comment. */
function shellWords(text: string): Word[] {
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
const PLACEHOLDERS: Readonly<Record<string, string>> = {
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

const CLIS: Readonly<Record<'rollout' | 'keys', OperatorCli>> = {
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

/** The problems of `npx cdk deploy` and its words: only `-c env=`, `-c rolloutOverride=` and one `--parameters Name=value` per parameter. */
function deployProblems(words: readonly Word[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const flag = words[i].text;
    const value = words[i + 1]?.text ?? '';
    const [name, ...rest] = value.split('=');
    const given = rest.join('=');
    if (flag === '-c') {
      if (name === 'env' && ![...ENVIRONMENT_NAMES, '<env>'].includes(given))
        problems.push(`-c env=${given} is not an environment (${ENVIRONMENT_NAMES.join(', ')})`);
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
function cliProblems(cliName: 'rollout' | 'keys', words: readonly Word[], toType: boolean): string[] {
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

/** Every problem of the commands in one snippet, as `line: command: problem`. */
function commandProblems(snippet: Snippet): string[] {
  const toType = snippet.block === 'bash';
  return [...snippet.text.matchAll(/\b(?:npm run (rollout|keys)|npx cdk deploy)\b/g)].flatMap((match) => {
    const words = shellWords(snippet.text.slice(match.index + match[0].length));
    const problems = match[1] ? cliProblems(match[1] as 'rollout' | 'keys', words, toType) : deployProblems(words);
    const command = [match[0], ...words.map((word) => word.text)].join(' ');
    return problems.map((problem) => `${RUNBOOK_FILE}:${snippet.line}: ${command}: ${problem}`);
  });
}

/** The commands of npm run <cli> that the runbook's typed commands run. */
function commandsTyped(cliName: 'rollout' | 'keys'): Set<string> {
  const typed = snippets(RUNBOOK)
    .filter((snippet) => snippet.block === 'bash')
    .flatMap((snippet) => [...snippet.text.matchAll(new RegExp(`npm run ${cliName} -- (\\S+)`, 'g'))].map((match) => match[1]));
  return new Set(typed);
}

describe('every command in the runbook is one this project has', () => {
  const all = snippets(RUNBOOK);

  test('every npm run rollout / npm run keys command names a command and options the CLI has, and every command to type parses', () => {
    expect(all.flatMap(commandProblems)).toEqual([]);
  });

  test.each(['rollout', 'keys'] as const)('it shows how to type every command of npm run %s', (cliName) => {
    expect([...commandsTyped(cliName)].sort()).toEqual([...CLIS[cliName].commands].sort());
  });

  test.each([
    ['a misspelt command', 'npm run rollout -- rolback --env prod --reason "x"'],
    ['an option the command does not take', 'npm run keys -- check --env prod --slot green'],
    ['a value the parser refuses', 'npm run keys -- put --env prod --slot tertiary'],
    ['a drill in prod without --production-drill', 'npm run rollout -- drill --env prod'],
    ['a missing --', 'npm run rollout status --env prod'],
    ['two parameters behind one --parameters', 'npx cdk deploy -c env=prod --parameters GreenPercent=5 BlueImage=x:1'],
    ['a parameter the stack does not have', 'npx cdk deploy -c env=prod --parameters GreenShare=5'],
    ['an unknown environment', 'npx cdk deploy -c env=production'],
  ])('%s is caught', (_, command) => {
    expect(commandProblems({ line: 1, text: command, block: 'bash' })).not.toEqual([]);
  });

  test('a correct command passes', () => {
    const commands = [
      'npm run rollout -- plan --env prod --green-percent 0 --green-image <image>',
      'npm run keys -- restart --env prod --slot green --timeout-minutes 30',
      `npx cdk deploy -c env=prod -c ${ROLLOUT_OVERRIDE_CONTEXT}="INC-1" --parameters GreenImage=<image> --parameters GreenPercent=0`,
    ];
    expect(commands.flatMap((text) => commandProblems({ line: 1, text, block: 'bash' }))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The refusals it quotes.

const HOUR_MS = 3_600_000;
const NOW = new Date('2026-11-21T10:00:00.000Z');
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/boop/abc/def';
const POLICY = PRODUCTION_ROLLOUT;
const [FIRST, SECOND, THIRD] = POLICY.steps;
const LAST = POLICY.steps[POLICY.steps.length - 1];
const BAKED_MS = POLICY.bakeTimeHours * HOUR_MS + 60_000;
const V1 = 'registry.example/boop-integration:1.0.0';
const V2 = 'registry.example/boop-integration:2.0.0';
const V3 = 'registry.example/boop-integration:3.0.0';
const CLEAN: RiseEvidence = { greenHealthyTargets: 1, rollbackAlarmFound: true, rollbackAlarmInAlarm: false, rollbackAlarmFiredSinceStepStart: false };

/** A share the listener shows below the recorded one, as a listener reset or another writer leaves it. */
const LOST_SHARE = FIRST * 2;

/** Blue running `images.blue`; green running `images.green` at `share` since `sinceMs` ago. */
function position(share: number, images: SlotImages = { blue: V1, green: V2 }, sinceMs = BAKED_MS): TrafficState {
  return releasedAt(share, images, new Date(NOW.getTime() - sinceMs), NOW, LISTENER);
}

/** The refusal `rollout plan` and the deploy give, word for word. */
function refusal(stored: TrafficState, intent: number, images: SlotImages, evidence: Partial<RiseEvidence> = {}, live = serving(stored.greenPercent)): string {
  const plan = planDeploy(
    { stored, live, listenerArn: LISTENER, request: { images, intent }, guarded: true, now: NOW, evidence: { ...CLEAN, ...evidence } },
    POLICY,
  );
  if (!plan.refusal) throw new Error(`expected a refusal of GreenPercent=${intent}; the plan accepts it`);
  return plan.refusal;
}

const atFirst = position(FIRST);
const atSecond = position(SECOND);
const atThird = position(THIRD);
const rolledBack = recordRollback(atFirst, {
  trigger: environmentNames('prod').rollbackAlarm,
  why: 'PAYMENT_ERROR_RATE-green in ALARM',
  by: 'test',
  fromGreenPercent: FIRST,
  at: NOW.toISOString(),
  triggeredAt: NOW.toISOString(),
});

/** Every refusal the runbook quotes, as the code words it today. */
const REFUSALS: readonly (readonly [string, () => string])[] = [
  ['not the next step', () => refusal(atFirst, THIRD, atFirst.images!)],
  ['the bake is not over', () => refusal(position(FIRST, undefined, 3 * HOUR_MS), SECOND, atFirst.images!)],
  ['the rollback alarm fired during the bake', () => refusal(atFirst, SECOND, atFirst.images!, { rollbackAlarmFiredSinceStepStart: true })],
  ['green has no healthy target', () => refusal(atFirst, SECOND, atFirst.images!, { greenHealthyTargets: 0 })],
  ['the rollback alarm cannot be read', () => refusal(atFirst, SECOND, atFirst.images!, { rollbackAlarmFound: false })],
  ['the rollback alarm is in ALARM now', () => refusal(atFirst, SECOND, atFirst.images!, { rollbackAlarmInAlarm: true })],
  ['a rollback is not acknowledged', () => refusal(rolledBack, FIRST, atFirst.images!)],
  [
    'green lost its share to an unrecorded rollback',
    () => refusal(atSecond, SECOND, atSecond.images!, { rollbackAlarmFiredSinceStepStart: true }, serving(LOST_SHARE)),
  ],
  ['a new green image while green serves', () => refusal(atSecond, SECOND, { blue: V1, green: V3 })],
  ['a blue image that is not a promotion', () => refusal(atSecond, SECOND, { blue: V3, green: V2 })],
  ['a promotion before 100 %', () => refusal(atThird, THIRD, { blue: V2, green: V2 })],
  ['a promotion before the bake at 100 % is over', () => refusal(position(LAST, undefined, 3 * HOUR_MS), LAST, { blue: V2, green: V2 })],
  ['a promotion after the rollback alarm', () => refusal(position(LAST), LAST, { blue: V2, green: V2 }, { rollbackAlarmFiredSinceStepStart: true })],
  ['a promotion with the rollback alarm unreadable', () => refusal(position(LAST), LAST, { blue: V2, green: V2 }, { rollbackAlarmFound: false })],
  ['both images at once', () => refusal(atSecond, SECOND, { blue: V3, green: V3 })],
  [
    'a missing API key',
    () =>
      keyCheckRefusal('prod', keyParameterProblems({ envName: 'prod', parameters: { secondary: environmentNames('prod').parameters.secondaryApiKey } }, [])),
  ],
  [
    'an image parameter that breaks the rules',
    () => imageParameterConstraint(imageRules({ blue: ECR_EXAMPLE_IMAGE, green: ECR_EXAMPLE_IMAGE }, true).green).constraintDescription,
  ],
];

/** How much of a quote must be the message's own words, so that a quote cannot match every refusal at once. */
const MIN_QUOTED_CHARACTERS = 50;

/** Whether `quote` (where `…` stands for what varies) is the start of `message`, with enough of its own words. */
function quotesStartOf(quote: string, message: string): boolean {
  if (quote.replace(/…/g, '').length < MIN_QUOTED_CHARACTERS) return false;
  const pattern = quote
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(`^${pattern}`, 's').test(message);
}

describe('the refusals it quotes are the code’s own words', () => {
  const quotes = snippets(section(RUNBOOK, 'When a deploy is refused'))
    .filter((snippet) => snippet.block === 'text')
    .map((snippet) => snippet.text.trim());

  test.each(REFUSALS)('%s', (_, message) => {
    const text = message();
    const quoted = quotes.some((quote) => quotesStartOf(quote, text));
    // The message today, so the runbook can be brought up to date from the failure.
    expect(quoted ? 'quoted' : `not quoted; the message now reads: ${text}`).toBe('quoted');
  });

  test('a quote with a changed word does not pass', () => {
    const text = REFUSALS[0][1]();
    expect(quotesStartOf(text.replace('one step', 'two steps'), text)).toBe(false);
    expect(quotesStartOf(text, text)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Alarms.

/** The composite alarm that rolls green back, by the name its entry uses. */
const COMPOSITE = environmentNames('<env>').rollbackAlarm.slice(environmentNames('<env>').alarmPrefix.length);

/** The rows of a markdown table under a header line that starts with `| <first> |`, as cells. */
function tableRows(markdown: string, first: string): string[][] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => line.startsWith(`| ${first} |`));
  if (header < 0) throw new Error(`no table starting with "| ${first} |"`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('every alarm has its entry in the runbook', () => {
  const alarms = section(RUNBOOK, 'Alarms');
  const glance = tableRows(subsection(alarms, 'Every alarm at a glance'), 'alarm');
  const byName = new Map(glance.map((cells) => [/^\[([A-Z0-9_]+)\]/.exec(cells[0])?.[1] ?? cells[0], cells] as const));
  const fastAlarms = THRESHOLDS.flatMap((row) => {
    const fast = fastRollbackOf(row);
    return fast ? [[fast.name, row, fast] as const] : [];
  });
  const expected = [...THRESHOLDS.map((row) => row.name), ...fastAlarms.map(([name]) => name), COMPOSITE];

  test('the table at a glance lists every alarm of the thresholds table, the fast rollback alarms and the composite, and nothing else', () => {
    expect([...byName.keys()].sort()).toEqual([...expected].sort());
  });

  test.each(THRESHOLDS.map((row) => [row.name, row] as const))('%s: fires when, judged over, for, severity and rollback are the table’s', (name, row) => {
    const cells = byName.get(name);
    expect(cells?.slice(1)).toEqual([firesWhen(row), judgedOver(row), SCOPE_WORDS[row.scope], row.severity, row.rollsGreenBack ? 'yes' : 'no']);
  });

  test.each(fastAlarms)('%s: fires when as its row, judged over its 10 s periods, green only, no notification, rolls back', (name, row, fast) => {
    expect(byName.get(name)?.slice(1)).toEqual([
      firesWhen(row),
      `${fast.datapointsToAlarm} of ${fast.evaluationPeriods} × ${fast.periodSeconds} s`,
      'green',
      'none of its own',
      'yes',
    ]);
  });

  test.each(expected)('%s has an entry, linked from the table, that starts with its severity', (name) => {
    expect(byName.get(name)?.[0]).toBe(`[${name}](#${anchor(name)})`);
    const entry = subsection(alarms, name);
    const row = THRESHOLDS.find((r) => r.name === name);
    if (row) expect(entry.split('\n')[2]).toMatch(new RegExp(`^\\*\\*${row.severity}\\*\\*`));
    expect(entry).toMatch(/\*\*First\*\*/);
    expect(entry).toMatch(/\*\*Guide\*\*/);
  });

  test('who hears what is the severity routing of the thresholds table', () => {
    const rows = tableRows(subsection(alarms, 'Who hears what'), 'severity');
    const yesNo = (value: boolean) => (value ? 'yes' : 'no');
    expect(rows.map((cells) => cells.slice(0, 5))).toEqual(
      SEVERITIES.map((severity) => {
        const route = SEVERITY_ROUTING[severity];
        return [severity, yesNo(route.pagerDuty), yesNo(route.slack), yesNo(route.email), yesNo(route.notifyOnRecovery)];
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Links.

describe('the runbook finds its way', () => {
  const own = headings(RUNBOOK);

  test('its table of contents links every section', () => {
    const contents = section(RUNBOOK, 'Contents');
    const unlisted = own.filter((h) => h.level === 2 && h.text !== 'Contents' && !contents.includes(`](#${anchor(h.text)})`)).map((h) => h.text);
    expect(unlisted).toEqual([]);
  });

  test('every link leads to a file of the repository, and to a heading of it', () => {
    const broken = [...RUNBOOK.matchAll(/\]\(([^)\s]*)\)/g)].flatMap(([, target]) => {
      if (/^https?:/.test(target)) return [];
      const [file, fragment] = target.split('#');
      const resolved = file ? path.join(ROOT, path.dirname(RUNBOOK_FILE), file) : path.join(ROOT, RUNBOOK_FILE);
      if (!fs.existsSync(resolved)) return [`${target}: no such file`];
      if (fragment === undefined) return [];
      const anchors = headings(fs.readFileSync(resolved, 'utf8')).map((h) => anchor(h.text));
      return anchors.includes(fragment) ? [] : [`${target}: no such heading`];
    });
    expect(broken).toEqual([]);
  });

  test('every path it names exists', () => {
    const named = [...RUNBOOK.matchAll(/`((?:[\w.-]+\/)+[\w.-]+\.\w+)`/g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !fs.existsSync(path.join(ROOT, name)))).toEqual([]);
  });
});
