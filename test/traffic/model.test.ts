/**
 * The controller against a small reference model of the rollout policy and the release guard, over
 * generated sequences of what happens to a stack: user deploys (any GreenPercent or none, a new green
 * image, a promotion, another blue image, both at once, with and without an override, with a listener
 * change, with another resource failing so CloudFormation rolls the update back), time passing, the
 * rollback alarm firing (its event delivered once or twice, its record saved or lost) and clearing,
 * green's health, manual rollbacks and forged deploy events. Deploys run as CloudFormation runs them
 * (test/traffic/stack-deploy.ts); everything enters through the entry point (`route`).
 *
 * After every step: green's live share is the model's; a SUCCESS leaves it at the deploy's GreenPercent;
 * after a rollback nothing above 0 happens until a deploy of GreenPercent=0, and green's service runs
 * no tasks until then; each slot runs the model's image; a user request never reaches a green image at a
 * share no deploy gave that image; blue only runs an image that served 100 % on green, or was let
 * through by an override; a forged event changes nothing. A failing case prints its seed and path: add
 * the sequence it found to REGRESSIONS.
 */
import fc from 'fast-check';
import { numRuns } from '../support/properties';
import { RELEASE_RESOURCE_TYPE } from '../../common/names';
import { nextStep } from '../../common/traffic/policy';
import type { SlotImages } from '../../common/traffic/state';
import { route } from '../../lambda/traffic/route';
import { customResourceEvent } from './cloudformation';
import { FakeAws, GREEN_SERVICE, rollbackAlarmEvent, SETTINGS } from './fake-aws';
import { SimulatedStack, StackParameters } from './stack-deploy';

const HOUR = 3_600_000;
const { steps, bakeTimeHours } = SETTINGS.policy;
/** Every minute of the model's clock, something happens at most once: a deploy takes minutes, an alarm changes state at most once per evaluation period. */
const ACTION_MS = 60_000;
const image = (n: number) => `registry.example/boop-integration:${n}.0.0`;

/** What a deploy does to the images: nothing, a new green release, a promotion, another blue image, or both slots at once. */
type ImageChange = 'none' | 'green' | 'promote' | 'blue' | 'both';

type Action =
  | { kind: 'deploy'; intent: number | null; images: ImageChange; override: boolean; listenerChange: boolean; otherResourceFails: boolean }
  | { kind: 'wait'; minutes: number }
  | { kind: 'alarm'; duplicate: boolean; recordLost: boolean }
  | { kind: 'clear' }
  | { kind: 'health'; healthy: boolean }
  | { kind: 'manual-rollback' }
  | { kind: 'forged'; intent: number; how: 'foreign-url' | 'other-stack' | 'not-updating' | 'other-percent' | 'override' | 'other-image' };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('deploy' as const),
      intent: fc.oneof(fc.constantFrom(0, ...steps), fc.integer({ min: 0, max: 100 }), fc.constant(null), fc.constant(100)),
      images: fc.constantFrom<ImageChange>('none', 'none', 'green', 'green', 'promote', 'promote', 'blue', 'both'),
      override: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      listenerChange: fc.boolean(),
      otherResourceFails: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.constant(bakeTimeHours * 60 + 1)) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('alarm' as const), duplicate: fc.boolean(), recordLost: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), healthy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('manual-rollback' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forged' as const),
      intent: fc.integer({ min: 1, max: 100 }),
      how: fc.constantFrom(
        'foreign-url' as const,
        'other-stack' as const,
        'not-updating' as const,
        'other-percent' as const,
        'override' as const,
        'other-image' as const,
      ),
    }),
  },
);

/** What the policy and the release guard say, kept as plainly as possible. */
class Model {
  /** Green's share as the listener serves it. */
  live = 0;
  /** The listener sends blue alone (a rollback or a deploy of 0), rather than the template's blue 100 / green 0. */
  blueAlone = false;
  /** The share the controller last put and recorded. */
  recorded = 0;
  stepStartedAt: number;
  /** A rollback happened and no deploy of GreenPercent=0 has acknowledged it. */
  mustStayAtZero = false;
  /** The record knows of that rollback (false: its save was lost). */
  rollbackRecorded = false;
  /** The record says the rollback scaled green to zero. */
  scaledToZeroRecorded = false;
  alarm: 'OK' | 'ALARM' = 'OK';
  readonly alarmEntered: number[] = [];
  healthy = true;
  /** What each slot runs, as the controller's record and ECS have it. */
  images: SlotImages;
  /** Green's desired task count. */
  greenDesired = GREEN_SERVICE.desiredCount;

  constructor(
    readonly now: () => number,
    initial: SlotImages,
  ) {
    this.stepStartedAt = now();
    this.images = initial;
  }

  private alarmSince(since: number): boolean {
    return this.alarmEntered.some((at) => at >= since && at <= this.now());
  }

  private set(share: number): void {
    if (share !== this.recorded) this.stepStartedAt = this.now();
    this.recorded = share;
    this.live = share;
    this.blueAlone = share === 0;
  }

  private lock(): void {
    this.mustStayAtZero = true;
    this.greenDesired = 0;
    this.rollbackRecorded = true;
    this.scaledToZeroRecorded = false;
    if (this.recorded !== 0) this.stepStartedAt = this.now();
    this.recorded = 0;
    this.live = 0;
    this.blueAlone = true;
  }

  /** The release guard, before ECS: accepted or not, and what it does first. */
  release(next: StackParameters): boolean {
    const intent = next.greenPercent;
    // Blue alone while the record gives green traffic: the guard, like the weights, finds a rollback whose record was lost.
    const found = this.blueAlone && this.recorded > 0 && !(this.mustStayAtZero && this.rollbackRecorded);
    if (((this.mustStayAtZero && this.rollbackRecorded) || found) && intent > 0) return false;
    const greenChanges = next.images.green !== this.images.green;
    const blueChanges = next.images.blue !== this.images.blue;
    const override = next.override !== '';
    let refused = false;
    if (greenChanges && blueChanges) refused = true;
    else if (greenChanges) refused = Math.max(this.live, this.recorded) > 0 && intent > 0;
    else if (blueChanges) {
      refused =
        next.images.blue !== this.images.green ||
        this.live !== 100 ||
        this.recorded !== 100 ||
        this.now() < this.stepStartedAt + bakeTimeHours * HOUR ||
        this.alarm === 'ALARM' ||
        this.alarmSince(this.stepStartedAt);
    }
    if (refused && !override) return false;
    if (found) this.lock();
    if (greenChanges && this.live > 0 && intent === 0) this.set(0);
    if (greenChanges && this.live > 0 && intent > 0) this.stepStartedAt = this.now();
    this.images = next.images;
    return true;
  }

  /** The weights, after ECS: a user's deploy as the controller must judge it, the listener as CloudFormation left it. */
  deploy(intent: number, override: boolean): 'SUCCESS' | 'FAILED' {
    if (this.blueAlone && this.recorded > 0 && !(this.mustStayAtZero && this.rollbackRecorded)) this.lock(); // a rollback nobody recorded
    if (this.mustStayAtZero && this.rollbackRecorded) {
      if (intent > 0) return 'FAILED';
      this.mustStayAtZero = false;
      this.greenDesired = GREEN_SERVICE.desiredCount;
      this.set(0);
      return 'SUCCESS';
    }
    if (intent > this.live && this.live < this.recorded && (this.alarm === 'ALARM' || this.alarmSince(this.stepStartedAt))) {
      this.lock();
      return 'FAILED';
    }
    if (intent <= this.recorded) {
      this.set(intent);
      return 'SUCCESS';
    }
    const bakeOver = this.now() >= this.stepStartedAt + bakeTimeHours * HOUR;
    const stepOk =
      override || (intent === nextStep(this.recorded, SETTINGS.policy) && (this.recorded === 0 || (bakeOver && !this.alarmSince(this.stepStartedAt))));
    if (!stepOk || !this.healthy || this.alarm === 'ALARM') return 'FAILED';
    this.set(intent);
    return 'SUCCESS';
  }

  /** CloudFormation puts the previous GreenPercent back: it may lower green, never raise it. */
  restore(previous: number): void {
    if (previous < this.live) this.set(previous);
  }

  /** CloudFormation's rollback reaches the release guard last: the previous images, and green emptied again while its rollback is unacknowledged. */
  restoreImages(images: SlotImages): void {
    this.images = images;
    if (this.mustStayAtZero && this.rollbackRecorded && this.scaledToZeroRecorded) this.greenDesired = 0;
  }

  /** CloudFormation writes the template's action (blue 100 / green 0) on a listener update. */
  resetListener(): void {
    this.live = 0;
    this.blueAlone = false;
  }

  rollback(recordLost: boolean): void {
    if (this.recorded === 0 && this.live === 0) {
      this.blueAlone = true;
      return;
    }
    this.mustStayAtZero = true;
    this.live = 0;
    this.blueAlone = true;
    this.greenDesired = 0;
    if (recordLost) {
      this.rollbackRecorded = false;
    } else {
      this.rollbackRecorded = true;
      this.scaledToZeroRecorded = true;
      this.recorded = 0;
      this.stepStartedAt = this.now();
    }
  }
}

async function runSequence(actions: Action[]): Promise<void> {
  const aws = new FakeAws();
  let now = Date.parse('2026-11-21T09:00:00.000Z');
  let released = 1;
  const initial = { blue: image(1), green: image(1) };
  const model = new Model(() => now, initial);
  const stack = new SimulatedStack(aws, () => new Date(now), { greenPercent: 0, images: initial, override: '' });
  const { deps } = stack;
  /** The highest share a deploy gave each green image: a request reaches an image only at a share some deploy gave it. */
  const granted = new Map<string, number>([[image(1), 0]]);
  /** The images blue may run: the first, any that served 100 % on green, any an override let through. */
  const blueMayRun = new Set([image(1)]);

  const check = (step: string) => {
    const live = aws.live();
    expect({ step, live: live.green }).toEqual({ step, live: model.live });
    if (model.mustStayAtZero) expect({ step, afterRollback: live.green }).toEqual({ step, afterRollback: 0 });
    expect({ step, blue: aws.services.blue.image, green: aws.services.green.image }).toEqual({ step, ...model.images });
    expect({ step, greenTasks: aws.services.green.desiredCount }).toEqual({ step, greenTasks: model.greenDesired });
    if (live.green > 0) expect({ step, reached: live.green <= (granted.get(aws.services.green.image) ?? 0) }).toEqual({ step, reached: true });
    if (live.green === 100) blueMayRun.add(aws.services.green.image);
    expect({ step, blueRuns: aws.services.blue.image, known: blueMayRun.has(aws.services.blue.image) }).toEqual({
      step,
      blueRuns: aws.services.blue.image,
      known: true,
    });
  };

  await stack.create();

  for (const [i, a] of actions.entries()) {
    const step = `${i}: ${JSON.stringify(a)}`;
    // Time always moves: two alarm episodes never share an instant, as CloudWatch's transitions never do.
    now += ACTION_MS;
    switch (a.kind) {
      case 'deploy': {
        const old = stack.parameters;
        const images = { ...old.images };
        if (a.images === 'green' || a.images === 'both') images.green = image(++released);
        if (a.images === 'promote' || a.images === 'both') images.blue = old.images.green;
        if (a.images === 'blue') images.blue = image(++released);
        const next: StackParameters = { greenPercent: a.intent ?? old.greenPercent, images, override: a.override ? `override ${i}` : '' };

        // What CloudFormation runs: the guard when its properties change, the weights when theirs do.
        const releaseRuns = JSON.stringify([next.images, next.greenPercent, next.override]) !== JSON.stringify([old.images, old.greenPercent, old.override]);
        const weightsRun = a.listenerChange || next.greenPercent !== old.greenPercent || next.override !== old.override;
        const before = { images: model.images, green: model.greenDesired };
        let expected: 'SUCCESS' | 'FAILED' = 'SUCCESS';
        if (releaseRuns && !model.release(next)) {
          expected = 'FAILED';
          model.restoreImages(before.images);
        } else {
          // ECS replaces green's tasks and keeps its count: green's service has no DesiredCount in the template.
          if (a.listenerChange) model.resetListener();
          if (weightsRun) expected = model.deploy(next.greenPercent, a.override);
          if (expected === 'FAILED' || a.otherResourceFails) {
            if (weightsRun) model.restore(old.greenPercent);
            if (a.listenerChange) model.resetListener();
            model.restoreImages(old.images);
            expected = 'FAILED';
          }
        }

        const result = await stack.deploy(
          { greenPercent: next.greenPercent, images: next.images, override: next.override },
          { listenerChange: a.listenerChange, otherResourceFails: a.otherResourceFails },
        );
        expect({ step, status: result.status }).toEqual({ step, status: expected });
        if (result.status === 'SUCCESS') {
          if (weightsRun) expect({ step, live: aws.live().green }).toEqual({ step, live: next.greenPercent });
          const green = aws.services.green.image;
          if (weightsRun) granted.set(green, Math.max(granted.get(green) ?? 0, next.greenPercent));
          if (a.override) {
            granted.set(green, Math.max(granted.get(green) ?? 0, aws.live().green));
            blueMayRun.add(aws.services.blue.image);
          }
        }
        break;
      }
      case 'wait':
        now += a.minutes * 60_000;
        break;
      case 'alarm': {
        if (model.alarm === 'ALARM') break; // CloudWatch sends an event only when the state changes
        aws.setAlarm('ALARM', new Date(now));
        model.alarm = 'ALARM';
        model.alarmEntered.push(now);
        const event = rollbackAlarmEvent(new Date(now), 'model');
        if (a.recordLost) aws.failures.set('PutParameter', Object.assign(new Error('SSM down'), { name: 'InternalServerError' }));
        await route(event, deps).catch(() => undefined);
        if (a.duplicate) await route(event, deps).catch(() => undefined);
        aws.failures.delete('PutParameter');
        model.rollback(a.recordLost);
        break;
      }
      case 'clear':
        if (model.alarm === 'OK') break;
        aws.setAlarm('OK', new Date(now));
        model.alarm = 'OK';
        break;
      case 'health':
        aws.greenTargets = a.healthy ? ['healthy'] : ['unhealthy'];
        model.healthy = a.healthy;
        break;
      case 'manual-rollback':
        await route({ action: 'rollback', reason: 'model', requestedBy: 'arn:aws:iam::111122223333:user/ops' }, deps);
        model.rollback(false);
        break;
      case 'forged': {
        const current = stack.parameters;
        const forgedImages = { blue: image(99), green: image(99) };
        const releaseEvent = a.how === 'other-image';
        const forgedProperties: Record<string, string> = releaseEvent
          ? { BlueImage: forgedImages.blue, GreenImage: forgedImages.green, GreenPercent: String(a.intent), RolloutOverride: 'forged' }
          : { GreenPercent: String(a.intent), ListenerFingerprint: 'forged', RolloutOverride: 'forged' };
        const event = { ...customResourceEvent('Update', forgedProperties, {}), ...(releaseEvent ? { ResourceType: RELEASE_RESOURCE_TYPE } : {}) };
        aws.stack = { status: 'UPDATE_IN_PROGRESS', greenPercent: String(a.intent), rolloutOverride: 'forged', images: current.images };
        if (a.how === 'foreign-url') event.ResponseURL = 'https://attacker.example/answer';
        if (a.how === 'other-stack') event.StackId = SETTINGS.stackId.replace('prod', 'dev');
        if (a.how === 'not-updating') aws.stack.status = 'UPDATE_COMPLETE';
        if (a.how === 'other-percent') aws.stack.greenPercent = String(current.greenPercent === a.intent ? a.intent - 1 : current.greenPercent);
        if (a.how === 'override') aws.stack.rolloutOverride = '';
        const before = { live: aws.live().green, services: structuredClone(aws.services) };
        await expect(route(event, deps)).resolves.toHaveProperty('refused');
        expect({ step, live: aws.live().green, services: aws.services }).toEqual({ step, ...before });
        break;
      }
    }
    check(step);
  }
}

/** Sequences fast-check once found failing (their seed and path no longer replay them once the arbitraries change), each replayed on every run. */
const REGRESSIONS: { name: string; actions: Action[] }[] = [
  {
    // Seed -1956304684, path 15:2:2:3:5:9:9:6:6.
    name: 'a promotion with an override after the bake at 100 %: the guard must not ask for alarm evidence nobody read',
    actions: [
      { kind: 'deploy', intent: 100, images: 'green', override: true, listenerChange: false, otherResourceFails: false },
      { kind: 'wait', minutes: bakeTimeHours * 60 + 1 },
      { kind: 'deploy', intent: 100, images: 'promote', override: true, listenerChange: false, otherResourceFails: false },
      { kind: 'forged', intent: 1, how: 'foreign-url' },
    ],
  },
  {
    // Seed 597762531, path 381:3:2:3:3:3:3:4:4:8:8:11:13:12:14:14:16:16, found while the model's clock stood still between steps.
    name: 'a second alarm episode after an acknowledged rollback rolls back again',
    actions: [
      { kind: 'deploy', intent: 1, images: 'none', override: true, listenerChange: false, otherResourceFails: false },
      { kind: 'alarm', duplicate: false, recordLost: false },
      { kind: 'deploy', intent: 0, images: 'none', override: true, listenerChange: false, otherResourceFails: false },
      { kind: 'clear' },
      { kind: 'deploy', intent: 100, images: 'none', override: true, listenerChange: false, otherResourceFails: false },
      { kind: 'alarm', duplicate: false, recordLost: false },
      { kind: 'manual-rollback' },
    ],
  },
  {
    // Seed -2060630059, path 7:1:1:3:6:5.
    name: 'a rollback whose record was lost, acknowledged by the deploy that found it: green gets its tasks back',
    actions: [
      { kind: 'deploy', intent: 100, images: 'none', override: true, listenerChange: false, otherResourceFails: false },
      { kind: 'alarm', duplicate: false, recordLost: true },
      { kind: 'deploy', intent: 0, images: 'none', override: false, listenerChange: false, otherResourceFails: false },
      { kind: 'clear' },
    ],
  },
];

test.each(REGRESSIONS)('regression: $name', async ({ actions }) => {
  await runSequence(actions);
});

test('the controller keeps the policy and the release guard over generated sequences of deploys, images, alarms, rollbacks, time and forged events', async () => {
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), runSequence), { numRuns: numRuns(300) });
});

/**
 * Issue 21: green stays empty after a rollback, whatever a deploy changes, and nothing moves any service but green's,
 * or green's count to anything but 0 or its configured count. Deploys change what CloudFormation updates green's
 * service for besides an image (a task definition: boop.* settings, cpu, memory, a key rotation step; the configured
 * count); rollbacks find their record saved, lost or unreadable; forged events name blue's service and 50 tasks,
 * refused or arriving during a real update. After every step:
 * - while the record says a rollback is unacknowledged, green's desired count is 0 (the deploy has ended);
 * - right after a rollback that took traffic from green, green's desired count is 0, even when the record was unreadable;
 * - every count the controller asked for was on green's capacity, and was 0 or the configured count;
 * - green's count is 0 or the configured count; blue's only ever the configured count.
 */
type EmptyGreenAction =
  | {
      kind: 'deploy';
      intent: number | null;
      newGreenImage: boolean;
      taskChange: boolean;
      count: number | null;
      listenerChange: boolean;
      otherResourceFails: boolean;
    }
  | { kind: 'wait'; minutes: number }
  | { kind: 'alarm'; record: 'saved' | 'lost' | 'unreadable' }
  | { kind: 'clear' }
  | { kind: 'manual-rollback' }
  | { kind: 'forged'; resource: 'weights' | 'release'; duringUpdate: boolean };

const emptyGreenAction: fc.Arbitrary<EmptyGreenAction> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('deploy' as const),
      intent: fc.oneof(fc.constantFrom(0, ...steps), fc.constant(null)),
      newGreenImage: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      taskChange: fc.boolean(),
      count: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) }),
      listenerChange: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      otherResourceFails: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.constant(bakeTimeHours * 60 + 1)) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('alarm' as const),
      record: fc.constantFrom<'saved' | 'lost' | 'unreadable'>('saved', 'saved', 'lost', 'unreadable'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('manual-rollback' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forged' as const),
      resource: fc.constantFrom<'weights' | 'release'>('weights', 'release'),
      duringUpdate: fc.boolean(),
    }),
  },
);

async function runEmptyGreenSequence(actions: EmptyGreenAction[]): Promise<void> {
  const aws = new FakeAws();
  let now = Date.parse('2026-12-07T09:00:00.000Z');
  let released = 1;
  const stack = new SimulatedStack(aws, () => new Date(now), { greenPercent: 0, images: { blue: image(1), green: image(1) }, override: '' });
  const configured = () => stack.parameters.taskCount ?? GREEN_SERVICE.desiredCount;
  const everConfigured = new Set([configured()]);
  const stateText = () => aws.parameters.get(SETTINGS.stateParameterName);
  const unacknowledged = () => {
    try {
      const state = JSON.parse(stateText() ?? '{}') as { lastRollback?: { acknowledgedAt?: string } };
      return state.lastRollback !== undefined && state.lastRollback.acknowledgedAt === undefined;
    } catch {
      return false;
    }
  };

  await stack.create();
  expect(aws.services.green.desiredCount).toBe(configured());

  for (const [i, a] of actions.entries()) {
    const step = `${i}: ${JSON.stringify(a)}`;
    now += ACTION_MS;
    const countsBefore = configured();
    const registrationsBefore = aws.registrations.length;
    let emptied = false;
    switch (a.kind) {
      case 'deploy': {
        const old = stack.parameters;
        const changes: Partial<StackParameters> = {
          greenPercent: a.intent ?? old.greenPercent,
          images: a.newGreenImage ? { ...old.images, green: image(++released) } : old.images,
          override: '',
          ...(a.taskChange ? { taskRevision: (old.taskRevision ?? 1) + 1 } : {}),
          ...(a.count !== null ? { taskCount: a.count } : {}),
        };
        // The count this deploy's template configures, even if CloudFormation then rolls it back.
        if (a.count !== null) everConfigured.add(a.count);
        await stack.deploy(changes, { listenerChange: a.listenerChange, otherResourceFails: a.otherResourceFails });
        break;
      }
      case 'wait':
        now += a.minutes * 60_000;
        break;
      case 'alarm': {
        if (aws.alarmState === 'ALARM') break;
        aws.setAlarm('ALARM', new Date(now));
        const hadTraffic = aws.live().green > 0;
        const saved = stateText();
        if (a.record === 'lost') aws.failures.set('PutParameter', Object.assign(new Error('SSM down'), { name: 'InternalServerError' }));
        if (a.record === 'unreadable') aws.parameters.set(SETTINGS.stateParameterName, 'not JSON {');
        await route(rollbackAlarmEvent(new Date(now), 'model'), stack.deps).catch(() => undefined);
        aws.failures.delete('PutParameter');
        emptied = hadTraffic;
        // The operator puts the record back from its parameter history: it does not know of this rollback.
        if (a.record === 'unreadable') {
          if (saved === undefined) aws.parameters.delete(SETTINGS.stateParameterName);
          else aws.parameters.set(SETTINGS.stateParameterName, saved);
        }
        break;
      }
      case 'clear':
        if (aws.alarmState === 'ALARM') aws.setAlarm('OK', new Date(now));
        break;
      case 'manual-rollback': {
        const hadTraffic = aws.live().green > 0;
        await route({ action: 'rollback', reason: 'model', requestedBy: 'arn:aws:iam::111122223333:user/ops' }, stack.deps);
        emptied = hadTraffic;
        break;
      }
      case 'forged': {
        // An event naming blue's service and 50 tasks: refused when the stack is not mid-update, honoured as a deploy of
        // the stack's own GreenPercent when it arrives during a real update; either way it chooses no service and no count.
        const current = stack.parameters;
        const naming = { GreenService: `arn:aws:ecs:${SETTINGS.region}:111122223333:service/${GREEN_SERVICE.cluster}/blue`, Cluster: GREEN_SERVICE.cluster };
        const properties: Record<string, string> =
          a.resource === 'release'
            ? {
                BlueImage: current.images.blue,
                GreenImage: current.images.green,
                GreenPercent: String(current.greenPercent),
                RolloutOverride: '',
                GreenCapacity: '50',
                ...naming,
              }
            : { GreenPercent: String(current.greenPercent), ListenerFingerprint: 'forged', RolloutOverride: '', GreenDesiredCount: '50', ...naming };
        const event = {
          ...customResourceEvent('Update', properties, {}),
          ...(a.resource === 'release' ? { ResourceType: RELEASE_RESOURCE_TYPE, LogicalResourceId: 'TrafficControlRelease' } : {}),
        };
        const reported = aws.stack;
        aws.stack = { ...reported, status: a.duringUpdate ? 'UPDATE_IN_PROGRESS' : 'UPDATE_COMPLETE' };
        await route(event, stack.deps);
        aws.stack = reported;
        break;
      }
    }
    if (unacknowledged()) expect({ step, greenTasks: aws.services.green.desiredCount }).toEqual({ step, greenTasks: 0 });
    if (emptied) expect({ step, greenTasksAfterRollback: aws.services.green.desiredCount }).toEqual({ step, greenTasksAfterRollback: 0 });
    // The counts configured before, during and after this step: a deploy's own count is configured while it runs, even if CloudFormation then rolls it back.
    const configuredCounts = [countsBefore, configured(), ...(a.kind === 'deploy' && a.count !== null ? [a.count] : [])];
    for (const r of aws.registrations.slice(registrationsBefore)) {
      expect({ step, ...r, pinned: r.min === r.max, zeroOrConfigured: [0, ...configuredCounts].includes(r.min ?? -1) }).toEqual({
        step,
        ...r,
        allowed: true,
        pinned: true,
        zeroOrConfigured: true,
      });
    }
    expect({ step, green: [0, configured()].includes(aws.services.green.desiredCount) }).toEqual({ step, green: true });
    expect({ step, blue: aws.desiredCounts.blue.filter((n) => !everConfigured.has(n)) }).toEqual({ step, blue: [] });
  }
}

/** Sequences fast-check found failing for the property below, each replayed on every run. */
const EMPTY_GREEN_REGRESSIONS: { name: string; actions: EmptyGreenAction[] }[] = [
  {
    // FC_SEED=2 FC_NUM_RUNS=1500, path 10:3:4:3: the check took a count the deploy configured, then CloudFormation rolled back, for one nobody configured.
    name: 'an acknowledgement with a new count that CloudFormation rolls back: green ends at the configured count',
    actions: [
      { kind: 'deploy', intent: 5, newGreenImage: false, taskChange: false, count: null, listenerChange: false, otherResourceFails: false },
      { kind: 'alarm', record: 'saved' },
      { kind: 'deploy', intent: 0, newGreenImage: false, taskChange: false, count: 1, listenerChange: false, otherResourceFails: true },
    ],
  },
];

test.each(EMPTY_GREEN_REGRESSIONS)('regression: $name', async ({ actions }) => {
  await runEmptyGreenSequence(actions);
});

test('while a rollback is unacknowledged, green runs no task after any deploy, and no event moves any service but green, or green to anything but 0 or its configured count', async () => {
  await fc.assert(fc.asyncProperty(fc.array(emptyGreenAction, { minLength: 1, maxLength: 25 }), runEmptyGreenSequence), { numRuns: numRuns(200) });
});
