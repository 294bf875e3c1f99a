/**
 * One invocation in, one action out: deploys answer CloudFormation (a real HTTP server on
 * 127.0.0.1 plays its response URL), the rollback alarm rolls back, and every other event is
 * logged, counted and left alone.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { respond, RESPONSE_LIMITS } from '../../lambda/support/cloudformation-response';
import { PHYSICAL_RESOURCE_ID } from '../../lambda/traffic/custom-resource';
import { route } from '../../lambda/traffic/route';
import { customResourceEvent, ResponseServer } from './cloudformation';
import { FakeAws, SETTINGS } from './fake-aws';

const server = new ResponseServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

let aws: FakeAws;
let deps: Parameters<typeof route>[1];
beforeEach(() => {
  aws = new FakeAws();
  server.received.length = 0;
  deps = aws.routeDeps(aws.controller(), server.respond);
});

/** A deploy event as CloudFormation sends it mid-update: the stack reports the event's GreenPercent and override. */
function deployEvent(
  type: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string>,
  old?: Record<string, string>,
): CloudFormationCustomResourceEvent {
  aws.stack = {
    status: type === 'Create' ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS',
    greenPercent: properties.GreenPercent,
    rolloutOverride: properties.RolloutOverride ?? '',
  };
  return customResourceEvent(type, properties, old);
}

function alarmEvent(alarmName: string, value: string, timestamp = new Date().toISOString().replace('Z', '+0000')) {
  return {
    'version': '0',
    'id': 'e1',
    'source': 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    'account': '111122223333',
    'region': 'eu-west-1',
    'time': new Date().toISOString(),
    'resources': [],
    'detail': { alarmName, state: { value, reason: 'Threshold Crossed: 1 out of the last 1 datapoints', timestamp }, previousState: { value: 'OK' } },
  };
}

describe('events that must not move traffic', () => {
  const malformed: [string, unknown][] = [
    ['null', null],
    ['a list', []],
    ['a string', 'rollback'],
    ['an empty object', {}],
    ['a scheduled event', { 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': {} }],
    ['an alarm change without detail', { 'source': 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' }],
    ['an alarm change with a bad timestamp', alarmEvent(SETTINGS.rollbackAlarmName, 'ALARM', 'yesterday')],
    ['another alarm', alarmEvent('boop-prod-HIGH_ERROR_RATE-green', 'ALARM')],
    ['the rollback alarm going OK', alarmEvent(SETTINGS.rollbackAlarmName, 'OK')],
    ['a manual rollback without a reason', { action: 'rollback', reason: '  ', requestedBy: 'arn:aws:iam::111122223333:user/ops' }],
    ['a manual rollback without who', { action: 'rollback', reason: 'drill' }],
    ['a custom resource event without a response URL', { RequestType: 'Update', StackId: 's' }],
  ];

  test.each(malformed)('%s is logged, counted and ignored, without a crash', async (_name, event) => {
    await expect(route(event, deps)).resolves.toHaveProperty('ignored');
    expect(aws.calls).not.toContain('ModifyListener');
    expect(aws.metrics).toEqual([{ name: 'IgnoredEvents', value: 1 }]);
    expect(aws.logs).toEqual([expect.objectContaining({ level: 'warn', message: 'event ignored' })]);
  });
});

describe('the rollback alarm', () => {
  test("entering ALARM rolls green back, with the alarm's state time as the start of the latency", async () => {
    await deps.controller.applyDeploy({ intent: SETTINGS.policy.steps[0] }, 'test');
    const stateTime = new Date(Date.now() - 30_000);
    await route(alarmEvent(SETTINGS.rollbackAlarmName, 'ALARM', stateTime.toISOString().replace('Z', '+0000')), deps);
    expect(aws.live().blueAlone).toBe(true);
    const latency = aws.metrics.find((m) => m.name === 'RollbackLatency')!.value;
    expect(latency).toBeGreaterThanOrEqual(30_000);
    expect(aws.state()).toMatchObject({ lastRollback: { triggeredAt: stateTime.toISOString(), by: 'automatic rollback (EventBridge)' } });
  });

  test("a rollback that fails throws (for Lambda's retries and the dead-letter queue) and counts ControllerErrors", async () => {
    await deps.controller.applyDeploy({ intent: SETTINGS.policy.steps[0] }, 'test');
    aws.failures.set('ModifyListener', Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(route(alarmEvent(SETTINGS.rollbackAlarmName, 'ALARM'), deps)).rejects.toThrow('denied');
    expect(aws.metrics).toContainEqual({ name: 'ControllerErrors', value: 1 });
  });
});

describe('a manual rollback', () => {
  test('records who asked and why', async () => {
    await deps.controller.applyDeploy({ intent: SETTINGS.policy.steps[0] }, 'test');
    await route({ action: 'rollback', reason: 'drill INC-7', requestedBy: 'arn:aws:sts::111122223333:assumed-role/ops/alice' }, deps);
    expect(aws.live().blueAlone).toBe(true);
    expect(aws.state()).toMatchObject({ lastRollback: { trigger: 'manual', why: 'drill INC-7', by: 'arn:aws:sts::111122223333:assumed-role/ops/alice' } });
  });

  test("an oversized reason or caller is cut, so blue alone is also recorded within SSM's 4 KB", async () => {
    await deps.controller.applyDeploy({ intent: SETTINGS.policy.steps[0] }, 'test');
    await route({ action: 'rollback', reason: 'r'.repeat(10_000), requestedBy: `arn:aws:iam::111122223333:user/${'x'.repeat(10_000)}` }, deps);
    expect(aws.live().blueAlone).toBe(true);
    expect(aws.state()).toMatchObject({ greenPercent: 0, lastRollback: { trigger: 'manual' } });
    expect(Buffer.byteLength(JSON.stringify(aws.state()))).toBeLessThanOrEqual(4096);
  });
});

describe('deploys answer CloudFormation', () => {
  test('an accepted GreenPercent answers SUCCESS with the stable physical id', async () => {
    await route(deployEvent('Create', { GreenPercent: String(SETTINGS.policy.steps[0]), ListenerFingerprint: 'f1', RolloutOverride: '' }), deps);
    expect(server.received).toHaveLength(1);
    expect(server.received[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_RESOURCE_ID, LogicalResourceId: 'TrafficControlWeights' });
    expect(server.received[0].body.Data).toEqual({ GreenPercent: String(SETTINGS.policy.steps[0]), Result: 'changed' });
    expect(aws.live().green).toBe(SETTINGS.policy.steps[0]);
  });

  test('a refused GreenPercent answers FAILED with the message a person acts on', async () => {
    await route(deployEvent('Create', { GreenPercent: '50', ListenerFingerprint: 'f1', RolloutOverride: '' }), deps);
    expect(server.received[0].body.Status).toBe('FAILED');
    expect(server.received[0].body.Reason).toMatch(/GreenPercent=50 refused .*the next step is 5.*-c rolloutOverride=/);
    expect(aws.calls).not.toContain('ModifyListener');
  });

  test('a malformed GreenPercent answers FAILED naming it', async () => {
    await route(deployEvent('Create', { GreenPercent: 'lots', ListenerFingerprint: 'f1' }), deps);
    expect(server.received[0].body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining('GreenPercent must be a whole number from 0 to 100, got "lots"'),
    });
  });

  test('a fractional GreenPercent is a refusal with a message, not a controller error that pages', async () => {
    await route(deployEvent('Update', { GreenPercent: '2.5', ListenerFingerprint: 'f1' }, { GreenPercent: '0', ListenerFingerprint: 'f1' }), deps);
    expect(server.last()).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('whole number from 0 to 100, got "2.5"') });
    expect(aws.metrics.map((m) => m.name)).not.toContain('ControllerErrors');
    expect(aws.calls).not.toContain('ModifyListener');
  });

  test('a new stack starts a new rollout: the state a deleted stack left keeps its history but blocks nothing', async () => {
    const old = {
      version: 1,
      intent: 25,
      greenPercent: 25,
      stepStartedAt: '2026-01-01T00:00:00.000Z',
      changes: [{ at: '2026-01-01T00:00:00.000Z', by: 'old stack', why: 'old', from: 5, to: 25, kind: 'deploy' }],
      lastRollback: { at: '2026-01-02T00:00:00.000Z', trigger: 'manual', triggeredAt: '2026-01-02T00:00:00.000Z', why: 'old', by: 'ops', fromGreenPercent: 25 },
    };
    aws.parameters.set(SETTINGS.stateParameterName, JSON.stringify(old));
    await route(deployEvent('Create', { GreenPercent: String(SETTINGS.policy.steps[0]), ListenerFingerprint: 'f1', RolloutOverride: '' }), deps);
    expect(server.received[0].body.Status).toBe('SUCCESS');
    expect(aws.live().green).toBe(SETTINGS.policy.steps[0]);
    const state = aws.state() as { lastRollback?: unknown; changes: { by: string }[] };
    expect(state.lastRollback).toBeUndefined();
    expect(state.changes.map((c) => c.by)).toEqual(['CloudFormation stack BoopIntegration-prod', 'old stack']);
  });

  test('a delete answers SUCCESS without touching the listener', async () => {
    await route(deployEvent('Delete', { GreenPercent: '5', ListenerFingerprint: 'f1' }), deps);
    expect(server.received[0].body.Status).toBe('SUCCESS');
    expect(aws.calls).toEqual([]);
  });

  test('an AWS failure during a deploy answers FAILED (never leaves CloudFormation waiting) and counts an error', async () => {
    aws.failures.set('DescribeListeners', Object.assign(new Error('listener gone'), { name: 'ListenerNotFoundException' }));
    await route(deployEvent('Update', { GreenPercent: '5', ListenerFingerprint: 'f2' }, { GreenPercent: '0', ListenerFingerprint: 'f1' }), deps);
    expect(server.received[0].body).toMatchObject({ Status: 'FAILED', Reason: 'listener gone' });
    expect(aws.metrics).toContainEqual({ name: 'ControllerErrors', value: 1 });
  });
});

describe('the response to CloudFormation', () => {
  test('an answer that cannot be delivered is logged and counted, not retried as a failed rollback', async () => {
    const event = deployEvent('Create', { GreenPercent: '0', ListenerFingerprint: 'f' });
    server.answers.push(...Array<number>(RESPONSE_LIMITS.attempts).fill(500));
    await expect(route(event, deps)).resolves.toMatchObject({ status: 'SUCCESS' });
    expect(aws.metrics).toContainEqual({ name: 'ControllerErrors', value: 1 });
  });

  test('is a PUT of the result with no content type, retried when the URL answers an error', async () => {
    const event = deployEvent('Create', { GreenPercent: '0', ListenerFingerprint: 'f' });
    server.answers.push(500);
    await respond(
      { ...event, ResponseURL: server.url(event.RequestId) },
      PHYSICAL_RESOURCE_ID,
      { status: 'FAILED', reason: 'x'.repeat(10_000) },
      { sleep: async () => undefined },
    );
    expect(server.received).toHaveLength(1);
    expect(server.received[0].contentType ?? '').toBe('');
    expect(server.received[0].path).toBe(`/cloudformation-response/${event.RequestId}`);
    // CloudFormation takes at most 4096 bytes; the reason is cut to fit.
    expect(JSON.stringify(server.received[0].body).length).toBeLessThan(4096);
  });
});

describe('only CloudFormation, updating this stack, can move traffic up', () => {
  const up = { GreenPercent: String(SETTINGS.policy.steps[0]), ListenerFingerprint: 'f1', RolloutOverride: '' };
  const forged: [string, () => CloudFormationCustomResourceEvent, boolean][] = [
    [
      "an answer URL that is not CloudFormation's",
      () => ({ ...deployEvent('Update', up, { ...up, GreenPercent: '0' }), ResponseURL: 'https://attacker.example/collect' }),
      false,
    ],
    [
      "an http URL on CloudFormation's bucket name",
      () => {
        const event = deployEvent('Update', up, { ...up, GreenPercent: '0' });
        return { ...event, ResponseURL: event.ResponseURL.replace('https:', 'http:') };
      },
      false,
    ],
    [
      'another stack',
      () => ({ ...deployEvent('Update', up, { ...up, GreenPercent: '0' }), StackId: SETTINGS.stackId.replace('BoopIntegration-prod', 'BoopIntegration-dev') }),
      true,
    ],
    [
      'a stack that is not being updated',
      () => {
        const event = deployEvent('Update', up, { ...up, GreenPercent: '0' });
        aws.stack.status = 'UPDATE_COMPLETE';
        return event;
      },
      true,
    ],
    [
      "a GreenPercent other than the update's",
      () => {
        const event = deployEvent('Update', up, { ...up, GreenPercent: '0' });
        aws.stack.greenPercent = '0';
        return event;
      },
      true,
    ],
    [
      'an override the template does not carry',
      () => {
        const event = deployEvent('Update', { ...up, GreenPercent: '50', RolloutOverride: 'trust me' }, up);
        aws.stack.rolloutOverride = '';
        return event;
      },
      true,
    ],
  ];

  test.each(forged)('a deploy event with %s is refused, logged, counted and paged, and moves nothing', async (_name, make, answerable) => {
    const event = make();
    await expect(route(event, deps)).resolves.toHaveProperty('refused');
    expect(aws.calls).not.toContain('ModifyListener');
    expect(aws.live().green).toBe(0);
    expect(aws.metrics).toContainEqual({ name: 'RefusedEvents', value: 1 });
    expect(aws.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('refused') }));
    expect(aws.published).toEqual([expect.objectContaining({ subject: expect.stringContaining('refused') })]);
    // The answer goes to CloudFormation's URL only; a foreign URL hears nothing.
    expect(server.received.map((r) => r.body.Status)).toEqual(answerable ? ['FAILED'] : []);
  });

  test('a delete with a foreign answer URL is not answered either', async () => {
    const event = { ...deployEvent('Delete', up), ResponseURL: 'https://attacker.example/collect' };
    await expect(route(event, deps)).resolves.toHaveProperty('refused');
    expect(server.received).toEqual([]);
  });

  test('an override the template carries is honoured', async () => {
    await route(deployEvent('Update', { ...up, GreenPercent: '50', RolloutOverride: 'INC-9 hotfix' }, up), deps);
    expect(server.last()).toMatchObject({ Status: 'SUCCESS' });
    expect(aws.live().green).toBe(50);
    expect(aws.calls).toContain('GetTemplate');
  });

  test('a deploy without an override never reads the template', async () => {
    await route(deployEvent('Update', up, { ...up, GreenPercent: '0' }), deps);
    expect(server.last()).toMatchObject({ Status: 'SUCCESS' });
    expect(aws.calls).not.toContain('GetTemplate');
  });

  test('CloudFormation that cannot be asked fails the deploy with the reason and moves nothing', async () => {
    const event = deployEvent('Update', up, { ...up, GreenPercent: '0' });
    aws.failures.set('DescribeStacks', Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await route(event, deps);
    expect(server.last()).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('could not check this deploy with CloudFormation') });
    expect(aws.calls).not.toContain('ModifyListener');
  });

  test("the operator's path only lowers: a manual rollback carrying a GreenPercent still puts blue alone", async () => {
    await route(deployEvent('Update', up, { ...up, GreenPercent: '0' }), deps);
    await route({ action: 'rollback', reason: 'drill', requestedBy: 'arn:aws:iam::111122223333:user/ops', GreenPercent: '100', RolloutOverride: 'x' }, deps);
    expect(aws.live()).toEqual({ green: 0, blueAlone: true, sticky: false });
  });
});
