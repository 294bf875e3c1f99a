/**
 * The hands-free rollout (issue 25, rollout.autoAdvance) with time that moves, against a small
 * reference model. Generated sequences of what happens to a stack: deploys as CloudFormation runs them
 * (test/traffic/stack-deploy.ts: a new target, the same one, a lower one, a single step, a share that is
 * not a step, GreenPercent=0 acknowledging a rollback, a deploy that leaves GreenPercent alone, with and
 * without an override, a listener update, or another resource failing so CloudFormation rolls it back), ticks (on time, twice, late, forged with fields of their
 * own, while the stack is updating), the rollback alarm (firing, its event delivered at once, twice or
 * late; clearing; unreadable), green's health, pauses, resumes, manual rollbacks, and time passing from
 * a minute to days. Everything enters through the entry point (`route`).
 *
 * The reference is independent of the policy: it restates the rules (a rise goes to the next configured
 * step, after the bake at the current one, to a healthy green, with the rollback alarm readable, not in
 * ALARM and not entered since the step began; nothing rises while a rollback is unacknowledged) and the
 * hands-free semantics of docs/design.md "Hands-free rollout", without calling decideDeploy or decideTick.
 *
 * After every step the controller's record, listener and notices are the model's, and:
 * - green's share (the record's, which the listener serves) only rises at a tick or a deploy, by exactly
 *   one configured step, and only when the reference says a deploy of that step would be accepted then
 *   (an override deploy aside, which goes to its target when green is healthy and the alarm readable and quiet);
 *   the listener's share rises only to a share the controller has recorded;
 * - green never serves more than the target nor more than the stack's GreenPercent;
 * - a rollback wins: until a GreenPercent=0 deploy succeeds, green serves nothing, whatever ticks come;
 * - a deploy that keeps the target (and has no override) moves the recorded share neither way;
 * - a tick never lowers green, and a paused or stopped walk never advances at a tick;
 * - a tick writes the record only to advance, to stop, or to wait for a new reason.
 * A failing case prints its seed and path: add the sequence it found to REGRESSIONS.
 * Then one whole ladder, deployed once and walked by the ticks alone over simulated days.
 */
import fc from 'fast-check';
import { numRuns } from '../support/properties';
import { TICK_ACTION } from '../../common/payloads';
import { HANDS_FREE_BY, TICK_INTERVAL_MINUTES } from '../../common/traffic/hands-free';
import { rollbackUnacknowledged } from '../../common/traffic/state';
import { PAGE_SUBJECTS } from '../../lambda/traffic/controller';
import { route } from '../../lambda/traffic/route';
import { FakeAws, HANDS_FREE_SETTINGS, rollbackAlarmEvent } from './fake-aws';
import { SimulatedStack } from './stack-deploy';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const { steps, bakeTimeHours } = HANDS_FREE_SETTINGS.policy;
const BAKE = bakeTimeHours * HOUR;
const ENV = HANDS_FREE_SETTINGS.envName;
const NOTICE_TOPIC = HANDS_FREE_SETTINGS.noticeTopicArn;
/** Every action takes a minute of the model's clock, so no two alarm transitions or steps share an instant. */
const ACTION_MS = MINUTE;
/** Later than the machine's clock: a manual rollback is stamped by it (route), so any simulated alarm is newer. */
const START = Date.parse('2031-01-06T09:00:00.000Z');
const IMAGES = { blue: 'registry.example/boop-integration:1.0.0', green: 'registry.example/boop-integration:1.0.0' };
const OPERATOR = 'arn:aws:sts::111122223333:assumed-role/ops/alice';

/** The configured step after `share`. */
const stepAfter = (share: number): number | undefined => steps.find((step) => step > share);

type TickHow = 'on-time' | 'twice' | 'late' | 'forged' | 'mid-update';

type Action =
  | { kind: 'deploy'; intent: number | null; override: boolean; listenerChange: boolean; otherResourceFails: boolean }
  | { kind: 'tick'; how: TickHow; lateMinutes: number }
  | { kind: 'wait'; minutes: number }
  | { kind: 'alarm'; delivery: 'at-once' | 'twice' | 'late' }
  | { kind: 'deliver-late' }
  | { kind: 'clear' }
  | { kind: 'health'; healthy: boolean }
  | { kind: 'alarm-readable'; readable: boolean }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'manual-rollback' };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 14,
    arbitrary: fc.record({
      kind: fc.constant('deploy' as const),
      intent: fc.oneof(
        { weight: 3, arbitrary: fc.constant(0) },
        { weight: 3, arbitrary: fc.constantFrom(...steps) },
        { weight: 4, arbitrary: fc.constant(steps[steps.length - 1]) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 99 }) },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
      override: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      listenerChange: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      otherResourceFails: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }),
  },
  {
    weight: 18,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      how: fc.constantFrom<TickHow>('on-time', 'on-time', 'twice', 'late', 'late', 'forged', 'mid-update'),
      lateMinutes: fc.integer({ min: 60, max: 3 * 24 * 60 }),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      minutes: fc.oneof(
        fc.integer({ min: 1, max: 120 }),
        { weight: 2, arbitrary: fc.constant(bakeTimeHours * 60 + 1) },
        fc.integer({ min: 2 * 24 * 60, max: 4 * 24 * 60 }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('alarm' as const), delivery: fc.constantFrom('at-once' as const, 'twice' as const, 'late' as const) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deliver-late' as const) }) },
  // A fault is short-lived: the action that ends it is likelier than the one that starts it.
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('health' as const), healthy: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, fc.constant(false)) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('alarm-readable' as const), readable: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, fc.constant(false)) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pause' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resume' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('manual-rollback' as const) }) },
);

/** The rules and the hands-free semantics, kept as plainly as possible. */
class Model {
  /** Green's share as the listener serves it (0 for the template's blue 100 / green 0). */
  live = 0;
  /** Green's share as the record has it. */
  recorded = 0;
  stepStartedAt: number;
  /** A rollback is recorded and no GreenPercent=0 deploy has acknowledged it. */
  unacknowledged = false;
  /** When the last recorded rollback was triggered; a manual one is older than any simulated alarm (START). */
  lastTriggeredAt?: number;
  /** The hands-free target, whether the walk is stopped, and the reason of the wait last recorded. */
  target = 0;
  stopped = false;
  waiting?: string;
  /** The stack's GreenPercent and RolloutOverride, as the last successful deploy left them. */
  parameter = 0;
  override = '';
  alarm: 'OK' | 'ALARM' = 'OK';
  readonly alarmEntered: number[] = [];
  readable = true;
  healthy = true;
  /** Notices expected on the notice topic since the last check. */
  notices: string[] = [];
  /** Record writes expected from the ticks since the last check. */
  tickWrites = 0;

  constructor(readonly now: () => number) {
    this.stepStartedAt = now();
  }

  /** The rollback alarm entered ALARM from `since` to now. */
  private firedSince(since: number): boolean {
    return this.alarmEntered.some((at) => at >= since && at <= this.now());
  }

  /** The evidence is clean: a healthy green, the alarm readable, not in ALARM, and (from a step above 0) not entered since the step began. */
  private clean(): boolean {
    return this.healthy && this.readable && this.alarm !== 'ALARM' && !(this.recorded > 0 && this.firedSince(this.stepStartedAt));
  }

  /** The independent reference: would a deploy of the next step be accepted now? */
  riseAccepted(): boolean {
    if (this.unacknowledged || stepAfter(this.recorded) === undefined) return false;
    const bakeOver = this.recorded === 0 || this.now() >= this.stepStartedAt + BAKE;
    return bakeOver && this.clean();
  }

  /** What an override may skip: step, bake and alarm history; never health, a readable alarm, or one in ALARM. */
  overrideAccepted(): boolean {
    return !this.unacknowledged && this.healthy && this.readable && this.alarm !== 'ALARM';
  }

  private setShare(share: number): void {
    if (share !== this.recorded) this.stepStartedAt = this.now();
    this.recorded = share;
    this.live = share;
  }

  /** The target after a user's deploy that asked for `target` and left green at `share`. */
  private setTarget(target: number, share: number): void {
    if (target > this.target || target <= share) {
      this.target = target;
      this.stopped = false;
      this.waiting = undefined;
    } else if (target < this.target) {
      this.target = target;
      this.stopped = true;
      this.waiting = undefined;
    }
  }

  private recordRollback(triggeredAt: number): void {
    this.unacknowledged = true;
    this.lastTriggeredAt = triggeredAt;
    if (this.recorded !== 0) this.stepStartedAt = this.now();
    this.recorded = 0;
    this.live = 0;
  }

  /** CloudFormation's update of the listener writes the template's action. */
  private resetListener(): void {
    this.live = 0;
  }

  /** A user's deploy as CloudFormation runs it: the release guard, the listener, the weights, and the rollback of a failed update. */
  deploy(intent: number, override: string, listenerChange: boolean, otherResourceFails: boolean): 'SUCCESS' | 'FAILED' {
    const propertiesChange = intent !== this.parameter || override !== this.override;
    // The release guard runs first and refuses green > 0 during an unacknowledged rollback; undoing it changes nothing.
    if (propertiesChange && this.unacknowledged && intent > 0) return 'FAILED';
    if (listenerChange) this.resetListener();
    const weightsRun = propertiesChange || listenerChange;
    if ((weightsRun && this.weights(intent, override) === 'FAILED') || otherResourceFails) {
      // CloudFormation gives the weights their old GreenPercent back: as a share and as the target, each may be lowered, never raised.
      if (weightsRun) {
        if (this.parameter < this.live) this.setShare(this.parameter);
        // The target may be lowered, never raised; one still above green stops the walk until the operator resumes.
        if (this.parameter < this.target) {
          this.target = this.parameter;
          this.stopped = this.target > this.recorded;
          this.waiting = undefined;
        }
      }
      if (listenerChange) this.resetListener();
      return 'FAILED';
    }
    this.parameter = intent;
    this.override = override;
    return 'SUCCESS';
  }

  private weights(intent: number, override: string): 'SUCCESS' | 'FAILED' {
    if (this.unacknowledged) {
      if (intent > 0) return 'FAILED';
      this.unacknowledged = false;
      this.setTarget(0, 0);
      return 'SUCCESS';
    }
    // Putting back a share the listener lost raises live traffic: the alarm must be readable and quiet since the share began.
    if (intent > this.live && this.live < this.recorded) {
      if (!this.readable) return 'FAILED';
      if (this.alarm === 'ALARM' || this.firedSince(this.stepStartedAt)) {
        this.recordRollback(this.now()); // a rollback nobody recorded
        return 'FAILED';
      }
    }
    if (intent > this.recorded) {
      if (!steps.includes(intent)) return 'FAILED';
      if (intent < this.target && !override) {
        // A lower target stops the walk where green is, and says so.
        this.live = this.recorded;
        this.setTarget(intent, this.recorded);
        this.notices.push(PAGE_SUBJECTS.stopped(ENV));
        return 'SUCCESS';
      }
      if (intent === this.target && !override) {
        this.live = this.recorded; // green stays where the ticks put it, put back if the listener lost it
        return 'SUCCESS';
      }
      if (override ? !this.overrideAccepted() : !this.riseAccepted()) return 'FAILED';
      this.setShare(override ? intent : stepAfter(this.recorded)!);
      this.setTarget(intent, this.recorded);
      return 'SUCCESS';
    }
    this.setShare(intent);
    this.setTarget(intent, intent);
    return 'SUCCESS';
  }

  /** A tick: what a deploy of the next step would do, or a wait, a stop, or nothing. */
  tick(stackBusy: boolean): void {
    if (this.target <= this.recorded || this.unacknowledged || this.stopped) return;
    if (stackBusy) return this.wait('a deploy is in progress');
    if (this.live !== this.recorded) return this.wait(`the listener serves ${this.live} %, the record ${this.recorded} %`);
    const next = stepAfter(this.recorded)!;
    // Never past the target (one that is not a step, as CloudFormation's rollback can restore).
    if (next > this.target) return;
    if (this.riseAccepted()) {
      this.setShare(next);
      this.waiting = undefined;
      this.notices.push(PAGE_SUBJECTS.advanced(ENV, next));
      this.tickWrites++;
      return;
    }
    if (this.recorded > 0 && this.now() < this.stepStartedAt + BAKE && this.clean())
      return this.wait(`the bake at ${this.recorded} % from ${this.stepStartedAt}`);
    this.stopped = true;
    this.waiting = undefined;
    this.notices.push(PAGE_SUBJECTS.stopped(ENV));
    this.tickWrites++;
  }

  /** A wait is written only when its reason is new. */
  private wait(why: string): void {
    if (this.waiting === why) return;
    this.waiting = why;
    this.tickWrites++;
  }

  pause(): void {
    // A walk already stopped keeps its first stop, which says what to fix.
    if (this.target <= this.recorded || this.stopped) return;
    this.stopped = true;
    this.waiting = undefined;
    this.notices.push(PAGE_SUBJECTS.stopped(ENV));
  }

  resume(): void {
    // A walk that only waits goes on by itself.
    if (!this.stopped) return;
    this.stopped = false;
    this.waiting = undefined;
    this.notices.push(PAGE_SUBJECTS.resumed(ENV));
  }

  /** A rollback: blue alone; recorded unless green had no traffic, or the alarm's episode already rolled back. */
  rollback(triggeredAt: number | 'manual'): void {
    if (triggeredAt !== 'manual' && this.lastTriggeredAt !== undefined && triggeredAt <= this.lastTriggeredAt) return;
    const hadTraffic = this.recorded !== 0 || this.live !== 0;
    this.live = 0;
    if (hadTraffic) this.recordRollback(triggeredAt === 'manual' ? -Infinity : triggeredAt);
  }
}

/** Where green stands, as the controller's record and the listener say it. */
interface Observed {
  readonly live: number;
  readonly recorded: number;
  readonly target?: number;
  readonly stopped: boolean;
  readonly waiting: boolean;
  readonly unacknowledged: boolean;
}

function observe(aws: FakeAws): Observed {
  const state = aws.record();
  return {
    live: aws.live().green,
    recorded: state?.greenPercent ?? 0,
    target: state?.handsFree?.target,
    stopped: state?.handsFree?.stopped !== undefined,
    waiting: state?.handsFree?.waiting !== undefined,
    unacknowledged: state !== undefined && rollbackUnacknowledged(state),
  };
}

async function runSequence(actions: Action[]): Promise<void> {
  const aws = new FakeAws({ handsFree: true });
  let now = START;
  const model = new Model(() => now);
  const stack = new SimulatedStack(aws, () => new Date(now), { greenPercent: 0, images: IMAGES, override: '' });
  const pendingAlarms: Date[] = [];
  /** A rollback was recorded and no GreenPercent=0 deploy has succeeded since: green must serve nothing, whatever the record says. */
  let rolledBack = false;
  const tick = (event: object = { action: TICK_ACTION }) => route(event, stack.deps);

  expect(await stack.create()).toMatchObject({ status: 'SUCCESS' });

  for (const [i, a] of actions.entries()) {
    const step = `${i}: ${JSON.stringify(a)}`;
    now += ACTION_MS;
    const before = observe(aws);
    const noticesBefore = aws.publishedTo(NOTICE_TOPIC).length;
    const writesBefore = aws.calls.filter((c) => c === 'PutParameter').length;
    /** The reference's answer at the moment green could rise: the tick's or deploy's own instant. */
    let riseAccepted = false;
    let overrideAccepted = false;
    switch (a.kind) {
      case 'deploy': {
        const intent = a.intent ?? model.parameter;
        const override = a.override ? `override ${i}` : '';
        riseAccepted = model.riseAccepted();
        overrideAccepted = model.overrideAccepted();
        const expected = model.deploy(intent, override, a.listenerChange, a.otherResourceFails);
        const result = await stack.deploy({ greenPercent: intent, override }, { listenerChange: a.listenerChange, otherResourceFails: a.otherResourceFails });
        expect({ step, status: result.status }).toEqual({ step, status: expected });
        // An acknowledgement is a GreenPercent=0 deploy the weights accept, as the controller records it today even when another
        // resource then fails the deploy (it keeps no target: the target goes to 0 and CloudFormation's rollback never raises it).
        if (intent === 0 && !observe(aws).unacknowledged) rolledBack = false;
        // A deploy that keeps the target never undoes progress, nor makes any (unless it finds a rollback nobody recorded).
        if (intent === before.target && !a.override && !observe(aws).unacknowledged) {
          expect({ step, recorded: observe(aws).recorded }).toEqual({ step, recorded: before.recorded });
          // The listener keeps its share or gets the recorded one back; a listener update CloudFormation could not finish leaves the template's 0 %.
          const allowed = [before.live, before.recorded, ...(a.listenerChange ? [0] : [])];
          expect({ step, live: allowed.includes(aws.live().green) }).toEqual({ step, live: true });
        }
        break;
      }
      case 'tick': {
        if (a.how === 'on-time') now += TICK_INTERVAL_MINUTES * MINUTE;
        if (a.how === 'late') now += a.lateMinutes * MINUTE;
        riseAccepted = model.riseAccepted();
        const busy = a.how === 'mid-update';
        const reported = aws.stack;
        // Another resource of the stack updating: CloudFormation reports UPDATE_IN_PROGRESS.
        if (busy) aws.stack = { ...reported, status: 'UPDATE_IN_PROGRESS' };
        // A forged tick carries what a caller would like: it is still only a tick.
        const event =
          a.how === 'forged' ? { action: TICK_ACTION, GreenPercent: '100', target: 100, RolloutOverride: 'forged', requestedBy: 'attacker' } : undefined;
        await expect(tick(event)).resolves.not.toHaveProperty('ignored');
        model.tick(busy);
        if (a.how === 'twice') {
          await tick();
          model.tick(busy);
        }
        aws.stack = reported;
        const after = observe(aws);
        expect({ step, tickNeverLowers: after.recorded >= before.recorded && after.live >= before.live }).toEqual({ step, tickNeverLowers: true });
        if (before.stopped || before.unacknowledged) expect({ step, after }).toEqual({ step, after: before });
        const writes = aws.calls.filter((c) => c === 'PutParameter').length - writesBefore;
        expect({ step, writes }).toEqual({ step, writes: model.tickWrites });
        break;
      }
      case 'wait':
        now += a.minutes * MINUTE;
        break;
      case 'alarm': {
        // CloudWatch sends an event only when the state changes.
        if (model.alarm === 'ALARM') break;
        aws.setAlarm('ALARM', new Date(now));
        model.alarm = 'ALARM';
        model.alarmEntered.push(now);
        if (a.delivery === 'late') {
          pendingAlarms.push(new Date(now));
          break;
        }
        for (let n = a.delivery === 'twice' ? 2 : 1; n > 0; n--) {
          await route(rollbackAlarmEvent(new Date(now), 'model'), stack.deps);
          model.rollback(now);
        }
        break;
      }
      case 'deliver-late':
        for (const at of pendingAlarms.splice(0)) {
          await route(rollbackAlarmEvent(at, 'model, delivered late'), stack.deps);
          model.rollback(at.getTime());
        }
        break;
      case 'clear':
        if (model.alarm === 'OK') break;
        aws.setAlarm('OK', new Date(now));
        model.alarm = 'OK';
        break;
      case 'health':
        aws.greenTargets = a.healthy ? ['healthy'] : ['unhealthy'];
        model.healthy = a.healthy;
        break;
      case 'alarm-readable':
        aws.alarmExists = a.readable;
        model.readable = a.readable;
        break;
      case 'pause':
      case 'resume':
        await route({ action: a.kind, reason: `model ${i}`, requestedBy: OPERATOR }, stack.deps);
        model[a.kind]();
        expect({ step, live: aws.live().green, recorded: observe(aws).recorded }).toEqual({ step, live: before.live, recorded: before.recorded });
        break;
      case 'manual-rollback':
        await route({ action: 'rollback', reason: `model ${i}`, requestedBy: OPERATOR }, stack.deps);
        model.rollback('manual');
        break;
    }

    const after = observe(aws);
    expect({ step, ...after }).toEqual({
      step,
      live: model.live,
      recorded: model.recorded,
      target: model.target,
      stopped: model.stopped,
      waiting: model.waiting !== undefined,
      unacknowledged: model.unacknowledged,
    });
    expect({
      step,
      notices: aws
        .publishedTo(NOTICE_TOPIC)
        .slice(noticesBefore)
        .map((n) => n.subject),
    }).toEqual({ step, notices: model.notices });
    model.notices = [];
    model.tickWrites = 0;

    // Green's recorded share rises only at a tick or a deploy, by one step, when a deploy of that step would be accepted.
    if (after.recorded > before.recorded) {
      expect({ step, at: a.kind }).toEqual({ step, at: expect.stringMatching(/^(tick|deploy)$/) });
      if (a.kind === 'deploy' && a.override) expect({ step, overrideAccepted }).toEqual({ step, overrideAccepted: true });
      else expect({ step, to: after.recorded, riseAccepted }).toEqual({ step, to: stepAfter(before.recorded), riseAccepted: true });
      if (a.kind === 'tick') {
        const change = aws.record()!.changes[0];
        expect({ step, change }).toEqual({
          step,
          change: expect.objectContaining({ kind: 'advance', by: HANDS_FREE_BY, from: before.recorded, to: after.recorded }),
        });
      }
    }
    // The listener's share rises only at a tick or a deploy, to a share the controller recorded.
    if (after.live > before.live) {
      expect({ step, kind: ['tick', 'deploy'].includes(a.kind), upTo: after.live <= Math.max(before.recorded, after.recorded) }).toEqual({
        step,
        kind: true,
        upTo: true,
      });
    }
    // Never above the target, nor the stack's GreenPercent; a rollback wins until acknowledged.
    expect({ step, aboveTarget: after.live > (after.target ?? 0), aboveParameter: after.live > stack.parameters.greenPercent }).toEqual({
      step,
      aboveTarget: false,
      aboveParameter: false,
    });
    if (after.unacknowledged && !before.unacknowledged) rolledBack = true;
    if (rolledBack || after.unacknowledged) expect({ step, afterRollback: after.live }).toEqual({ step, afterRollback: 0 });
  }
}

/** Sequences fast-check once found failing (their seed and path no longer replay them once the arbitraries change), each replayed on every run. */
const deployOf = (intent: number | null, changes: Partial<Extract<Action, { kind: 'deploy' }>> = {}): Action => ({
  kind: 'deploy',
  intent,
  override: false,
  listenerChange: false,
  otherResourceFails: false,
  ...changes,
});
const onTime: Action = { kind: 'tick', how: 'on-time', lateMinutes: 60 };

const REGRESSIONS: { name: string; actions: Action[] }[] = [
  {
    // Seed 20261207, path 3:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0 (the test's own rule was too narrow).
    name: "a deploy of the same target with a listener update, refused while the alarm cannot be read: the listener keeps the template's 0 %, the record its share",
    actions: [deployOf(100), onTime, { kind: 'alarm-readable', readable: false }, onTime, deployOf(100, { listenerChange: true }), onTime],
  },
  {
    // Seed 20261207 (with lower targets kept), path 2:…: a lower target kept a listener CloudFormation reset (fixed).
    name: 'a deploy that lowers the target with a listener update',
    actions: [deployOf(100), { kind: 'wait', minutes: bakeTimeHours * 60 + 1 }, deployOf(25, { listenerChange: true }), { kind: 'resume' }, onTime],
  },
  {
    // FC_SEED=3 FC_NUM_RUNS=300, path 28:1:3:3:…: CloudFormation's rollback raised the target (fixed).
    name: 'a GreenPercent=0 acknowledgement that CloudFormation rolls back, then a tick',
    actions: [deployOf(100), { kind: 'manual-rollback' }, deployOf(0, { otherResourceFails: true }), onTime, onTime],
  },
  {
    // FC_SEED=1 FC_NUM_RUNS=300, path 247:4:5:…: CloudFormation's rollback restored a target that is not a step.
    name: 'a target CloudFormation restores that is not a step: the tick never takes green past it',
    actions: [
      deployOf(100),
      { kind: 'wait', minutes: 2 * 24 * 60 },
      onTime,
      deployOf(6),
      deployOf(5, { otherResourceFails: true }),
      { kind: 'alarm', delivery: 'late' },
      { kind: 'clear' },
      onTime,
      { kind: 'wait', minutes: 2 * 24 * 60 },
      onTime,
    ],
  },
];

test.each(REGRESSIONS)('regression: $name', async ({ actions }) => {
  await runSequence(actions);
});

test('the hands-free rollout keeps the rules over generated deploys, ticks, alarms, health, pauses, rollbacks and days passing', async () => {
  await fc.assert(
    fc.asyncProperty(
      // Each sequence starts with a walk under way: a deploy of the last step as the target.
      fc.array(action, { minLength: 20, maxLength: 40 }).map((actions) => [deployOf(steps[steps.length - 1]), ...actions]),
      runSequence,
    ),
    { numRuns: numRuns(50) },
  );
});

/** One deploy of the last step, then a tick every TICK_INTERVAL_MINUTES until green serves it (or a week passes). */
async function wholeLadder() {
  const aws = new FakeAws({ handsFree: true });
  let now = START;
  const stack = new SimulatedStack(aws, () => new Date(now), { greenPercent: 0, images: IMAGES, override: '' });
  await stack.create();
  const last = steps[steps.length - 1];
  expect(await stack.deploy({ greenPercent: last })).toMatchObject({ status: 'SUCCESS' });
  const deployedAt = now;
  const stackEvents = stack.events.length;
  const tickWrites: number[] = [];
  while (aws.live().green < last && now < deployedAt + 7 * 24 * HOUR) {
    now += TICK_INTERVAL_MINUTES * MINUTE;
    const writes = aws.calls.filter((c) => c === 'PutParameter').length;
    await route({ action: TICK_ACTION }, stack.deps);
    tickWrites.push(aws.calls.filter((c) => c === 'PutParameter').length - writes);
  }
  return { aws, stack, deployedAt, finishedAt: now, tickWrites, deploysAfterTheFirst: stack.events.length - stackEvents };
}

test(`a whole ${steps.join('/')} ladder with ${bakeTimeHours} h bakes completes in simulated days from one deploy, ticking every ${TICK_INTERVAL_MINUTES} minutes`, async () => {
  const { aws, deployedAt, finishedAt, tickWrites, deploysAfterTheFirst } = await wholeLadder();
  const last = steps[steps.length - 1];
  const state = aws.record()!;
  expect(aws.live()).toEqual({ green: last, blueAlone: false, sticky: false });
  expect(state).toMatchObject({ greenPercent: last, intent: last, handsFree: { target: last } });
  expect(deploysAfterTheFirst).toBe(0);
  // Each step waits out its bake, then at most one tick interval.
  const bakes = steps.length - 1;
  expect(finishedAt - deployedAt).toBeGreaterThanOrEqual(bakes * BAKE);
  expect(finishedAt - deployedAt).toBeLessThanOrEqual(bakes * (BAKE + TICK_INTERVAL_MINUTES * MINUTE));

  // The record: the deploy's first step, then one advance per step, each after the bake at the one before.
  const changes = [...state.changes].reverse();
  expect(changes.map(({ from, to, kind, by }) => ({ from, to, kind, by: by === HANDS_FREE_BY }))).toEqual([
    { from: 0, to: steps[0], kind: 'deploy', by: false },
    ...steps.slice(1).map((to, i) => ({ from: steps[i], to, kind: 'advance', by: true })),
  ]);
  for (const [i, change] of changes.entries()) {
    if (i === 0) continue;
    const late = Date.parse(change.at) - (Date.parse(changes[i - 1].at) + BAKE);
    expect({ step: change.to, afterTheBake: late >= 0, withinATick: late < TICK_INTERVAL_MINUTES * MINUTE }).toEqual({
      step: change.to,
      afterTheBake: true,
      withinATick: true,
    });
    expect(change.why).toContain(`${changes[i - 1].to} → ${change.to} %`);
  }

  // A notice on the low-severity topic for each advance, with the evidence it used; nothing pages the critical topic.
  expect(aws.publishedTo(NOTICE_TOPIC)).toEqual(
    steps.slice(1).map((to, i) => ({
      subject: PAGE_SUBJECTS.advanced(ENV, to),
      message: expect.stringContaining(`step ${steps[i]} → ${steps[i + 1]} % (target 100 %); bake over at `),
    })),
  );
  expect(aws.publishedTo(HANDS_FREE_SETTINGS.criticalTopicArn)).toEqual([]);
  // The record is written once per wait for a new bake and once per advance, not at every tick.
  expect(tickWrites.reduce((sum, n) => sum + n, 0)).toBe(2 * bakes);
});

test("each advance in the record names the evidence it used (the bake, green's healthy targets, the rollback alarm)", async () => {
  const { aws } = await wholeLadder();
  const advances = aws.record()!.changes.filter((c) => c.kind === 'advance');
  expect(advances).toHaveLength(steps.length - 1);
  for (const advance of advances) {
    expect(advance.why).toMatch(/bake/);
    expect(advance.why).toMatch(new RegExp(`${aws.greenTargets.length} healthy`));
    expect(advance.why).toMatch(/rollback alarm/);
  }
});
