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
import { ROLLOUT_OVERRIDE_CONTEXT } from '../cli/rollout-args';
import { imageParameterConstraint, imageRules } from '../common/images';
import { keyParameterProblems } from '../common/keys/parameter-check';
import { environmentNames } from '../common/names';
import { planDeploy } from '../common/traffic/plan';
import { RiseEvidence } from '../common/traffic/policy';
import { recordRollback, SlotImages, TrafficState } from '../common/traffic/state';
import { keyCheckRefusal } from '../lambda/key-check/check';
import { PRODUCTION_ROLLOUT } from '../lib/guides';
import { SCOPE_WORDS } from './alarm-tables';
import { fastRollbackOf, firesWhen, judgedOver, SEVERITIES, SEVERITY_ROUTING, THRESHOLDS } from '../lib/monitoring/thresholds';
import { CLIS, commandProblems, snippets } from './support/commands';
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
    expect(all.flatMap((snippet) => commandProblems(RUNBOOK_FILE, snippet))).toEqual([]);
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
    expect(commandProblems(RUNBOOK_FILE, { line: 1, text: command, block: 'bash' })).not.toEqual([]);
  });

  test('a correct command passes', () => {
    const commands = [
      'npm run rollout -- plan --env prod --green-percent 0 --green-image <image>',
      'npm run keys -- restart --env prod --slot green --timeout-minutes 30',
      `npx cdk deploy -c env=prod -c ${ROLLOUT_OVERRIDE_CONTEXT}="INC-1" --parameters GreenImage=<image> --parameters GreenPercent=0`,
    ];
    expect(commands.flatMap((text) => commandProblems(RUNBOOK_FILE, { line: 1, text, block: 'bash' }))).toEqual([]);
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
