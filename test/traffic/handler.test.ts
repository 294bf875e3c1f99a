/**
 * The deployed entry point as Lambda runs it: settings from the environment the stack sets, real
 * Powertools logger and metrics, AWS clients mocked at the class level. Its metrics must be EMF in
 * Boop/Traffic with exactly the contract's dimensions, or the alarms would not see them.
 */
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { DIMENSIONS, NAMESPACES, TRAFFIC_METRICS } from '../../common/contract';
import { forwardAction } from '../../common/traffic/weights';
import { captureStdoutAsync } from '../support/stdout';
import { controllerEnvironment, SETTINGS } from './fake-aws';

const METRIC_ENVIRONMENT = 'production';

beforeAll(() => {
  Object.assign(process.env, controllerEnvironment(METRIC_ENVIRONMENT));
  const state = JSON.stringify({ version: 1, intent: 25, greenPercent: 25, stepStartedAt: '2026-11-20T00:00:00.000Z', changes: [] });
  mockClient(SSMClient)
    .on(GetParameterCommand)
    .resolves({ Parameter: { Value: state } })
    .on(PutParameterCommand)
    .resolves({});
  mockClient(ElasticLoadBalancingV2Client)
    .on(ModifyListenerCommand)
    .resolves({})
    .on(DescribeListenersCommand)
    .resolves({ Listeners: [{ DefaultActions: [forwardAction(SETTINGS.targetGroups, 0, SETTINGS.stickinessSeconds)] }] });
  mockClient(SNSClient).on(PublishCommand).resolves({});
  mockClient(CloudWatchClient);
  mockClient(ApplicationAutoScalingClient).on(RegisterScalableTargetCommand).resolves({});
});

async function invoke(event: unknown): Promise<{
  result: unknown;
  /** The log lines at WARN and above (Powertools writes those to stderr). */
  logged: { level: string; message: string }[];
  emf: { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } }[];
}> {
  const { result, output, errors } = await captureStdoutAsync(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../../lambda/traffic/handler') as { handler: (event: unknown) => Promise<unknown> };
    return handler(event);
  });
  return {
    result,
    logged: errors
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    emf: output
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l._aws),
  };
}

test('an ignored event writes IgnoredEvents as EMF in Boop/Traffic with the Environment dimension only', async () => {
  const { result, emf, logged } = await invoke({ hello: 'world' });
  expect(result).toHaveProperty('ignored');
  expect(logged).toEqual([expect.objectContaining({ level: 'WARN', message: 'event ignored' })]);
  const directive = emf[0]._aws.CloudWatchMetrics[0];
  expect(directive.Namespace).toBe(NAMESPACES.traffic);
  expect(directive.Dimensions).toEqual([[DIMENSIONS.environment]]);
  expect(directive.Metrics).toEqual([{ Name: 'IgnoredEvents', Unit: TRAFFIC_METRICS.IgnoredEvents.unit }]);
  expect((emf[0] as unknown as Record<string, unknown>)[DIMENSIONS.environment]).toBe(METRIC_ENVIRONMENT);
});

test("a rollback writes Rollbacks, RollbackLatency, WeightChanges and GreenPercent with the contract's units", async () => {
  const { emf, logged } = await invoke({
    'source': 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    'detail': { alarmName: SETTINGS.rollbackAlarmName, state: { value: 'ALARM', reason: 'test', timestamp: new Date().toISOString() } },
  });
  const metrics = emf.flatMap((line) => line._aws.CloudWatchMetrics[0].Metrics);
  for (const name of ['Rollbacks', 'RollbackLatency', 'WeightChanges', 'GreenPercent'] as const) {
    expect(metrics).toContainEqual({ Name: name, Unit: TRAFFIC_METRICS[name].unit });
  }
  expect(logged).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'rolled back to blue' }));
});

test('a forged deploy event writes RefusedEvents as EMF and is not honoured', async () => {
  const { result, emf, logged } = await invoke({
    RequestType: 'Update',
    ResponseURL: 'https://attacker.example/answer',
    StackId: SETTINGS.stackId,
    RequestId: 'r1',
    LogicalResourceId: 'TrafficControlWeights',
    ResourceType: 'Custom::BoopTrafficWeights',
    PhysicalResourceId: 'boop-traffic-weights',
    ResourceProperties: { ServiceToken: 'x', GreenPercent: '100', ListenerFingerprint: 'f', RolloutOverride: 'forged' },
    OldResourceProperties: {},
  });
  expect(result).toHaveProperty('refused');
  expect(logged).toContainEqual(expect.objectContaining({ level: 'ERROR', message: "deploy event refused: not CloudFormation's own" }));
  const metrics = emf.flatMap((line) => line._aws.CloudWatchMetrics[0].Metrics);
  expect(metrics).toContainEqual({ Name: 'RefusedEvents', Unit: TRAFFIC_METRICS.RefusedEvents.unit });
});
