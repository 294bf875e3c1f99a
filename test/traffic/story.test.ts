/**
 * The whole story, end to end through the controller's entry point: deploys arrive as CloudFormation
 * custom resource events (answered to a real local HTTP server), the alarm as an EventBridge event.
 * deploy 5 % → bake passes → 25 % → alarm → blue alone → deploy 25 % refused → deploy 0 → deploy 5 accepted.
 */
import { TrafficController } from '../../lambda/traffic/controller';
import { route } from '../../lambda/traffic/route';
import { customResourceEvent, ResponseServer } from './cloudformation';
import { FakeAws, SETTINGS } from './fake-aws';

const server = new ResponseServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

test('a rollout, a rollback, a refused deploy, the acknowledgement and a fresh start', async () => {
  const aws = new FakeAws();
  let now = new Date('2026-11-21T09:00:00.000Z');
  const controller = new TrafficController(SETTINGS, aws.clients, { now: () => now, metric: aws.metric, log: aws.log, sleep: async () => undefined });
  const deps = { controller, rollbackAlarmName: SETTINGS.rollbackAlarmName, metric: aws.metric, log: aws.log };
  const [first, second] = SETTINGS.policy.steps;
  let properties = { GreenPercent: '0', ListenerFingerprint: 'listener-v1', RolloutOverride: '' };
  /** `cdk deploy --parameters GreenPercent=<n>`: CloudFormation updates the custom resource. */
  const deploy = async (greenPercent: number) => {
    const old = properties;
    properties = { ...properties, GreenPercent: String(greenPercent) };
    await route(customResourceEvent(server, 'Update', properties, old), deps);
    return server.received[server.received.length - 1].body;
  };

  await route(customResourceEvent(server, 'Create', properties), deps);
  expect(server.received[0].body.Status).toBe('SUCCESS');
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
  await route({
    'source': 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change',
    'detail': { alarmName: SETTINGS.rollbackAlarmName, state: { value: 'ALARM', reason: 'PAYMENT_ERROR_RATE-green in ALARM', timestamp: alarmAt.toISOString().replace('Z', '+0000') } },
  }, deps);
  expect(aws.live()).toEqual({ green: 0, blueAlone: true, sticky: false });
  expect(aws.published).toHaveLength(1);
  aws.setAlarm('OK', new Date(now.getTime() + 600_000));
  now = new Date(now.getTime() + 3_600_000);

  // A deploy still asking for 25 % is refused with what rolled back, when, why, and how to go on.
  properties = { ...properties, ListenerFingerprint: 'listener-v2' };
  const refused = await deploy(second);
  expect(refused.Status).toBe('FAILED');
  expect(refused.Reason).toContain(`rolled back to blue at ${new Date(alarmAt.getTime() + 20_000).toISOString()}`);
  expect(refused.Reason).toContain('PAYMENT_ERROR_RATE-green in ALARM');
  expect(refused.Reason).toContain('--parameters GreenPercent=0');
  expect(aws.live().blueAlone).toBe(true);

  expect(await deploy(0)).toMatchObject({ Status: 'SUCCESS' });
  expect(await deploy(first)).toMatchObject({ Status: 'SUCCESS' });
  expect(aws.live()).toEqual({ green: first, blueAlone: false, sticky: true });

  const state = aws.state() as { changes: { kind: string; from: number; to: number }[]; lastRollback: { acknowledgedAt?: string } };
  expect(state.changes.map((c) => `${c.kind} ${c.from}→${c.to}`)).toEqual([`deploy 0→${first}`, `rollback ${second}→0`, `deploy ${first}→${second}`, `deploy 0→${first}`]);
  expect(state.lastRollback.acknowledgedAt).toBeDefined();
});
