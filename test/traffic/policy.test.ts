/**
 * The rollout policy alone, one row per rule: what a deploy may do to green's share, given the
 * record, the live listener and (only when the policy asks for it) green's health and the rollback
 * alarm. Steps and bake hours come from each environment's configured rollout, never copies.
 */
import { loadConfig } from '../../lib/config/load-config';
import { PRODUCTION_ROLLOUT } from '../../lib/guides';
import {
  alreadyRolledBack,
  decideDeploy,
  DeployDecision,
  DeployFacts,
  DeployOrigin,
  evidenceNeeded,
  FOUND_BY_A_DEPLOY,
  RiseEvidence,
  RolloutPolicy,
} from '../../common/traffic/policy';
import { ChangeKind, initialState, recordChange, recordRollback, TrafficState } from '../../common/traffic/state';
import { LiveWeights } from '../../common/traffic/weights';
import { environmentContext } from '../support/context';
import { serving } from './positions';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = new Date('2026-11-21T10:00:00.000Z');
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/boop/abc/def';
const OTHER_LISTENER = LISTENER.replace('/def', '/old');
const BY = 'CloudFormation stack test';

/** Production's rollout: the migration guide's staged deployment, prod's default. */
const PROD: RolloutPolicy = PRODUCTION_ROLLOUT;
/** Dev's rollout as the app configures it (cdk.json over the defaults). */
const DEV: RolloutPolicy = loadConfig({ context: environmentContext('dev') }).rollout;
const [FIRST, SECOND, THIRD] = PROD.steps;
const LAST = PROD.steps[PROD.steps.length - 1];
/** A share between the first two steps: not a step. */
const NOT_A_STEP = FIRST + 1;
const BAKE = PROD.bakeTimeHours * HOUR;
const AFTER_BAKE = BAKE + MINUTE;
const MID_BAKE = BAKE / 2;
const BAKE_ALMOST_OVER = BAKE - MINUTE;

/** Green's health and the rollback alarm as AWS would report them. */
const CLEAN: RiseEvidence = { greenHealthyTargets: 1, rollbackAlarmFound: true, rollbackAlarmInAlarm: false, rollbackAlarmFiredSinceStepStart: false };

/** Every kind of answer AWS could give, from all clear to the worst, for rules that hold whatever it says. */
const ANY_WORLD: readonly (readonly [string, RiseEvidence])[] = [
  ['all clear', CLEAN],
  ['rollback alarm in ALARM now', { ...CLEAN, rollbackAlarmInAlarm: true, rollbackAlarmFiredSinceStepStart: true }],
  ['rollback alarm fired during the bake, green unhealthy', { ...CLEAN, rollbackAlarmFiredSinceStepStart: true, greenHealthyTargets: 0 }],
  ['rollback alarm unreadable', { ...CLEAN, rollbackAlarmFound: false }],
];

/** The template's action, which CloudFormation writes back on any listener update: blue 100 / green 0. */
const TEMPLATE: LiveWeights = { greenPercent: 0, blueAlone: false, stickinessEnabled: false };

/** A record with green at `share` since `sinceMs` ago, on the controller's listener. */
function recorded(share: number, sinceMs = AFTER_BAKE, extra: Partial<TrafficState> = {}): TrafficState {
  const started = new Date(NOW.getTime() - sinceMs);
  const base = { ...initialState(started), listenerArn: LISTENER };
  const state = share === 0 ? base : recordChange(base, { at: started.toISOString(), by: BY, why: 'earlier step', from: 0, to: share, kind: 'deploy' }, share);
  return { ...state, ...extra };
}

/** An unacknowledged rollback of green from `share`, an hour ago. */
function rolledBackFrom(share: number): TrafficState {
  const at = new Date(NOW.getTime() - HOUR).toISOString();
  return recorded(0, HOUR, {
    lastRollback: { trigger: 'boop-prod-GREEN_ROLLBACK', why: 'Threshold Crossed', by: 'automatic rollback', fromGreenPercent: share, at, triggeredAt: at },
  });
}

interface Row {
  readonly rule: string;
  /** @default PROD */
  readonly policy?: RolloutPolicy;
  readonly stored: TrafficState;
  /** @default serving(stored.greenPercent) */
  readonly live?: LiveWeights;
  readonly ask: number;
  readonly override?: string;
  /** @default 'user-deploy' */
  readonly origin?: DeployOrigin;
  readonly created?: boolean;
  /** What AWS would answer if the policy asked; 'any' decides the row once per ANY_WORLD answer, passed whether asked or not. @default CLEAN */
  readonly world?: Partial<RiseEvidence> | 'any';
  readonly expected: Expected;
}

type Expected =
  | { readonly change: ChangeKind; readonly to: number; readonly records?: object }
  | { readonly keep: RegExp; readonly records?: object | 'nothing' }
  | { readonly refuse: RegExp; readonly putBlueAlone?: boolean; readonly records?: object | 'nothing' };

function factsOf(row: Row): DeployFacts {
  return {
    stored: row.stored,
    live: row.live ?? serving(row.stored.greenPercent),
    listenerArn: LISTENER,
    request: { intent: row.ask, overrideReason: row.override },
    origin: row.origin ?? 'user-deploy',
    created: row.created,
    requestedBy: BY,
    now: NOW,
  };
}

/** A row as decided once: with `told`, that evidence is passed whether the policy asks for it or not. */
type Case = Row & { readonly told?: RiseEvidence };

/** Decides as the controller does (evidence only when the policy asks for it), unless the case tells the policy anyway. */
function decide(row: Case): DeployDecision {
  const facts = factsOf(row);
  const asked = evidenceNeeded(facts) && row.world !== 'any' ? { ...CLEAN, ...row.world } : undefined;
  return decideDeploy(facts, row.policy ?? PROD, row.told ?? asked);
}

const rows: Row[] = [
  {
    rule: 'first step from 0',
    stored: recorded(0),
    ask: FIRST,
    expected: { change: 'deploy', to: FIRST, records: { greenPercent: FIRST, intent: FIRST, stepStartedAt: NOW.toISOString() } },
  },
  { rule: 'next step after the bake', stored: recorded(FIRST, AFTER_BAKE), ask: SECOND, expected: { change: 'deploy', to: SECOND } },
  {
    rule: 'next step the moment the bake ends ("allowed from" that time)',
    stored: recorded(FIRST, BAKE),
    ask: SECOND,
    expected: { change: 'deploy', to: SECOND },
  },
  {
    rule: 'too early: the bake is not over',
    stored: recorded(FIRST, BAKE_ALMOST_OVER),
    ask: SECOND,
    expected: {
      refuse: new RegExp(
        `the bake at ${FIRST} %.* is not over; the next step is allowed from ${new Date(NOW.getTime() - BAKE_ALMOST_OVER + BAKE).toISOString()}`,
      ),
      records: 'nothing',
    },
  },
  { rule: 'skipping a step', stored: recorded(FIRST, AFTER_BAKE), ask: THIRD, expected: { refuse: new RegExp(`from ${FIRST} % the next step is ${SECOND}`) } },
  { rule: 'a value that is not a step', stored: recorded(0), ask: NOT_A_STEP, expected: { refuse: new RegExp(`from 0 % the next step is ${FIRST}`) } },
  {
    rule: 'a bake in which the rollback alarm fired',
    stored: recorded(FIRST, AFTER_BAKE),
    ask: SECOND,
    world: { rollbackAlarmFiredSinceStepStart: true },
    expected: { refuse: /rollback alarm was in ALARM during the bake/ },
  },
  {
    rule: 'a rise to a green without a healthy target',
    stored: recorded(0),
    ask: FIRST,
    world: { greenHealthyTargets: 0 },
    expected: { refuse: /green has no healthy target/ },
  },
  {
    rule: 'a rise while the rollback alarm is in ALARM',
    stored: recorded(FIRST, AFTER_BAKE),
    ask: SECOND,
    world: { rollbackAlarmInAlarm: true },
    expected: { refuse: /rollback alarm is in ALARM now/ },
  },
  {
    rule: 'lowering mid-bake, whatever the alarm says',
    stored: recorded(SECOND, MID_BAKE),
    ask: FIRST,
    world: 'any',
    expected: { change: 'deploy', to: FIRST },
  },
  { rule: '0 is always allowed, whatever the alarm says', stored: recorded(THIRD, MINUTE), ask: 0, world: 'any', expected: { change: 'deploy', to: 0 } },
  {
    rule: 'an override skips steps and bake',
    stored: recorded(FIRST, MID_BAKE),
    ask: LAST,
    override: 'INC-42',
    expected: { change: 'override', to: LAST, records: { changes: [{ kind: 'override', why: 'override: INC-42' }, { to: FIRST }] } },
  },
  {
    rule: 'an override skips the alarm history',
    stored: recorded(FIRST, AFTER_BAKE),
    ask: SECOND,
    override: 'INC-42',
    world: { rollbackAlarmFiredSinceStepStart: true },
    expected: { change: 'override', to: SECOND },
  },
  {
    rule: 'an override never skips a healthy target',
    stored: recorded(0),
    ask: FIRST,
    override: 'INC-42',
    world: { greenHealthyTargets: 0 },
    expected: { refuse: /green has no healthy target/ },
  },
  {
    rule: 'an override never skips a firing rollback alarm',
    stored: recorded(FIRST),
    ask: LAST,
    override: 'INC-42',
    world: { rollbackAlarmInAlarm: true },
    expected: { refuse: /rollback alarm is in ALARM now/ },
  },
  {
    rule: 'an override never skips a readable rollback alarm',
    stored: recorded(0),
    ask: FIRST,
    override: 'INC-42',
    world: { rollbackAlarmFound: false },
    expected: { refuse: /rollback alarm cannot be read/ },
  },
  {
    rule: 'the same share with the listener as recorded changes nothing',
    stored: recorded(FIRST),
    ask: FIRST,
    expected: { keep: new RegExp(`green stays at ${FIRST} %`), records: 'nothing' },
  },
  {
    rule: "restore: CloudFormation's rollback may lower green",
    origin: 'cloudformation-rollback',
    stored: recorded(SECOND),
    ask: FIRST,
    expected: { change: 'restore', to: FIRST },
  },
  {
    rule: "restore: CloudFormation's rollback never raises green",
    origin: 'cloudformation-rollback',
    stored: recorded(FIRST),
    ask: SECOND,
    expected: { keep: new RegExp(`never raises green, which stays at ${FIRST} %`) },
  },
  {
    rule: "restore: CloudFormation's rollback to the share green already has changes nothing",
    origin: 'cloudformation-rollback',
    stored: recorded(SECOND),
    ask: SECOND,
    expected: { keep: new RegExp(`green, which stays at ${SECOND} %`), records: 'nothing' },
  },
  {
    rule: "restore: CloudFormation's rollback that finds blue alone records no rollback (only a user's deploy does)",
    origin: 'cloudformation-rollback',
    stored: recorded(SECOND),
    live: serving(0),
    ask: SECOND,
    expected: { keep: /green, which stays at 0 %/, records: 'nothing' },
  },
  {
    rule: 'restore: never puts back a share a listener reset took',
    origin: 'cloudformation-rollback',
    stored: recorded(SECOND),
    live: TEMPLATE,
    ask: SECOND,
    expected: { keep: /never raises green, which stays at 0 %/ },
  },
  {
    rule: 'after a rollback, green > 0 waits for GreenPercent=0, override or not',
    stored: rolledBackFrom(SECOND),
    ask: FIRST,
    override: 'INC-42',
    expected: { refuse: /rolled back to blue at .* deploy once with --parameters GreenPercent=0/, records: 'nothing' },
  },
  {
    rule: 'GreenPercent=0 acknowledges a rollback',
    stored: rolledBackFrom(SECOND),
    ask: 0,
    expected: { keep: /acknowledges the rollback/, records: { lastRollback: { acknowledgedAt: NOW.toISOString() } } },
  },
  {
    rule: 'GreenPercent=0 acknowledges a rollback and puts blue alone back if the listener gives green traffic again',
    stored: rolledBackFrom(SECOND),
    live: serving(FIRST),
    ask: 0,
    expected: { change: 'deploy', to: 0, records: { greenPercent: 0, lastRollback: { acknowledgedAt: NOW.toISOString() } } },
  },
  {
    rule: 'unrecorded rollback: blue alone while the record gives green traffic',
    stored: recorded(SECOND),
    live: serving(0),
    ask: SECOND,
    expected: {
      refuse: new RegExp(`by ${FOUND_BY_A_DEPLOY} .*--parameters GreenPercent=0`),
      putBlueAlone: false,
      records: { greenPercent: 0, lastRollback: { trigger: FOUND_BY_A_DEPLOY, fromGreenPercent: SECOND } },
    },
  },
  {
    rule: 'unrecorded rollback found by GreenPercent=0 is recorded and acknowledged at once',
    stored: recorded(SECOND),
    live: serving(0),
    ask: 0,
    expected: {
      keep: /acknowledges the rollback/,
      records: { greenPercent: 0, lastRollback: { trigger: FOUND_BY_A_DEPLOY, acknowledgedAt: NOW.toISOString() } },
    },
  },
  {
    rule: 'listener reset: the recorded share is re-applied',
    stored: recorded(SECOND, MID_BAKE),
    live: TEMPLATE,
    ask: SECOND,
    expected: { change: 'reapply', to: SECOND, records: { stepStartedAt: new Date(NOW.getTime() - MID_BAKE).toISOString() } },
  },
  {
    rule: 're-apply guard: the alarm fired since the share began, so blue alone stays as a rollback',
    stored: recorded(SECOND),
    live: TEMPLATE,
    ask: SECOND,
    world: { rollbackAlarmFiredSinceStepStart: true },
    expected: { refuse: /a rollback that was not recorded/, putBlueAlone: false, records: { greenPercent: 0, lastRollback: { fromGreenPercent: 0 } } },
  },
  {
    rule: 're-apply guard: another writer lowered green while the alarm is in ALARM, so blue alone is written',
    stored: recorded(THIRD),
    live: serving(FIRST),
    ask: THIRD,
    world: { rollbackAlarmInAlarm: true },
    expected: { refuse: /a rollback that was not recorded/, putBlueAlone: true, records: { greenPercent: 0, lastRollback: { fromGreenPercent: FIRST } } },
  },
  {
    rule: 're-apply guard: the rollback alarm cannot be read',
    stored: recorded(SECOND),
    live: TEMPLATE,
    ask: SECOND,
    world: { rollbackAlarmFound: false },
    expected: { refuse: /rollback alarm cannot be read/, putBlueAlone: false, records: 'nothing' },
  },
  {
    rule: 'a new stack (a Create on another listener) starts a new rollout, keeping the history',
    created: true,
    stored: recorded(SECOND, MINUTE, { listenerArn: OTHER_LISTENER }),
    live: TEMPLATE,
    ask: FIRST,
    expected: { change: 'deploy', to: FIRST, records: { listenerArn: LISTENER, greenPercent: FIRST, changes: [{ from: 0, to: FIRST }, { to: SECOND }] } },
  },
  {
    rule: "a new stack starts at the first step, not at the old stack's share",
    created: true,
    stored: recorded(SECOND, AFTER_BAKE, { listenerArn: OTHER_LISTENER }),
    live: TEMPLATE,
    ask: SECOND,
    expected: { refuse: new RegExp(`from 0 % the next step is ${FIRST}`) },
  },
  {
    rule: 'a renamed resource (a Create on the same listener) keeps everything, an unacknowledged rollback included',
    created: true,
    stored: rolledBackFrom(SECOND),
    ask: FIRST,
    expected: { refuse: /rolled back to blue at .* deploy once with --parameters GreenPercent=0/, records: 'nothing' },
  },
  {
    rule: 'an update (not a Create) keeps the rollout even when the record names another listener',
    stored: recorded(SECOND, MID_BAKE, { listenerArn: OTHER_LISTENER }),
    ask: SECOND,
    expected: {
      keep: new RegExp(`green stays at ${SECOND} %`),
      records: { listenerArn: LISTENER, stepStartedAt: new Date(NOW.getTime() - MID_BAKE).toISOString() },
    },
  },
  { rule: `production steps: 0 → ${LAST} % is refused`, stored: recorded(0), ask: LAST, expected: { refuse: new RegExp(`the next step is ${FIRST}`) } },
  {
    rule: `dev steps: 0 → ${DEV.steps[0]} % in one step`,
    policy: DEV,
    stored: recorded(0),
    ask: DEV.steps[0],
    expected: { change: 'deploy', to: DEV.steps[0] },
  },
];

/** Each row once; a row that holds whatever AWS says, once per answer. */
const cases: Case[] = rows.flatMap((row) =>
  row.world === 'any' ? ANY_WORLD.map(([answer, told]) => ({ ...row, rule: `${row.rule} (${answer})`, told })) : [row],
);

test.each(cases)('$rule', (row) => {
  const decision = decide(row);
  const { expected } = row;
  if ('change' in expected) {
    expect(decision).toMatchObject({
      outcome: 'change',
      change: { kind: expected.change, from: factsOf(row).live.greenPercent, to: expected.to, at: NOW.toISOString(), by: BY },
    });
  } else if ('keep' in expected) {
    expect(decision).toMatchObject({ outcome: 'keep', why: expect.stringMatching(expected.keep) });
  } else {
    expect(decision).toMatchObject({ outcome: 'refuse', message: expect.stringMatching(expected.refuse) });
    if (expected.putBlueAlone !== undefined) expect(decision).toMatchObject({ putBlueAlone: expected.putBlueAlone });
  }
  if (expected.records === 'nothing') expect(decision.record).toBeUndefined();
  else if (expected.records) expect(decision.record).toMatchObject(expected.records);
});

describe('evidence about green and the rollback alarm', () => {
  const asked = (row: Omit<Row, 'expected'>) => evidenceNeeded(factsOf({ ...row, expected: { keep: /./ } }));

  test.each([
    { rule: 'a rise from 0 needs it, with no alarm history (green served nothing)', stored: recorded(0), ask: FIRST, history: 'none' },
    { rule: 'a rise from a step needs the alarm history since the step began', stored: recorded(FIRST, AFTER_BAKE), ask: SECOND, history: AFTER_BAKE },
    { rule: 'a re-apply after a listener reset needs it', stored: recorded(SECOND, MID_BAKE), live: TEMPLATE, ask: SECOND, history: MID_BAKE },
    { rule: 'a lower share than recorded but above the live one needs it', stored: recorded(THIRD, MID_BAKE), live: TEMPLATE, ask: FIRST, history: MID_BAKE },
  ] as const)('$rule', ({ history, ...row }) => {
    expect(asked(row)).toEqual(history === 'none' ? {} : { alarmHistorySince: new Date(NOW.getTime() - history) });
  });

  test.each([
    { rule: 'a fall', stored: recorded(SECOND), ask: FIRST },
    { rule: 'the same share, as the listener serves it', stored: recorded(SECOND), ask: SECOND },
    {
      rule: "CloudFormation's rollback, even after a listener reset",
      stored: recorded(SECOND),
      live: TEMPLATE,
      ask: SECOND,
      origin: 'cloudformation-rollback' as const,
    },
    { rule: 'a deploy after a rollback', stored: rolledBackFrom(SECOND), ask: FIRST },
    { rule: 'a deploy that finds a rollback nobody recorded', stored: recorded(SECOND), live: serving(0), ask: THIRD },
  ])('$rule does not need it', (row) => {
    expect(asked(row)).toBeUndefined();
  });

  test('a decision that needs it and does not get it is a programming error, not a guess', () => {
    const facts = factsOf({ rule: 'rise', stored: recorded(0), ask: FIRST, expected: { keep: /./ } });
    expect(() => decideDeploy(facts, PROD)).toThrow(/needs the evidence/);
  });
});

describe('which alarm events belong to an episode that already rolled back', () => {
  const ALARM = 'boop-prod-GREEN_ROLLBACK';
  const episodeAt = new Date(NOW.getTime() - 10 * MINUTE);
  /** Rolled back for the episode that began at episodeAt, recorded `recordedAfter` later by the function's clock. */
  const rolledBack = (recordedAfter: number): TrafficState =>
    recordRollback(initialState(episodeAt), {
      trigger: ALARM,
      why: 'test',
      by: 'automatic rollback (EventBridge)',
      fromGreenPercent: FIRST,
      at: new Date(episodeAt.getTime() + recordedAfter).toISOString(),
      triggeredAt: episodeAt.toISOString(),
    });

  test.each([
    ['the same episode again (a redelivered event)', 0, true],
    ['an older episode, delivered late', -MINUTE, true],
    ['a later episode', MINUTE, false],
  ])('%s: already rolled back is %s, however far the function clock ran ahead of CloudWatch', (_case, sinceEpisode, expected) => {
    for (const skew of [0, 5 * MINUTE, HOUR]) {
      expect(alreadyRolledBack(rolledBack(skew), ALARM, new Date(episodeAt.getTime() + sinceEpisode))).toBe(expected);
    }
  });

  test('a manual rollback always runs', () => {
    expect(alreadyRolledBack(rolledBack(0), 'manual', episodeAt)).toBe(false);
  });

  test('with no rollback recorded, nothing is a duplicate', () => {
    expect(alreadyRolledBack(initialState(episodeAt), ALARM, episodeAt)).toBe(false);
  });
});
