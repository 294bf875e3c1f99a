/**
 * The whole story, end to end through the controller's entry point: deploys arrive as CloudFormation
 * custom resource events while the stack reports the update (answered to a real local HTTP server),
 * the alarm as an EventBridge event. The README's rollout and resume procedure, step by step:
 * deploy 5 % → bake passes → 25 % → alarm → blue alone → deploy 25 % refused (CloudFormation rolls
 * back) → deploy 0 acknowledges → deploy 5 resumes.
 */
import { route } from '../../lambda/traffic/route';
import { customResourceEvent, ResponseServer } from './cloudformation';
import { FakeAws, SETTINGS } from './fake-aws';

const server = new ResponseServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

test('a rollout, a rollback, a refused deploy, the acknowledgement and a fresh start', async () => {
  const aws = new FakeAws();
  let now = new Date('2026-11-21T09:00:00.000Z');
  const controller = aws.controller(() => now);
  const deps = aws.routeDeps(controller, server.respond);
  const [first, second] = SETTINGS.policy.steps;
  let properties = { GreenPercent: '0', ListenerFingerprint: 'listener-v1', RolloutOverride: '' };
  /** `cdk deploy --parameters GreenPercent=<n>`: CloudFormation updates the custom resource, and rolls the update back if it fails. */
  const deploy = async (greenPercent: number) => {
    const old = properties;
    properties = { ...properties, GreenPercent: String(greenPercent) };
    aws.stack = { status: 'UPDATE_IN_PROGRESS', greenPercent: properties.GreenPercent, rolloutOverride: '' };
    await route(customResourceEvent('Update', properties, old), deps);
    const answer = server.last();
    if (answer.Status === 'FAILED') {
      aws.stack = { status: 'UPDATE_ROLLBACK_IN_PROGRESS', greenPercent: old.GreenPercent, rolloutOverride: '' };
      await route(customResourceEvent('Update', old, properties), deps);
      expect(server.last().Status).toBe('SUCCESS');
      properties = old;
    }
    aws.stack = { ...aws.stack, status: 'UPDATE_COMPLETE' };
    return answer;
  };

  aws.stack = { status: 'CREATE_IN_PROGRESS', greenPercent: '0', rolloutOverride: '' };
  await route(customResourceEvent('Create', properties), deps);
  expect(server.last().Status).toBe('SUCCESS');
  expect(aws.live().green).toBe(0);

  expect(await deploy(first)).toMatchObject({ Status: 'SUCCESS' });
  expect(aws.live()).toEqual({ green: first, blueAlone: false, sticky: true });

  now = new Date(now.getTime() + SETTINGS.policy.bakeTimeHours * 3_600_000 + 60_000);
  expect(await deploy(second)).toMatchObject({ Status: 'SUCCESS' });
  expect(aws.live()).toEqual({ green: second, blueAlone: false, sticky: true });

  // Green goes bad: the composite alarm enters ALARM and EventBridge invokes the controller.
  const alarmAt = new Date(now.getTime() + 3_600_000);
  aws.setAlarm('ALARM', alarmAt);
  now = new Date(alarmAt.getTime() + 20_000);
  await route(
    {
      'source': 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      'detail': {
        alarmName: SETTINGS.rollbackAlarmName,
        state: { value: 'ALARM', reason: 'PAYMENT_ERROR_RATE-green in ALARM', timestamp: alarmAt.toISOString().replace('Z', '+0000') },
      },
    },
    deps,
  );
  expect(aws.live()).toEqual({ green: 0, blueAlone: true, sticky: false });
  expect(aws.published).toHaveLength(1);
  aws.setAlarm('OK', new Date(now.getTime() + 600_000));
  now = new Date(now.getTime() + 3_600_000);

  // A deploy still asking for 25 % (with a listener change) is refused with what rolled back, when, why, and how to go on.
  properties = { ...properties, ListenerFingerprint: 'listener-v2' };
  const refused = await deploy(second);
  expect(refused.Status).toBe('FAILED');
  expect(refused.Reason).toContain(`rolled back to blue at ${new Date(alarmAt.getTime() + 20_000).toISOString()}`);
  expect(refused.Reason).toContain('PAYMENT_ERROR_RATE-green in ALARM');
  expect(refused.Reason).toContain('--parameters GreenPercent=0');
  expect(aws.live().blueAlone).toBe(true);

  // The README's resume procedure: GreenPercent=0 acknowledges, then the first step again.
  expect(await deploy(0)).toMatchObject({ Status: 'SUCCESS', Data: { GreenPercent: '0' } });
  expect((aws.state() as { lastRollback: { acknowledgedAt?: string } }).lastRollback.acknowledgedAt).toBe(now.toISOString());
  expect(await deploy(first)).toMatchObject({ Status: 'SUCCESS', Data: { GreenPercent: String(first) } });
  expect(aws.live()).toEqual({ green: first, blueAlone: false, sticky: true });

  const state = aws.state() as { changes: { kind: string; from: number; to: number }[] };
  expect(state.changes.map((c) => `${c.kind} ${c.from}→${c.to}`)).toEqual([
    `deploy 0→${first}`,
    `rollback ${second}→0`,
    `deploy ${first}→${second}`,
    `deploy 0→${first}`,
  ]);
});

test('the resume sequence of the issue: 5 % → rollback → GreenPercent=0 → GreenPercent=5 serves 5 %', async () => {
  const aws = new FakeAws();
  let now = new Date('2026-11-21T09:00:00.000Z');
  const controller = aws.controller(() => now);
  const deps = aws.routeDeps(controller, server.respond);
  const first = SETTINGS.policy.steps[0];
  const update = async (to: number, from: number) => {
    aws.stack = { status: 'UPDATE_IN_PROGRESS', greenPercent: String(to), rolloutOverride: '' };
    await route(
      customResourceEvent('Update', { GreenPercent: String(to), ListenerFingerprint: 'l' }, { GreenPercent: String(from), ListenerFingerprint: 'l' }),
      deps,
    );
    return server.last();
  };
  expect(await update(first, 0)).toMatchObject({ Status: 'SUCCESS' });
  await controller.rollback({ trigger: SETTINGS.rollbackAlarmName, triggeredAt: now, why: 'test', by: 'test' });
  now = new Date(now.getTime() + 60_000);
  expect(await update(0, first)).toMatchObject({ Status: 'SUCCESS' });
  // 0 → 5 after 5 → 0: the same pair of properties in reverse, which must not be taken for CloudFormation's rollback.
  expect(await update(first, 0)).toMatchObject({ Status: 'SUCCESS', Data: { GreenPercent: String(first) } });
  expect(aws.live().green).toBe(first);
});
