/**
 * The controller against a small reference model of the rollout policy, over generated sequences of
 * what happens to a stack: user deploys (any GreenPercent, with and without an override, with a
 * listener change, with another resource failing so CloudFormation rolls the update back), time
 * passing, the rollback alarm firing (its event delivered once or twice, its record saved or lost)
 * and clearing, green's health, manual rollbacks and forged deploy events. Everything enters through
 * the entry point (`route`), as Lambda would deliver it.
 *
 * After every step: green's live share never exceeds what the policy allows; a SUCCESS to a user's
 * deploy leaves the live share equal to its GreenPercent; a FAILED leaves it as the controller found
 * it; after a rollback nothing above 0 happens until a deploy of GreenPercent=0; a forged event
 * changes nothing. A failing case prints its seed: add it to REGRESSION_SEEDS.
 */
import fc from 'fast-check';
import { CustomResourceResult } from '../../lambda/support/cloudformation-response';
import { nextStep } from '../../common/traffic/policy';
import { route } from '../../lambda/traffic/route';
import { customResourceEvent } from './cloudformation';
import { FakeAws, SETTINGS, templateAction } from './fake-aws';

const HOUR = 3_600_000;
const { steps, bakeTimeHours } = SETTINGS.policy;
/** Seeds of sequences that once failed; each is replayed on every run. */
const REGRESSION_SEEDS: number[] = [];

type Action =
  | { kind: 'deploy'; intent: number; override: boolean; listenerChange: boolean; otherResourceFails: boolean }
  | { kind: 'wait'; minutes: number }
  | { kind: 'alarm'; duplicate: boolean; recordLost: boolean }
  | { kind: 'clear' }
  | { kind: 'health'; healthy: boolean }
  | { kind: 'manual-rollback' }
  | { kind: 'forged'; intent: number; how: 'foreign-url' | 'other-stack' | 'not-updating' | 'other-percent' | 'override' };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('deploy' as const),
      intent: fc.oneof(fc.constantFrom(0, ...steps), fc.integer({ min: 0, max: 100 })),
      override: fc.boolean(),
      listenerChange: fc.boolean(),
      otherResourceFails: fc.boolean(),
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
      how: fc.constantFrom('foreign-url' as const, 'other-stack' as const, 'not-updating' as const, 'other-percent' as const, 'override' as const),
    }),
  },
);

/** What the policy says, kept as plainly as possible. */
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
  alarm: 'OK' | 'ALARM' = 'OK';
  readonly alarmEntered: number[] = [];
  healthy = true;
  stackParameter = 0;

  constructor(readonly now: () => number) {
    this.stepStartedAt = now();
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
    this.rollbackRecorded = true;
    if (this.recorded !== 0) this.stepStartedAt = this.now();
    this.recorded = 0;
    this.live = 0;
    this.blueAlone = true;
  }

  /** A user's deploy as the controller must judge it, the listener as CloudFormation left it. */
  deploy(intent: number, override: boolean): 'SUCCESS' | 'FAILED' {
    if (this.blueAlone && this.recorded > 0 && !this.mustStayAtZero) this.lock(); // a rollback nobody recorded
    if (this.mustStayAtZero && this.rollbackRecorded) {
      if (intent > 0) return 'FAILED';
      this.mustStayAtZero = false;
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
    if (recordLost) {
      this.rollbackRecorded = false;
    } else {
      this.rollbackRecorded = true;
      this.recorded = 0;
      this.stepStartedAt = this.now();
    }
  }
}

async function runSequence(actions: Action[]): Promise<void> {
  const aws = new FakeAws();
  let now = Date.parse('2026-11-21T09:00:00.000Z');
  const model = new Model(() => now);
  const controller = aws.controller(() => new Date(now));
  const answers: CustomResourceResult[] = [];
  const deps = aws.routeDeps(controller, async (_event, result) => {
    answers.push(result);
  });
  let fingerprint = 0;
  let properties = { GreenPercent: '0', ListenerFingerprint: 'l0', RolloutOverride: '' };
  const send = async (status: string, next: typeof properties, old: typeof properties) => {
    aws.stack = { status, greenPercent: next.GreenPercent, rolloutOverride: next.RolloutOverride };
    await route(customResourceEvent('Update', next, old), deps);
    return answers[answers.length - 1];
  };
  const check = (step: string) => {
    const live = aws.live();
    expect({ step, live: live.green }).toEqual({ step, live: model.live });
    if (model.mustStayAtZero) expect({ step, afterRollback: live.green }).toEqual({ step, afterRollback: 0 });
  };

  aws.stack = { status: 'CREATE_IN_PROGRESS', greenPercent: '0', rolloutOverride: '' };
  await route(customResourceEvent('Create', properties), deps);

  for (const [i, a] of actions.entries()) {
    const step = `${i}: ${JSON.stringify(a)}`;
    switch (a.kind) {
      case 'deploy': {
        const old = properties;
        const reason = a.override ? `override ${i}` : '';
        properties = {
          GreenPercent: String(a.intent),
          ListenerFingerprint: a.listenerChange ? `l${++fingerprint}` : old.ListenerFingerprint,
          RolloutOverride: reason,
        };
        if (JSON.stringify(properties) === JSON.stringify(old)) break; // CloudFormation does not run an unchanged custom resource
        if (a.listenerChange) {
          aws.defaultActions = [templateAction()];
          model.resetListener();
        }
        const before = aws.live().green;
        const expected = model.deploy(a.intent, a.override);
        const answer = await send('UPDATE_IN_PROGRESS', properties, old);
        expect({ step, status: answer.status }).toEqual({ step, status: expected });
        if (answer.status === 'SUCCESS') expect({ step, live: aws.live().green }).toEqual({ step, live: a.intent });
        else expect({ step, live: aws.live().green }).toEqual({ step, live: before });
        if (answer.status === 'FAILED' || a.otherResourceFails) {
          // CloudFormation rolls the update back: the custom resource first (it depends on the listener), then the listener.
          const restored = await send('UPDATE_ROLLBACK_IN_PROGRESS', old, properties);
          expect({ step, restore: restored.status }).toEqual({ step, restore: 'SUCCESS' });
          model.restore(Number(old.GreenPercent));
          if (a.listenerChange) {
            aws.defaultActions = [templateAction()];
            model.resetListener();
          }
          properties = old;
        }
        model.stackParameter = Number(properties.GreenPercent);
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
        const event = {
          'source': 'aws.cloudwatch',
          'detail-type': 'CloudWatch Alarm State Change',
          'detail': {
            alarmName: SETTINGS.rollbackAlarmName,
            state: { value: 'ALARM', reason: 'model', timestamp: new Date(now).toISOString().replace('Z', '+0000') },
          },
        };
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
        const forgedProperties = { ...properties, GreenPercent: String(a.intent), RolloutOverride: 'forged' };
        const event = customResourceEvent('Update', forgedProperties, properties);
        const stackNow = { status: 'UPDATE_IN_PROGRESS', greenPercent: String(a.intent), rolloutOverride: 'forged' };
        if (a.how === 'foreign-url') event.ResponseURL = 'https://attacker.example/answer';
        if (a.how === 'other-stack') event.StackId = SETTINGS.stackId.replace('prod', 'dev');
        if (a.how === 'not-updating') stackNow.status = 'UPDATE_COMPLETE';
        if (a.how === 'other-percent') stackNow.greenPercent = String(model.stackParameter === a.intent ? a.intent - 1 : model.stackParameter);
        if (a.how === 'override') stackNow.rolloutOverride = '';
        aws.stack = stackNow;
        const before = aws.live().green;
        await expect(route(event, deps)).resolves.toHaveProperty('refused');
        expect({ step, live: aws.live().green }).toEqual({ step, live: before });
        break;
      }
    }
    check(step);
  }
}

test('the controller keeps the policy over generated sequences of deploys, alarms, rollbacks, time and forged events', async () => {
  const property = fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), runSequence);
  for (const seed of REGRESSION_SEEDS) await fc.assert(property, { seed, numRuns: 1 });
  await fc.assert(property, { numRuns: 300 });
});
