/** What is live in a deployed environment, read as every operator command reads it: the listener's weights and the controller's record. */
import { DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseState, TrafficState } from '../common/traffic/state';
import { LiveWeights, readLiveWeights } from '../common/traffic/weights';
import { CliError } from './errors';
import type { DeployedStack } from './stack';

/** The listener's live weights. */
export async function liveWeights(clients: { readonly elb: ElasticLoadBalancingV2Client }, stack: DeployedStack): Promise<LiveWeights> {
  const listener = (await clients.elb.send(new DescribeListenersCommand({ ListenerArns: [stack.outputs.listenerArn] }))).Listeners?.[0];
  if (!listener) throw new CliError(`listener ${stack.outputs.listenerArn} not found`);
  return readLiveWeights(listener, { blue: stack.outputs.blueTargetGroupArn, green: stack.outputs.greenTargetGroupArn });
}

/** The record as the controller left it; the initial state when it never ran. */
export async function readState(clients: { readonly ssm: SSMClient }, stack: DeployedStack, now: Date): Promise<TrafficState> {
  const text = await clients.ssm
    .send(new GetParameterCommand({ Name: stack.outputs.stateParameterName }))
    .then((r) => r.Parameter?.Value)
    .catch((error) => {
      if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
      throw error;
    });
  return parseState(text, now);
}
