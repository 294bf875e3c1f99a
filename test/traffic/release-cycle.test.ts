/**
 * One release's whole cycle through the controller's entry point, deploy by deploy as CloudFormation
 * runs them (test/traffic/stack-deploy.ts): release v2 → the steps → 100 % → promote → 0 → release
 * v3 → the alarm → blue runs v2 alone and green is scaled to zero → the acknowledgement gives green
 * its tasks back. The README's release section walks the same commands.
 */
import { route } from '../../lambda/traffic/route';
import { FakeAws, GREEN_SERVICE, rollbackAlarmEvent, SETTINGS } from './fake-aws';
import { SimulatedStack } from './stack-deploy';

const HOUR = 3_600_000;
const { steps, bakeTimeHours } = SETTINGS.policy;
const V1 = 'registry.example/boop-integration:1.0.0';
const V2 = 'registry.example/boop-integration:2.0.0';
const V3 = 'registry.example/boop-integration:3.0.0';
const V3_FIXED = 'registry.example/boop-integration:3.0.1';

interface Release {
  image: string;
  steps: { percent: number }[];
  promotedAt?: string;
  rolledBackAt?: string;
}

function setUp() {
  const aws = new FakeAws();
  let now = Date.parse('2026-11-21T09:00:00.000Z');
  const stack = new SimulatedStack(aws, () => new Date(now), { greenPercent: 0, images: { blue: V1, green: V1 }, override: '' });
  const bake = () => {
    now += bakeTimeHours * HOUR + 60_000;
  };
  const alarm = async () => {
    aws.setAlarm('ALARM', new Date(now));
    const event = rollbackAlarmEvent(new Date(now), 'PAYMENT_ERROR_RATE-green in ALARM');
    now += 20_000;
    await route(event, stack.deps);
  };
  const releases = () => (aws.state() as { releases: Release[] }).releases;
  return { aws, stack, bake, alarm, releases, clock: { advance: (ms: number) => (now += ms) } };
}

test('release v2 through the steps, promote it, release v3, roll back onto v2, acknowledge', async () => {
  const { aws, stack, bake, alarm, releases, clock } = setUp();
  expect(await stack.create()).toMatchObject({ status: 'SUCCESS' });

  // Release v2 on green at 0 %, then every step with its bake.
  expect(await stack.deploy({ images: { blue: V1, green: V2 }, greenPercent: 0 })).toMatchObject({ status: 'SUCCESS' });
  expect(aws.services.green.image).toBe(V2);
  for (const step of steps) {
    expect(await stack.deploy({ greenPercent: step })).toMatchObject({ status: 'SUCCESS' });
    expect(aws.live().green).toBe(step);
    bake();
  }

  // Promotion: blue takes v2 while it serves nothing, then the fall onto the same code.
  expect(await stack.deploy({ images: { blue: V2, green: V2 } })).toMatchObject({ status: 'SUCCESS' });
  expect(aws.services.blue.image).toBe(V2);
  expect(await stack.deploy({ greenPercent: 0 })).toMatchObject({ status: 'SUCCESS' });
  expect(aws.live()).toMatchObject({ green: 0, blueAlone: true });
  expect(releases()[0]).toMatchObject({ image: V2, steps: steps.map((percent) => ({ percent })), promotedAt: expect.any(String) });

  // Release v3; it goes bad at the first step.
  expect(await stack.deploy({ images: { blue: V2, green: V3 } })).toMatchObject({ status: 'SUCCESS' });
  expect(await stack.deploy({ greenPercent: steps[0] })).toMatchObject({ status: 'SUCCESS' });
  await alarm();
  expect(aws.live()).toMatchObject({ green: 0, blueAlone: true });
  expect(aws.services.blue.image).toBe(V2);
  expect(aws.services.green.desiredCount).toBe(0);
  expect(releases()[0]).toMatchObject({ image: V3, rolledBackAt: expect.any(String) });
  expect(aws.published[0].message).toContain("Green's service was scaled to zero");

  // A fix deployed while GreenPercent still asks for the step is refused by the release guard, before ECS restarts green.
  clock.advance(HOUR);
  const refused = await stack.deploy({ images: { blue: V2, green: V3_FIXED } });
  expect(refused.status).toBe('FAILED');
  expect(refused.weights).toBeUndefined();
  expect(refused.reason).toContain('--parameters GreenPercent=0');
  expect(aws.services.green.desiredCount).toBe(0);

  // The acknowledgement restores green's task count; a rise again needs healthy green targets.
  expect(await stack.deploy({ greenPercent: 0 })).toMatchObject({ status: 'SUCCESS' });
  expect(aws.services.green).toMatchObject({ image: V3, desiredCount: GREEN_SERVICE.desiredCount });
  aws.setAlarm('OK', new Date());
  aws.greenTargets = ['unhealthy'];
  expect(await stack.deploy({ greenPercent: steps[0] })).toMatchObject({ status: 'FAILED' });
  aws.greenTargets = ['healthy'];
  expect(await stack.deploy({ greenPercent: steps[0] })).toMatchObject({ status: 'SUCCESS' });
});

test('green at 25 %: a new green image is refused before ECS replaces a task; with GreenPercent=0 green drops to 0 first', async () => {
  const { aws, stack, bake } = setUp();
  await stack.create();
  await stack.deploy({ images: { blue: V1, green: V2 } });
  for (const step of steps.slice(0, 2)) {
    expect(await stack.deploy({ greenPercent: step })).toMatchObject({ status: 'SUCCESS' });
    bake();
  }
  const refused = await stack.deploy({ images: { blue: V1, green: V3 } });
  expect(refused).toMatchObject({ status: 'FAILED' });
  expect(refused.reason).toContain(`GreenImage=${V3} --parameters GreenPercent=0`);
  expect(aws.services.green.image).toBe(V2);
  expect(aws.live().green).toBe(steps[1]);

  let greenWhenReplaced: number | undefined;
  stack.onServiceReplaced = (slot) => {
    if (slot === 'green') greenWhenReplaced = aws.live().green;
  };
  expect(await stack.deploy({ images: { blue: V1, green: V3 }, greenPercent: 0 })).toMatchObject({ status: 'SUCCESS' });
  expect(greenWhenReplaced).toBe(0);
  expect(aws.services.green.image).toBe(V3);
  // A new release starts at the first step.
  expect(await stack.deploy({ greenPercent: steps[1] })).toMatchObject({ status: 'FAILED' });
  expect(await stack.deploy({ greenPercent: steps[0] })).toMatchObject({ status: 'SUCCESS' });
});

test('blue is the known-good: a new image on blue is refused, and so is a promotion before the bake at 100 % ends', async () => {
  const { aws, stack, bake } = setUp();
  await stack.create();
  const other = await stack.deploy({ images: { blue: V3, green: V1 } });
  expect(other).toMatchObject({ status: 'FAILED' });
  expect(other.reason).toContain('blue is the known-good release');
  expect(aws.services.blue.image).toBe(V1);

  await stack.deploy({ images: { blue: V1, green: V2 } });
  for (const step of steps) {
    await stack.deploy({ greenPercent: step });
    if (step < 100) bake();
  }
  const early = await stack.deploy({ images: { blue: V2, green: V2 } });
  expect(early.reason).toMatch(/the promotion is allowed from \d{4}-/);
  expect(aws.services.blue.image).toBe(V1);
  // Until the promotion, a rollback from 100 % lands on the previous release, which blue still runs.
  bake();
  expect(await stack.deploy({ images: { blue: V2, green: V2 }, override: '' })).toMatchObject({ status: 'SUCCESS' });
});

test('-c rolloutOverride lets one deploy through the release guard, and the release records it', async () => {
  const { aws, stack, releases } = setUp();
  await stack.create();
  await stack.deploy({ images: { blue: V1, green: V2 } });
  await stack.deploy({ greenPercent: steps[0] });
  const hotfix = await stack.deploy({ images: { blue: V1, green: V3 }, override: 'INC-42 hotfix' });
  expect(hotfix).toMatchObject({ status: 'SUCCESS' });
  expect(aws.services.green.image).toBe(V3);
  expect(releases()[0]).toMatchObject({ image: V3, override: 'INC-42 hotfix', steps: [{ percent: steps[0] }] });
  expect(aws.logs.some((l) => l.level === 'warn' && l.message === 'release guard rule let through')).toBe(true);
});

test("a rollback whose scale-to-zero fails still puts blue alone, pages, counts the error and says green's tasks keep running", async () => {
  const { aws, stack, alarm } = setUp();
  await stack.create();
  await stack.deploy({ images: { blue: V1, green: V2 }, greenPercent: steps[0] });
  aws.failures.set('RegisterScalableTarget', Object.assign(new Error('Application Auto Scaling unavailable'), { name: 'InternalServiceException' }));
  await alarm();
  expect(aws.live()).toMatchObject({ green: 0, blueAlone: true });
  expect(aws.metrics).toContainEqual({ name: 'ControllerErrors', value: 1 });
  expect(aws.published[0].message).toContain("Green's tasks keep running");
  expect((aws.state() as { lastRollback: { greenScaledToZeroAt?: string } }).lastRollback.greenScaledToZeroAt).toBeUndefined();
});

test("an acknowledgement whose restore fails is refused and not recorded, so the next GreenPercent=0 restores green's tasks", async () => {
  const { aws, stack, alarm } = setUp();
  await stack.create();
  await stack.deploy({ images: { blue: V1, green: V2 }, greenPercent: steps[0] });
  await alarm();
  aws.failures.set('RegisterScalableTarget', Object.assign(new Error('Application Auto Scaling unavailable'), { name: 'InternalServiceException' }));
  const failed = await stack.deploy({ greenPercent: 0 });
  expect(failed.status).toBe('FAILED');
  expect((aws.state() as { lastRollback: { acknowledgedAt?: string } }).lastRollback.acknowledgedAt).toBeUndefined();
  expect(aws.services.green.desiredCount).toBe(0);
  aws.failures.delete('RegisterScalableTarget');
  expect(await stack.deploy({ greenPercent: 0 })).toMatchObject({ status: 'SUCCESS' });
  expect(aws.services.green.desiredCount).toBe(GREEN_SERVICE.desiredCount);
});

test('a rollback empties green even when the record is not JSON, then fails so Lambda retries it and the dead-letter queue pages', async () => {
  const { aws, stack, alarm } = setUp();
  await stack.create();
  await stack.deploy({ images: { blue: V1, green: V2 }, greenPercent: steps[0] });
  aws.parameters.set(SETTINGS.stateParameterName, 'not JSON {');
  await expect(alarm()).rejects.toThrow(/could not record it/);
  expect(aws.live()).toMatchObject({ green: 0, blueAlone: true });
  expect(aws.services.green.desiredCount).toBe(0);
  expect(aws.services.blue.desiredCount).toBe(GREEN_SERVICE.desiredCount);
});

test('a key rotation step, new boop.* settings or cpu during an unacknowledged rollback go through and leave green at 0 tasks on the new task definition', async () => {
  const { aws, stack, alarm } = setUp();
  await stack.create();
  await stack.deploy({ images: { blue: V1, green: V2 }, greenPercent: steps[0] });
  await alarm();
  expect(await stack.deploy({ taskRevision: 2 })).toMatchObject({ status: 'SUCCESS' });
  expect(aws.services.green).toMatchObject({ desiredCount: 0, revision: 2 });
  expect(aws.services.blue).toMatchObject({ desiredCount: GREEN_SERVICE.desiredCount, revision: 2 });
  // A new count waits for the acknowledgement, like a new image or a rise.
  expect(await stack.deploy({ taskCount: 3 })).toMatchObject({ status: 'FAILED' });
  expect(aws.services.green.desiredCount).toBe(0);
  expect(await stack.deploy({ greenPercent: 0, taskCount: 3 })).toMatchObject({ status: 'SUCCESS' });
  expect(aws.services.green).toMatchObject({ desiredCount: 3, revision: 2 });
});
