/**
 * The traffic control resources in the template: the GreenPercent parameter, the custom resource
 * that carries it with the listener's fingerprint, the release guard's custom resource that the
 * services wait for, the rollback rule, the dead-letter queue and its alarm, the one-writer
 * function, and green's capacity: the one lever on green's task count, named by the controller's settings;
 * with rollout.autoAdvance, the tick schedule, the notice topic and the AutoAdvance output, and without it none of them.
 */
import { ROLLOUT_OVERRIDE_CONTEXT_KEY } from '../../lib/app';
import { environmentNames, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS, RELEASE_RESOURCE_TYPE, TRAFFIC_RESOURCE_TYPE } from '../../common/names';
import { SLOTS } from '../../common/slots';
import { ConfigError } from '../../lib/config/load-config';
import { INVOCATION_BUDGET_MS, worstCaseInvocationMs } from '../../lambda/traffic/settings';
import { AWS_CALL_LIMITS } from '../../lambda/support/aws-clients';
import { AUTO_ADVANCE_OUTPUT, SETTINGS_VARIABLES, TICK_ACTION } from '../../common/payloads';
import { TICK_INTERVAL_MINUTES } from '../../common/traffic/hands-free';
import { ECS_TASK_COUNT, GREEN_CAPACITY_TAG } from '../../common/traffic/green-capacity';
import { Cfn, logicalIdOf, referencedId, resourcesOfType } from '../support/resources';
import { build, Built } from '../support/synth';

let prod: Built;
beforeAll(() => {
  prod = build('prod');
});

const weightsResource = (built: Built): Cfn => resourcesOfType(built, TRAFFIC_RESOURCE_TYPE)[0][1];
const releaseResource = (built: Built): [string, Cfn] => {
  const releases = resourcesOfType(built, RELEASE_RESOURCE_TYPE);
  expect(releases).toHaveLength(1);
  return releases[0];
};
const controller = (built: Built): Cfn => resourcesOfType(built, 'AWS::Lambda::Function').find(([id]) => id.startsWith('TrafficControlController'))![1];

test('GreenPercent is a Number parameter within 0..100 that defaults to 0 (all traffic on blue)', () => {
  expect(prod.template.toJSON().Parameters[GREEN_PERCENT_PARAMETER]).toMatchObject({ Type: 'Number', MinValue: 0, MaxValue: 100, Default: 0 });
});

test("the custom resource carries GreenPercent and the listener's fingerprint, and waits for the listener, both services and the rollback path", () => {
  const resource = weightsResource(prod);
  expect(resource.Properties).toMatchObject({ GreenPercent: { Ref: GREEN_PERCENT_PARAMETER }, RolloutOverride: '' });
  // A synth-time hash of the configuration, joined with the ARNs CloudFormation resolves at deploy time.
  const [separator, [hash, ...references]] = resource.Properties.ListenerFingerprint['Fn::Join'];
  expect(separator).toBe('|');
  expect(hash).toMatch(/^[0-9a-f]{16}$/);
  const ids = [prod.stack.service.listener, prod.stack.service.targetGroups.blue, prod.stack.service.targetGroups.green].map((construct) => ({
    Ref: logicalIdOf(prod.stack, construct),
  }));
  expect(references).toEqual(ids);
  const listenerId = logicalIdOf(prod.stack, prod.stack.service.listener);
  const serviceIds = ['blue', 'green'].map((slot) => logicalIdOf(prod.stack, prod.stack.service.services[slot as 'blue']));
  const alarmId = logicalIdOf(prod.stack, prod.stack.alarms.rollbackAlarm);
  const [ruleId] = rollbackRule();
  // Green never gets traffic before the alarm and the rule that can take it back exist.
  expect(resource.DependsOn).toEqual(expect.arrayContaining([listenerId, ...serviceIds, alarmId, ruleId]));
  // A controller that never answers fails the deploy in minutes, not CloudFormation's default hour.
  expect(Number(resource.Properties.ServiceTimeout)).toBeLessThanOrEqual(900);
});

test('the fingerprint changes with any change of the listener and with nothing else', () => {
  const fingerprint = (built: Built) => JSON.stringify(weightsResource(built).Properties.ListenerFingerprint);
  expect(fingerprint(build('prod'))).toBe(fingerprint(prod));
  const moreTasks = build('prod', { 'service.desiredCount': '3' });
  expect(fingerprint(moreTasks)).toBe(fingerprint(prod));
  const otherCertificate = 'arn:aws:acm:eu-west-1:111122223333:certificate/11111111-1111-4111-8111-111111111111';
  expect(fingerprint(build('prod', { 'loadBalancer.certificateArn': otherCertificate }))).not.toBe(fingerprint(prod));
});

test('-c rolloutOverride reaches both custom resources for that deploy; a blank reason is refused', () => {
  const overridden = build('prod', { [ROLLOUT_OVERRIDE_CONTEXT_KEY]: 'INC-42 hotfix' });
  expect(weightsResource(overridden).Properties.RolloutOverride).toBe('INC-42 hotfix');
  expect(releaseResource(overridden)[1].Properties.RolloutOverride).toBe('INC-42 hotfix');
  expect(() => build('prod', { [ROLLOUT_OVERRIDE_CONTEXT_KEY]: '  ' })).toThrow(ConfigError);
});

test("the release guard's resource carries both image parameters and GreenPercent, and is served by the controller", () => {
  const [, release] = releaseResource(prod);
  expect(release.Properties).toEqual({
    ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^TrafficControlController/), 'Arn'] },
    ServiceTimeout: weightsResource(prod).Properties.ServiceTimeout,
    BlueImage: { Ref: IMAGE_PARAMETERS.blue },
    GreenImage: { Ref: IMAGE_PARAMETERS.green },
    GreenPercent: { Ref: GREEN_PERCENT_PARAMETER },
    RolloutOverride: '',
    GreenCapacity: String(prod.config.service.desiredCount),
  });
  expect(release.Properties.ServiceToken).toEqual(weightsResource(prod).Properties.ServiceToken);
});

// A service waiting for the guard while the guard's function waits for the service would be a cycle, which synth's CloudFormation validation refuses (F3004).
test.each(SLOTS)('ECS touches the %s service only after the release guard accepted the deploy', (slot) => {
  const [releaseId] = releaseResource(prod);
  const service = prod.resources[logicalIdOf(prod.stack, prod.stack.service.services[slot])];
  expect(service.DependsOn).toContain(releaseId);
});

const greenCapacity = (built: Built): [string, Cfn] => {
  const targets = resourcesOfType(built, 'AWS::ApplicationAutoScaling::ScalableTarget');
  expect(targets).toHaveLength(1);
  return targets[0];
};

test("green's service has no DesiredCount, so CloudFormation keeps its live count on every update; blue's keeps the configured one", () => {
  const service = (slot: 'blue' | 'green') => prod.resources[logicalIdOf(prod.stack, prod.stack.service.services[slot])].Properties;
  expect(service('green')).not.toHaveProperty('DesiredCount');
  expect(service('green').ServiceName).toBe(environmentNames('prod').greenService);
  expect(service('blue').DesiredCount).toBe(prod.config.service.desiredCount);
});

test("green's capacity is a scalable target of green's service, pinned to its configured count, tagged as green's, registered after the service and the release guard", () => {
  const [id, target] = greenCapacity(prod);
  const count = prod.config.service.desiredCount;
  const greenId = logicalIdOf(prod.stack, prod.stack.service.services.green);
  expect(target.Properties).toEqual({
    ServiceNamespace: ECS_TASK_COUNT.namespace,
    ScalableDimension: ECS_TASK_COUNT.dimension,
    ResourceId: { 'Fn::Join': ['', ['service/', { Ref: logicalIdOf(prod.stack, prod.stack.service.cluster) }, '/', { 'Fn::GetAtt': [greenId, 'Name'] }]] },
    MinCapacity: count,
    MaxCapacity: count,
    Tags: expect.arrayContaining([{ Key: GREEN_CAPACITY_TAG, Value: environmentNames('prod').greenService }]),
  });
  // A new count is judged by the guard before it reaches green; the acknowledgement (the weights) re-pins an existing target.
  expect(target.DependsOn).toContain(releaseResource(prod)[0]);
  expect(weightsResource(prod).DependsOn).toContain(id);
  expect(greenCapacity(build('prod', { 'service.desiredCount': '3' }))[1].Properties).toMatchObject({ MinCapacity: 3, MaxCapacity: 3 });
});

test("green's identity and configured count are the controller's settings; no deploy event property names a service or a count", () => {
  const variables = controller(prod).Properties.Environment.Variables;
  expect(variables[SETTINGS_VARIABLES.greenCluster]).toEqual({ Ref: logicalIdOf(prod.stack, prod.stack.service.cluster) });
  // The name green's service is given, so the controller never waits for the service that waits for it.
  expect(variables[SETTINGS_VARIABLES.greenService]).toBe(prod.resources[logicalIdOf(prod.stack, prod.stack.service.services.green)].Properties.ServiceName);
  expect(variables[SETTINGS_VARIABLES.greenDesiredCount]).toBe(String(prod.config.service.desiredCount));
  expect(Object.keys(weightsResource(prod).Properties).sort()).toEqual([
    'GreenPercent',
    'ListenerFingerprint',
    'RolloutOverride',
    'ServiceTimeout',
    'ServiceToken',
  ]);
});

test('the controller: concurrency 1, a dead-letter queue, the current Node runtime, settings from the stack', () => {
  const fn = controller(prod);
  expect(fn.Properties).toMatchObject({
    ReservedConcurrentExecutions: 1,
    Runtime: 'nodejs24.x',
    DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^TrafficControlDeadLetters/), 'Arn'] } },
  });
  const variables = fn.Properties.Environment.Variables;
  const handsFree: string[] = [SETTINGS_VARIABLES.autoAdvance, SETTINGS_VARIABLES.noticeTopicArn];
  expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.values(SETTINGS_VARIABLES).filter((name) => !handsFree.includes(name))));
  expect(variables[SETTINGS_VARIABLES.rolloutSteps]).toBe(JSON.stringify(prod.config.rollout.steps));
  expect(variables[SETTINGS_VARIABLES.rollbackAlarmName]).toBe(environmentNames('prod').rollbackAlarm);
  expect(variables[SETTINGS_VARIABLES.releaseGuard]).toBe(String(prod.config.rollout.releaseGuard));
  expect(variables[SETTINGS_VARIABLES.scaleGreenToZero]).toBe(String(prod.config.rollout.scaleGreenToZeroOnRollback));
  // Deploy events are honoured only from this very stack.
  expect(variables[SETTINGS_VARIABLES.stackId]).toEqual({ Ref: 'AWS::StackId' });
});

test("every AWS call and the answer to CloudFormation end well inside the function's timeout", () => {
  const timeoutMs = controller(prod).Properties.Timeout * 1000;
  // One call with all its attempts fits the invocation's budget, and the budget plus every try of the answer fits the timeout.
  expect(AWS_CALL_LIMITS.maxAttempts * (AWS_CALL_LIMITS.connectionTimeoutMs + AWS_CALL_LIMITS.requestTimeoutMs)).toBeLessThan(INVOCATION_BUDGET_MS);
  expect(worstCaseInvocationMs()).toBeLessThan(timeoutMs);
});

test('failed rollbacks are kept like the other audit data: the dead-letter queue is retained in production, not in dev', () => {
  const queue = (built: Built) => resourcesOfType(built, 'AWS::SQS::Queue').find(([id]) => id.startsWith('TrafficControlDeadLetters'))![1];
  expect(queue(prod)).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  expect(queue(build('dev'))).toMatchObject({ DeletionPolicy: 'Delete' });
});

test('the rollback alarm entering ALARM invokes the controller, with retries and the dead-letter queue', () => {
  const [, rule] = rollbackRule();
  expect(rule.Properties.EventPattern).toEqual({
    'source': ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    'detail': { alarmName: [environmentNames('prod').rollbackAlarm], state: { value: ['ALARM'] } },
  });
  const target = rule.Properties.Targets[0];
  expect(target.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TrafficControlController/), 'Arn'] });
  expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TrafficControlDeadLetters/), 'Arn'] });
  expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
});

test("ROLLBACK_FAILED pages on controller errors, the controller's own Lambda errors and throttles, and any failed rollback waiting in the dead-letter queue", () => {
  const [, alarm] = resourcesOfType(prod, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === 'boop-prod-ROLLBACK_FAILED')!;
  const metrics = alarm.Properties.Metrics.filter((m: Cfn) => m.MetricStat).map(
    (m: Cfn) => `${m.MetricStat.Metric.Namespace}/${m.MetricStat.Metric.MetricName}`,
  );
  expect(metrics.sort()).toEqual(['AWS/Lambda/Errors', 'AWS/Lambda/Throttles', 'AWS/SQS/ApproximateNumberOfMessagesVisible', 'Boop/Traffic/ControllerErrors']);
  const lambdaDimensions = alarm.Properties.Metrics.filter((m: Cfn) => m.MetricStat?.Metric.Namespace === 'AWS/Lambda').map(
    (m: Cfn) => m.MetricStat.Metric.Dimensions,
  );
  const controllerId = resourcesOfType(prod, 'AWS::Lambda::Function').find(([id]) => id.startsWith('TrafficControlController'))![0];
  expect(lambdaDimensions).toEqual([[{ Name: 'FunctionName', Value: { Ref: controllerId } }], [{ Name: 'FunctionName', Value: { Ref: controllerId } }]]);
  const queueDimension = alarm.Properties.Metrics.find((m: Cfn) => m.MetricStat?.Metric.Namespace === 'AWS/SQS').MetricStat.Metric.Dimensions[0];
  expect(queueDimension.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TrafficControlDeadLetters/), 'QueueName'] });
});

test('nothing in the template holds live weights: the listener keeps blue 100 / green 0', () => {
  const listener = prod.resources[logicalIdOf(prod.stack, prod.stack.service.listener)];
  const groups = listener.Properties.DefaultActions[0].ForwardConfig.TargetGroups.map((g: Cfn) => g.Weight);
  expect(groups).toEqual([100, 0]);
});

/** The rule that reacts to an alarm (the stack's other rule is the health check's schedule). */
function rollbackRule() {
  const rules = resourcesOfType(prod, 'AWS::Events::Rule').filter(([, rule]) => rule.Properties.EventPattern !== undefined);
  expect(rules).toHaveLength(1);
  return rules[0];
}

describe('the hands-free rollout (rollout.autoAdvance)', () => {
  let handsFree: Built;
  beforeAll(() => {
    handsFree = build('prod', { 'rollout.autoAdvance': 'true' });
  });

  const controllerId = (built: Built) => logicalIdOf(built.stack, built.stack.trafficControl.controller);
  /** Every schedule whose target is the controller. */
  const ticks = (built: Built): [string, Cfn][] =>
    resourcesOfType(built, 'AWS::Events::Rule').filter(
      ([, rule]) =>
        rule.Properties.ScheduleExpression !== undefined && rule.Properties.Targets.some((target: Cfn) => referencedId(target.Arn) === controllerId(built)),
    );
  /** The permissions letting EventBridge invoke the controller. */
  const eventPermissions = (built: Built): Cfn[] =>
    resourcesOfType(built, 'AWS::Lambda::Permission')
      .map(([, permission]) => permission.Properties)
      .filter((p) => p.Principal === 'events.amazonaws.com' && referencedId(p.FunctionName) === controllerId(built));

  test(`a schedule ticks the controller every ${TICK_INTERVAL_MINUTES} minutes with the constant tick, and nothing else: no retry, no dead-letter queue, held less than an interval`, () => {
    const found = ticks(handsFree);
    expect(found).toHaveLength(1);
    const [, rule] = found[0];
    expect(rule.Properties.ScheduleExpression).toBe(`rate(${TICK_INTERVAL_MINUTES} minutes)`);
    expect(rule.Properties.State).not.toBe('DISABLED');
    expect(rule.Properties).not.toHaveProperty('EventPattern');
    expect(rule.Properties.Targets).toHaveLength(1);
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [controllerId(handsFree), 'Arn'] });
    // The tick carries nothing a caller could choose: a constant, not the scheduled event.
    expect(JSON.parse(target.Input)).toEqual({ action: TICK_ACTION });
    expect(target).not.toHaveProperty('InputPath');
    expect(target).not.toHaveProperty('InputTransformer');
    // A missed tick is the next tick's work; the dead-letter queue is the failed rollbacks' (ROLLBACK_FAILED).
    expect(target.RetryPolicy.MaximumRetryAttempts).toBe(0);
    expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeLessThan(TICK_INTERVAL_MINUTES * 60);
    expect(target).not.toHaveProperty('DeadLetterConfig');
  });

  test('EventBridge may invoke the controller only from its two rules: the rollback rule and the tick', () => {
    const [tickId] = ticks(handsFree)[0];
    const [rollbackId] = resourcesOfType(handsFree, 'AWS::Events::Rule').find(([, rule]) => rule.Properties.EventPattern !== undefined)!;
    const permissions = eventPermissions(handsFree);
    expect(permissions).toHaveLength(2);
    expect(permissions.map((p) => p.SourceArn)).toEqual(expect.arrayContaining([rollbackId, tickId].map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }))));
    for (const permission of permissions) expect(permission.Action).toBe('lambda:InvokeFunction');
  });

  test('the controller is told autoAdvance is on and where its notices go: the medium alert topic', () => {
    const variables = controller(handsFree).Properties.Environment.Variables;
    expect(variables[SETTINGS_VARIABLES.autoAdvance]).toBe('true');
    expect(variables[SETTINGS_VARIABLES.noticeTopicArn]).toEqual({ Ref: logicalIdOf(handsFree.stack, handsFree.stack.alerting.topics.medium) });
    expect(variables[SETTINGS_VARIABLES.criticalTopicArn]).toEqual({ Ref: logicalIdOf(handsFree.stack, handsFree.stack.alerting.topics.critical) });
  });

  test('the stack says so in its AutoAdvance output, which npm run rollout reads', () => {
    expect(handsFree.template.toJSON().Outputs[AUTO_ADVANCE_OUTPUT]).toEqual({ Value: 'true', Description: expect.stringContaining('npm run rollout') });
  });

  test('turning it on or off runs the weights: their resource carries the setting, so the deploy takes or drops the target', () => {
    const weightsOf = (built: Built) => resourcesOfType(built, TRAFFIC_RESOURCE_TYPE)[0][1].Properties;
    expect(weightsOf(handsFree)).toEqual({ ...weightsOf(prod), AutoAdvance: 'true' });
  });

  test('turning it on adds the tick and its permission, and changes only the controller, its policy, the weights and the outputs', () => {
    const ids = (built: Built) => Object.keys(built.resources);
    const [tickId] = ticks(handsFree)[0];
    const [permissionId] = resourcesOfType(handsFree, 'AWS::Lambda::Permission').find(
      ([, p]) => JSON.stringify(p.Properties.SourceArn) === JSON.stringify({ 'Fn::GetAtt': [tickId, 'Arn'] }),
    )!;
    expect(
      ids(handsFree)
        .filter((id) => !(id in prod.resources))
        .sort(),
    ).toEqual([tickId, permissionId].sort());
    expect(ids(prod).filter((id) => !(id in handsFree.resources))).toEqual([]);
    const changed = ids(prod).filter((id) => JSON.stringify(prod.resources[id]) !== JSON.stringify(handsFree.resources[id]));
    const policyOf = (roleId: string) =>
      resourcesOfType(prod, 'AWS::IAM::Policy').find(([, policy]) => policy.Properties.Roles.some((role: Cfn) => role.Ref === roleId))![0];
    const controllerRole = controller(prod).Properties.Role['Fn::GetAtt'][0];
    const [weightsId] = resourcesOfType(prod, TRAFFIC_RESOURCE_TYPE)[0];
    expect(changed.sort()).toEqual([controllerId(prod), policyOf(controllerRole), weightsId].sort());
    const [on, off] = [handsFree, prod].map((built) => built.template.toJSON());
    expect(on.Parameters).toEqual(off.Parameters);
    expect(on.Outputs).toEqual({ ...off.Outputs, [AUTO_ADVANCE_OUTPUT]: expect.anything() });
  });

  test('without it (the default of both BOOP environments) there is no tick, no notice topic, no hands-free setting and no output', () => {
    for (const built of [prod, build('dev')]) {
      expect(ticks(built)).toEqual([]);
      expect(eventPermissions(built)).toHaveLength(1);
      const variables = controller(built).Properties.Environment.Variables;
      expect(variables).not.toHaveProperty(SETTINGS_VARIABLES.autoAdvance);
      expect(variables).not.toHaveProperty(SETTINGS_VARIABLES.noticeTopicArn);
      expect(built.template.toJSON().Outputs).not.toHaveProperty(AUTO_ADVANCE_OUTPUT);
    }
  });
});
