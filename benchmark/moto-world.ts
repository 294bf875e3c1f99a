/**
 * The rollback's world in moto's server (test/aws/moto.ts): a load balancer with a listener that
 * forwards to blue and green target groups, the critical topic, and the traffic record, set up as
 * test/aws/moto.test.ts does; and put back to green mid-rollout before each timed rollback.
 */
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { environmentNames } from '../common/names';
import { forwardAction } from '../common/traffic/weights';
import { SLOT_HEALTH_CHECK_PATH } from '../lib/guides';
import { GREEN_BEFORE_ROLLBACK, RollbackWorld, stateBeforeRollback } from './rollback-world';

/** The credentials every client signs with: moto takes any, these are its documented dummies. */
const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** SDK clients that talk to moto directly (never through the timing proxy). */
export function motoClients(endpoint: string, region: string) {
  const config = { region, endpoint, credentials: MOTO_CREDENTIALS };
  return { elb: new ElasticLoadBalancingV2Client(config), ssm: new SSMClient(config), sns: new SNSClient(config) };
}
export type MotoClients = ReturnType<typeof motoClients>;

/** The default VPC's id and two of its subnets, read with a plain EC2 query (no EC2 SDK needed). */
async function defaultNetwork(endpoint: string, region: string): Promise<{ vpcId: string; subnets: string[] }> {
  const text = await (
    await fetch(`${endpoint}/?Action=DescribeSubnets&Version=2016-11-15`, {
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=x` },
    })
  ).text();
  const subnets = [...text.matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1]);
  const vpcId = /<vpcId>([^<]+)<\/vpcId>/.exec(text)?.[1];
  if (!vpcId || subnets.length < 2) throw new Error(`moto at ${endpoint} has no default VPC with two subnets`);
  return { vpcId, subnets: subnets.slice(0, 2) };
}

/** Creates the listener, both target groups and the critical topic in moto. */
export async function createMotoWorld(endpoint: string, region: string): Promise<RollbackWorld> {
  const clients = motoClients(endpoint, region);
  const names = environmentNames('prod');
  const { vpcId, subnets } = await defaultNetwork(endpoint, region);
  const targetGroup = async (slot: string) =>
    (
      await clients.elb.send(
        new CreateTargetGroupCommand({
          Name: `${names.prefix}-${slot}`,
          Protocol: 'HTTP',
          Port: 8080,
          VpcId: vpcId,
          TargetType: 'ip',
          HealthCheckPath: SLOT_HEALTH_CHECK_PATH,
        }),
      )
    ).TargetGroups![0].TargetGroupArn!;
  const blue = await targetGroup('blue');
  const green = await targetGroup('green');
  const lb = (await clients.elb.send(new CreateLoadBalancerCommand({ Name: names.prefix, Subnets: subnets, Type: 'application' }))).LoadBalancers![0];
  const listenerArn = (
    await clients.elb.send(
      new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [forwardAction({ blue, green }, 0, 1)] }),
    )
  ).Listeners![0].ListenerArn!;
  const topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: names.alertTopic('critical') }))).TopicArn!;
  return { listenerArn, blue, green, topicArn, motoEndpoint: endpoint };
}

/** Green back at its step on the listener and in the record, as before the alarm fired. */
export async function resetMotoWorld(clients: MotoClients, world: RollbackWorld, stateParameterName: string, stickinessSeconds: number): Promise<void> {
  const { listenerArn, blue, green } = world;
  await clients.elb.send(
    new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: [forwardAction({ blue, green }, GREEN_BEFORE_ROLLBACK, stickinessSeconds)] }),
  );
  // A fresh parameter each time: a long run would otherwise reach SSM's limit of 100 versions per parameter.
  await clients.ssm.send(new DeleteParameterCommand({ Name: stateParameterName })).catch((error: { name?: string }) => {
    if (error.name !== 'ParameterNotFound') throw error;
  });
  await clients.ssm.send(
    new PutParameterCommand({ Name: stateParameterName, Type: 'String', Overwrite: true, Value: stateBeforeRollback(listenerArn, new Date()) }),
  );
}
