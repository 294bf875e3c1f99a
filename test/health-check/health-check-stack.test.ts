/**
 * The health check as deployed: run every minute and never twice at once, in the private subnets,
 * with a timeout above its checks' bound, reaching only the ports it needs, reading green's service
 * and nothing else of ECS; and the alarms that wait for it read exactly the metrics it writes (both
 * sides from common/contract.ts, compared here), green's reading no breach while green is scaled to zero.
 */
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { HEALTH_CHECK_INTERVAL_MINUTES, HEALTH_CHECK_METRICS, HealthCheckMetricName, NAMESPACES } from '../../common/contract';
import { environmentNames } from '../../common/names';
import { HEALTH_CHECK_VARIABLES } from '../../common/payloads';
import { SLOTS } from '../../common/slots';
import { publishHealthMetrics } from '../../lambda/health-check/metrics';
import { ABORT_GRACE_MS, MetricPoint } from '../../lambda/health-check/run';
import { THRESHOLDS } from '../../lib/monitoring/thresholds';
import { startBoopWorld } from '../support/boop-world';
import { ACCOUNT, DeployedTemplate, PARTITION, REGION } from '../support/deployed-template';
import { alarmInputs, uptimeOf } from '../support/monitoring';
import { evaluate, identityPoliciesOf } from '../support/resource-policies';
import { Cfn, logicalIdOf, resourcesOfType } from '../support/resources';
import { captureStdout, captureStdoutAsync } from '../support/stdout';
import { build, Built } from '../support/synth';

const builds: Record<'dev' | 'prod', Built> = { dev: build('dev'), prod: build('prod') };

function healthCheckOf(built: Built) {
  const id = logicalIdOf(built.stack, built.stack.healthCheck.function);
  return { id, fn: built.resources[id], env: built.resources[id].Properties.Environment.Variables as Record<string, Cfn> };
}

/** Every (namespace, metric, dimensions) the function writes, as EMF through Powertools, for a run that writes every metric of the contract. */
function writtenByTheFunction(metricEnvironment: string): Set<string> {
  const points: MetricPoint[] = (Object.keys(HEALTH_CHECK_METRICS) as HealthCheckMetricName[]).flatMap((name) =>
    HEALTH_CHECK_METRICS[name].dimensions.length > 1 ? SLOTS.map((slot) => ({ name, value: 1, slot })) : [{ name, value: 1 }],
  );
  const metrics = new Metrics({ namespace: NAMESPACES.healthCheck, serviceName: 'under-test' });
  metrics.clearDefaultDimensions();
  const { output } = captureStdout(() => publishHealthMetrics(metrics, metricEnvironment, points));
  const written = new Set<string>();
  for (const line of output
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))) {
    for (const directive of line._aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions as string[][]) {
        for (const metric of directive.Metrics) {
          written.add(key(directive.Namespace, metric.Name, Object.fromEntries(dimensionSet.map((d) => [d, line[d]]))));
        }
      }
    }
  }
  return written;
}

function key(namespace: string, name: string, dimensions: Record<string, unknown>): string {
  return JSON.stringify([namespace, name, Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))]);
}

describe.each(['prod', 'dev'] as const)('%s', (which) => {
  const built = builds[which];

  test('the schedule runs the function every minute, and a run that could not start in its minute is dropped, not retried', () => {
    const { id, fn } = healthCheckOf(built);
    const rules = resourcesOfType(built, 'AWS::Events::Rule').filter(([, rule]) =>
      (rule.Properties.Targets ?? []).some((t: Cfn) => JSON.stringify(t.Arn) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })),
    );
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0];
    expect(rule.Properties.ScheduleExpression).toBe(`rate(${HEALTH_CHECK_INTERVAL_MINUTES} minute)`);
    expect(rule.Properties.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: HEALTH_CHECK_INTERVAL_MINUTES * 60 });
    // No reservation (a new account's quota may not allow one, docs/design.md "Health check"); no retry, no event kept past its minute.
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const [, invokeConfig] = resourcesOfType(built, 'AWS::Lambda::EventInvokeConfig').find(([, c]) => c.Properties.FunctionName.Ref === id)!;
    expect(invokeConfig.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: HEALTH_CHECK_INTERVAL_MINUTES * 60 });
  });

  test("its timeout is above the checks' bound (check timeout + grace) and below the interval, so runs overlap only when an event was delivered late", () => {
    const { fn, env } = healthCheckOf(built);
    expect(Number(env[HEALTH_CHECK_VARIABLES.checkTimeoutMs])).toBe(built.config.healthCheck.timeoutSeconds * 1000);
    expect(fn.Properties.Timeout * 1000).toBeGreaterThan(built.config.healthCheck.timeoutSeconds * 1000 + ABORT_GRACE_MS);
    expect(fn.Properties.Timeout).toBeLessThan(HEALTH_CHECK_INTERVAL_MINUTES * 60);
  });

  test("it runs in the VPC's private subnets, so its requests leave through the NAT addresses the slot header rules admit", () => {
    const { fn } = healthCheckOf(built);
    const privateSubnets = built.stack.service.vpc.privateSubnets.map((s) => built.stack.resolve(s.subnetId));
    expect(privateSubnets.length).toBeGreaterThan(0);
    expect(fn.Properties.VpcConfig.SubnetIds).toEqual(privateSubnets);
  });

  test('it may reach out only on the ports of BOOP, the load balancer and SSM, and nothing may reach in', () => {
    const { fn } = healthCheckOf(built);
    const [groupRef] = fn.Properties.VpcConfig.SecurityGroupIds;
    const group = built.resources[groupRef['Fn::GetAtt'][0]];
    const ports = (group.Properties.SecurityGroupEgress as Cfn[]).map((rule) => [rule.IpProtocol, rule.FromPort, rule.ToPort]);
    const expected = new Set([
      443,
      built.config.loadBalancer.certificateArn !== undefined ? 443 : 80,
      ...[built.config.boop.baseUrl, built.config.boop.wsEndpoint].map((u) => Number(new URL(u).port) || 443),
    ]);
    expect(ports).toEqual([...expected].sort((a, b) => a - b).map((p) => ['tcp', p, p]));
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('the slot checks connect to the load balancer, with the configured host name as TLS name and Host over HTTPS', () => {
    const { env } = healthCheckOf(built);
    const dnsName = built.stack.resolve(built.stack.service.loadBalancer.loadBalancerDnsName);
    const https = built.config.loadBalancer.certificateArn !== undefined;
    expect(env[HEALTH_CHECK_VARIABLES.slotOrigin]).toEqual({ 'Fn::Join': ['', [https ? 'https://' : 'http://', dnsName]] });
    expect(env[HEALTH_CHECK_VARIABLES.slotHostName]).toBe(built.config.loadBalancer.hostName ?? '');
  });

  test("it reads green's service in green's cluster: the service a rollback scales to zero", () => {
    const { env } = healthCheckOf(built);
    const green = built.stack.service.services.green;
    expect(env[HEALTH_CHECK_VARIABLES.greenService]).toEqual(built.stack.resolve(green.serviceArn));
    expect(env[HEALTH_CHECK_VARIABLES.cluster]).toEqual(built.stack.resolve(green.cluster.clusterName));
  });

  test('the alarms waiting for the health check read exactly what the function writes (names, dimensions and values)', () => {
    const { env } = healthCheckOf(built);
    const written = writtenByTheFunction(env[HEALTH_CHECK_VARIABLES.metricEnvironment]);
    const names = environmentNames(built.config.envName);
    const read: string[] = [];
    const missing: string[] = [];
    for (const [, alarm] of resourcesOfType(built, 'AWS::CloudWatch::Alarm')) {
      for (const metric of alarmInputs(alarm.Properties).metrics.filter((m) => m.namespace === NAMESPACES.healthCheck)) {
        const k = key(metric.namespace, metric.metricName, metric.dimensions);
        read.push(`${alarm.Properties.AlarmName} ${metric.metricName}`);
        if (!written.has(k)) missing.push(`${alarm.Properties.AlarmName} reads ${k}, which the function never writes`);
      }
    }
    expect(missing).toEqual([]);
    // Every alarm row that waits for the health check is among them.
    const rows = THRESHOLDS.filter((row) => ['UPTIME_LOW', 'SLOT_UNHEALTHY', 'PRIMARY_KEY_REJECTED', 'KEY_ROTATION_UNREADY'].includes(row.name));
    for (const row of rows) expect(read.some((r) => r.startsWith(names.alarm(row.name)))).toBe(true);
  });
});

describe("ECS, as AWS would decide it: the function may read green's service and nothing else", () => {
  const built = builds.prod;
  const clusterName = 'boop-prod-cluster';
  const serviceArn = (cluster: string, name: string) => `arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;
  const { blue, green } = built.stack.service.services;
  const arns = { blue: serviceArn(clusterName, 'boop-prod-blue'), green: serviceArn(clusterName, 'boop-prod-green') };
  // Concrete names for what CloudFormation would make: Ref of a cluster is its name, of a service its ARN.
  const t = new DeployedTemplate(built.template.toJSON(), {
    [logicalIdOf(built.stack, green.cluster)]: clusterName,
    [logicalIdOf(built.stack, blue)]: arns.blue,
    [logicalIdOf(built.stack, green)]: arns.green,
  });
  const { fn } = healthCheckOf(built);
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const decide = (action: string, resource: string) =>
    evaluate({ principal: t.getAtt(roleId, 'Arn'), action, resource, context: {}, identityPolicies: identityPoliciesOf(t, roleId) });

  test('ecs:DescribeServices on the service its variable names, green, is allowed', async () => {
    const env = t.resolve(fn.Properties.Environment.Variables);
    expect(env[HEALTH_CHECK_VARIABLES.greenService]).toBe(arns.green);
    expect(env[HEALTH_CHECK_VARIABLES.cluster]).toBe(clusterName);
    expect(await decide('ecs:DescribeServices', arns.green)).toBe('Allowed');
  });

  test.each([
    ['ecs:DescribeServices', arns.blue, "blue's service"],
    ['ecs:DescribeServices', serviceArn('boop-dev-cluster', 'boop-dev-green'), "another environment's green"],
    ['ecs:UpdateService', arns.green, "green's task count (only the traffic controller sets it)"],
    ['ecs:DeleteService', arns.green, 'deleting green'],
  ])('%s on %s (%s) is denied', async (action, resource) => {
    expect(await decide(action, resource)).toBe('ImplicitlyDenied');
  });
});

describe('deploy → handler → alarms: the deployed entry point against local servers, its EMF read by the synthesized alarms', () => {
  const built = builds.prod;
  const names = environmentNames(built.config.envName);
  const alarm = (name: string) => resourcesOfType(built, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === name)![1].Properties;
  const MINUTES = 3;

  /**
   * Runs the handler once a "minute" with the template's variables (BOOP and the load balancer pointed
   * at local servers), green's service wanting `greenDesiredCount` tasks and green's slot answering
   * 503 (down, or emptied: the load balancer answers so for a slot with no targets); returns each
   * run's EMF values, its log lines, and the services ECS was asked about.
   */
  async function minutesOfRuns(
    greenDesiredCount: number,
  ): Promise<{ values: Record<string, number>[]; logs: string[]; dimensions: [string, string[][]][]; asked: unknown[] }> {
    const world = await startBoopWorld({ https: false, slots: { green: 'down' } });
    const { env } = healthCheckOf(built);
    const deployed = new DeployedTemplate(built.template.toJSON()).resolve(env);
    const variables = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, typeof value === 'string' ? value : '']));
    Object.assign(process.env, variables, {
      [HEALTH_CHECK_VARIABLES.boopBaseUrl]: world.boopBaseUrl,
      [HEALTH_CHECK_VARIABLES.wsEndpoint]: world.wsEndpoint,
      [HEALTH_CHECK_VARIABLES.slotOrigin]: world.slotTarget.origin,
      [HEALTH_CHECK_VARIABLES.cluster]: deployed[HEALTH_CHECK_VARIABLES.cluster],
      [HEALTH_CHECK_VARIABLES.greenService]: deployed[HEALTH_CHECK_VARIABLES.greenService],
    });
    let handler: () => Promise<void> = async () => {};
    const mocks: { restore(): void }[] = [];
    let asked: () => unknown[] = () => [];
    jest.isolateModules(() => {
      // The handler's own copies of the SDK clients (isolated modules load their own): mocks of the test's copies would not reach it.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const ssmModule = require('@aws-sdk/client-ssm') as { SSMClient: typeof SSMClient; GetParametersCommand: typeof GetParametersCommand };
      const ecsModule = require('@aws-sdk/client-ecs') as { ECSClient: typeof ECSClient; DescribeServicesCommand: typeof DescribeServicesCommand };
      const ssm = mockClient(ssmModule.SSMClient);
      ssm
        .on(ssmModule.GetParametersCommand)
        .resolves({ Parameters: [{ Name: env[HEALTH_CHECK_VARIABLES.primaryKeyParameter], Value: 'sk_test_primary_not_real' }] });
      const ecs = mockClient(ecsModule.ECSClient);
      ecs.on(ecsModule.DescribeServicesCommand).resolves({
        services: [{ serviceArn: deployed[HEALTH_CHECK_VARIABLES.greenService], status: 'ACTIVE', desiredCount: greenDesiredCount }],
      });
      mocks.push(ssm, ecs);
      asked = () => ecs.commandCalls(ecsModule.DescribeServicesCommand).map((call) => call.args[0].input);
      handler = (require('../../lambda/health-check/handler') as { handler: () => Promise<void> }).handler;
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    try {
      const values: Record<string, number>[] = [];
      const logs: string[] = [];
      const dimensions: [string, string[][]][] = [];
      for (let minute = 0; minute < MINUTES; minute++) {
        // A run with a failed check logs at warning level, which Powertools writes to stderr.
        const { output, errors } = await captureStdoutAsync(() => handler());
        // Only JSON lines: Node's own warnings go to stderr too.
        const lines = [...output.split('\n'), ...errors.split('\n')].filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
        const run: Record<string, number> = {};
        for (const line of lines.filter((l) => l._aws)) {
          for (const metric of line._aws.CloudWatchMetrics[0].Metrics) {
            run[line.Slot ? `${metric.Name}/${line.Slot}` : metric.Name] = line[metric.Name];
            dimensions.push([metric.Name, line._aws.CloudWatchMetrics[0].Dimensions]);
          }
        }
        values.push(run);
        logs.push(...lines.filter((l) => !l._aws).map((l) => JSON.stringify(l)));
      }
      return { values, logs, dimensions, asked: asked() };
    } finally {
      for (const mock of mocks) mock.restore();
      await world.close();
    }
  }

  let runs: Awaited<ReturnType<typeof minutesOfRuns>>;
  let emptiedGreen: Awaited<ReturnType<typeof minutesOfRuns>>;
  beforeAll(async () => {
    runs = await minutesOfRuns(built.config.service.desiredCount);
    emptiedGreen = await minutesOfRuns(0);
  });

  test('one log line per run, naming every check', () => {
    expect(runs.logs).toHaveLength(MINUTES);
    for (const line of runs.logs)
      for (const check of ['boopApi', 'vendorWebSocket', 'blueSlot', 'greenSlot', 'keyRotation']) expect(line).toContain(`"${check}"`);
  });

  test("its EMF carries each metric's contract dimensions and nothing else (Powertools' service dimension is cleared)", () => {
    expect(runs.dimensions.length).toBeGreaterThan(0);
    for (const [name, sets] of runs.dimensions) expect(sets).toEqual([[...HEALTH_CHECK_METRICS[name as HealthCheckMetricName].dimensions]]);
  });

  test('UPTIME_LOW: healthy runs from the first minute on read 100 %, not a breach', () => {
    const passed = runs.values.reduce((sum, run) => sum + run.BoopHealthy, 0);
    const value = uptimeOf(alarm(names.alarm('UPTIME_LOW')), { passed, reported: runs.values.length, invocations: MINUTES });
    expect(value).toBe(100);
    const props = alarm(names.alarm('UPTIME_LOW'));
    expect(props.ComparisonOperator).toBe('LessThanThreshold');
    expect(value!).toBeGreaterThanOrEqual(props.Threshold);
  });

  test("SLOT_UNHEALTHY: green down for its datapoints-to-alarm minutes breaches green's alarm (a rollback input); blue's stays OK", () => {
    for (const [slot, breach] of [
      ['green', true],
      ['blue', false],
    ] as const) {
      const props = alarm(names.alarm('SLOT_UNHEALTHY', slot));
      expect(props.ComparisonOperator).toBe('LessThanThreshold');
      const breaching = runs.values.map((run) => run[`SlotHealthy/${slot}`] < props.Threshold);
      expect(breaching.length).toBeGreaterThanOrEqual(props.DatapointsToAlarm);
      expect(breaching.slice(-props.DatapointsToAlarm).every(Boolean)).toBe(breach);
    }
  });

  test("each run asks ECS about green's service as deployed, in its cluster", () => {
    const deployed = new DeployedTemplate(built.template.toJSON()).resolve(healthCheckOf(built).env);
    expect(runs.asked).toHaveLength(MINUTES);
    for (const input of runs.asked)
      expect(input).toEqual({ cluster: deployed[HEALTH_CHECK_VARIABLES.cluster], services: [deployed[HEALTH_CHECK_VARIABLES.greenService]] });
  });

  test("SLOT_UNHEALTHY: green scaled to zero after a rollback writes no green point, which green's alarm treats as not breaching; blue's is still written", () => {
    const props = alarm(names.alarm('SLOT_UNHEALTHY', 'green'));
    expect(props.TreatMissingData).toBe('notBreaching');
    expect(emptiedGreen.values).toHaveLength(MINUTES);
    for (const run of emptiedGreen.values) {
      expect(run).not.toHaveProperty('SlotHealthy/green');
      expect(run['SlotHealthy/blue']).toBe(1);
    }
    for (const line of emptiedGreen.logs) expect(line).toContain('green was not checked because its service runs no tasks');
  });
});
