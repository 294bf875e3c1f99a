/**
 * The controller's calls over the wire: a moto server (an AWS API emulator in Python; `npm run
 * test:aws` checks that it is installed) on 127.0.0.1 stands in for ELBv2, SSM, CloudWatch, SNS,
 * CloudFormation and ECS, and the real SDK clients reach it through their endpoint. What the mocks assume
 * about request and answer shapes is checked here against an implementation of the APIs.
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ControllerSettings, TrafficController } from '../../lambda/traffic/controller';
import { route } from '../../lambda/traffic/route';
import { forwardAction, readLiveWeights } from '../../common/traffic/weights';
import { environmentNames, GREEN_PERCENT_PARAMETER, TRAFFIC_RESOURCE_TYPE } from '../../common/names';
import { TrafficResourceProperties } from '../../common/payloads';
import { ECS_TASK_COUNT, GREEN_CAPACITY_TAG, scalableTargetId } from '../../common/traffic/green-capacity';
import { MotoServer, startMoto } from './moto';

const REGION = 'eu-west-1';
const names = environmentNames('dev');
jest.setTimeout(120_000);

let moto: MotoServer;

beforeAll(async () => {
  moto = await startMoto();
});

afterAll(() => moto?.stop());

/** The default VPC's id and two of its subnets, read with a plain EC2 query (no EC2 SDK needed). */
async function defaultNetwork(): Promise<{ vpcId: string; subnets: string[] }> {
  const text = await (
    await fetch(`${moto.endpoint}/?Action=DescribeSubnets&Version=2016-11-15`, {
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=x` },
    })
  ).text();
  const subnets = [...text.matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1]);
  const vpcId = /<vpcId>([^<]+)<\/vpcId>/.exec(text)![1];
  return { vpcId, subnets: subnets.slice(0, 2) };
}

test("a rise refused without a readable rollback alarm, a rollback that pins green's capacity to zero, the resume procedure that restores it, and a forged deploy event refused, against the APIs", async () => {
  const config = moto.clientConfig(REGION);
  const clients = {
    elb: new ElasticLoadBalancingV2Client(config),
    ssm: new SSMClient(config),
    cloudwatch: new CloudWatchClient(config),
    sns: new SNSClient(config),
    cloudformation: new CloudFormationClient(config),
    ecs: new ECSClient(config),
    autoScaling: new ApplicationAutoScalingClient(config),
  };

  const { vpcId, subnets } = await defaultNetwork();
  const targetGroup = async (name: string) =>
    (
      await clients.elb.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'HTTP',
          Port: 8080,
          VpcId: vpcId,
          TargetType: 'ip',
          HealthCheckPath: '/health/boop',
        }),
      )
    ).TargetGroups![0].TargetGroupArn!;
  const blue = await targetGroup('boop-blue');
  const green = await targetGroup('boop-green');
  await clients.elb.send(new RegisterTargetsCommand({ TargetGroupArn: green, Targets: [{ Id: '10.0.0.10', Port: 8080 }] }));
  const lb = (await clients.elb.send(new CreateLoadBalancerCommand({ Name: 'boop-alb', Subnets: subnets, Type: 'application' }))).LoadBalancers![0];
  const listenerArn = (
    await clients.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: blue, Weight: 100 },
                { TargetGroupArn: green, Weight: 0 },
              ],
            },
          },
        ],
      }),
    )
  ).Listeners![0].ListenerArn!;
  const topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: names.alertTopic('critical') }))).TopicArn!;
  // Green's ECS service, running its configured two tasks.
  const cluster = (await clients.ecs.send(new CreateClusterCommand({ clusterName: 'boop-dev' }))).cluster!.clusterName!;
  const taskDefinition = (
    await clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'boop-green',
        containerDefinitions: [{ name: 'integration', image: 'registry.example/boop:2.0.0', memory: 512 }],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;
  const greenService = { cluster, service: names.greenService, desiredCount: 2 };
  await clients.ecs.send(new CreateServiceCommand({ cluster, serviceName: greenService.service, taskDefinition }));
  // Green's capacity, as the stack registers it: tagged as green's, pinned to the configured count.
  const capacity = {
    ServiceNamespace: ECS_TASK_COUNT.namespace,
    ScalableDimension: ECS_TASK_COUNT.dimension,
    ResourceId: scalableTargetId(greenService),
  } as const;
  await clients.autoScaling.send(
    new RegisterScalableTargetCommand({ ...capacity, MinCapacity: 2, MaxCapacity: 2, Tags: { [GREEN_CAPACITY_TAG]: greenService.service } }),
  );
  // moto keeps the range but does not move the service's count (Application Auto Scaling's service-linked role does that in AWS).
  const greenTasks = async () => {
    const target = (await clients.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [capacity.ResourceId] })))
      .ScalableTargets![0];
    expect(target.MinCapacity).toBe(target.MaxCapacity);
    return target.MinCapacity;
  };

  const settings: ControllerSettings = {
    envName: 'dev',
    stackId: `arn:aws:cloudformation:${REGION}:123456789012:stack/${names.stack}/none`,
    region: REGION,
    listenerArn,
    targetGroups: { blue, green },
    stateParameterName: names.parameters.trafficState,
    rollbackAlarmName: names.rollbackAlarm,
    criticalTopicArn: topicArn,
    policy: { steps: [5, 100], bakeTimeHours: 0 },
    stickinessSeconds: 3600,
    releaseGuard: true,
    scaleGreenToZero: true,
    green: greenService,
  };
  const metrics: string[] = [];
  const controller = new TrafficController(settings, clients, {
    now: () => new Date(),
    metric: (name) => metrics.push(name),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const live = async () =>
    readLiveWeights((await clients.elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }))).Listeners![0], { blue, green });

  // Without the rollback alarm the rise is refused: it could not be rolled back.
  await expect(controller.applyDeploy({ intent: 5 }, 'test')).rejects.toThrow(/rollback alarm cannot be read/);
  expect(await live()).toMatchObject({ greenPercent: 0, blueAlone: false });

  // Green at 5 %, as an earlier deploy would have left it.
  await clients.elb.send(
    new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: [forwardAction({ blue, green }, 5, settings.stickinessSeconds)] }),
  );
  await clients.ssm.send(
    new PutParameterCommand({
      Name: settings.stateParameterName,
      Type: 'String',
      Overwrite: true,
      Value: JSON.stringify({
        version: 1,
        intent: 5,
        greenPercent: 5,
        stepStartedAt: new Date().toISOString(),
        listenerArn,
        changes: [{ at: new Date().toISOString(), by: 'test', why: 'seed', from: 0, to: 5, kind: 'deploy' }],
      }),
    }),
  );
  expect(await live()).toEqual({ greenPercent: 5, blueAlone: false, stickinessEnabled: true });

  await controller.rollback({ trigger: settings.rollbackAlarmName, triggeredAt: new Date(), why: 'test', by: 'test' });
  expect(await live()).toMatchObject({ greenPercent: 0, blueAlone: true, stickinessEnabled: false });
  const stored = JSON.parse((await clients.ssm.send(new GetParameterCommand({ Name: settings.stateParameterName }))).Parameter!.Value!);
  expect(stored.greenPercent).toBe(0);
  expect(stored.changes.map((c: { kind: string }) => c.kind)).toEqual(['rollback', 'deploy']);
  expect(metrics).toEqual(expect.arrayContaining(['Rollbacks', 'RollbackLatency']));
  expect(await greenTasks()).toBe(0);
  expect(stored.lastRollback.greenScaledToZeroAt).toBeDefined();

  // The README's resume procedure over the wire: GreenPercent=0 acknowledges, then the first step serves its share.
  await expect(controller.applyDeploy({ intent: 5 }, 'test')).rejects.toThrow(/deploy once with --parameters GreenPercent=0/);
  expect(await greenTasks()).toBe(0);
  await controller.applyDeploy({ intent: 0 }, 'test');
  const acknowledged = JSON.parse((await clients.ssm.send(new GetParameterCommand({ Name: settings.stateParameterName }))).Parameter!.Value!);
  expect(acknowledged.lastRollback.acknowledgedAt).toBeDefined();
  expect(await greenTasks()).toBe(greenService.desiredCount);
  // moto has no composite alarms (no PutCompositeAlarm); a metric alarm of the same name stands in for it.
  await clients.cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: settings.rollbackAlarmName,
      Namespace: 'Boop/Test',
      MetricName: 'Stand-in',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  await expect(controller.applyDeploy({ intent: 5 }, 'test')).resolves.toMatchObject({ result: 'changed', greenPercent: 5 });
  expect(await live()).toEqual({ greenPercent: 5, blueAlone: false, stickinessEnabled: true });
  // 0 → 5 → 0 → 5: a user's deploy is never taken for CloudFormation's rollback.
  await expect(controller.applyDeploy({ intent: 0 }, 'test')).resolves.toMatchObject({ greenPercent: 0 });
  await expect(controller.applyDeploy({ intent: 5 }, 'test')).resolves.toMatchObject({ greenPercent: 5 });

  // A forged deploy event naming this stack, with CloudFormation's answer URL, while the stack is not being updated:
  // the stack's status is read over the wire, the event is refused and paged, and green stays at 5.
  const stackId = (
    await clients.cloudformation.send(
      new CreateStackCommand({
        StackName: names.stack,
        TemplateBody: JSON.stringify({
          Parameters: { [GREEN_PERCENT_PARAMETER]: { Type: 'Number', Default: 0 } },
          Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
        }),
        Parameters: [{ ParameterKey: GREEN_PERCENT_PARAMETER, ParameterValue: '100' }],
      }),
    )
  ).StackId!;
  expect((await clients.cloudformation.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks![0].StackStatus).toBe('CREATE_COMPLETE');
  const owned = new TrafficController({ ...settings, stackId }, clients, {
    now: () => new Date(),
    metric: (name) => metrics.push(name),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const forged = {
    RequestType: 'Update',
    StackId: stackId,
    RequestId: 'forged-1',
    LogicalResourceId: 'TrafficControlWeights',
    ResourceType: TRAFFIC_RESOURCE_TYPE,
    PhysicalResourceId: 'boop-traffic-weights',
    ServiceToken: 'x',
    ResponseURL: `https://cloudformation-custom-resource-response-${REGION.replace(/-/g, '')}.s3.${REGION}.amazonaws.com/forged?X-Amz-Signature=x`,
    ResourceProperties: {
      ServiceToken: 'x',
      ...({
        GreenPercent: '100',
        ListenerFingerprint: 'f',
        RolloutOverride: 'forged',
      } satisfies TrafficResourceProperties),
    },
    OldResourceProperties: { ServiceToken: 'x', GreenPercent: '5', ListenerFingerprint: 'f', RolloutOverride: '' },
  } as CloudFormationCustomResourceEvent;
  const answers: string[] = [];
  const result = await route(forged, {
    controller: owned,
    rollbackAlarmName: settings.rollbackAlarmName,
    region: REGION,
    metric: (name) => metrics.push(name),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    respond: async (_event, answer) => {
      answers.push(answer.status);
    },
  });
  expect(result).toEqual({ refused: 'the stack is CREATE_COMPLETE, not in the middle of an update' });
  expect(answers).toEqual(['FAILED']);
  expect(metrics).toContain('RefusedEvents');
  // The page went out to the critical topic over the wire.
  expect(metrics).not.toContain('ControllerErrors');
  expect(await live()).toEqual({ greenPercent: 5, blueAlone: false, stickinessEnabled: true });
});
