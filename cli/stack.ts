/** The deployed stack of an environment as the operator commands find it: its outputs and parameters. */
import { CloudFormationClient, DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { environmentNames, GREEN_PERCENT_PARAMETER } from '../common/names';
import { STACK_OUTPUTS, StackOutputKey, StackOutputs } from '../common/payloads';
import { CliError } from './errors';

export interface DeployedStack {
  readonly outputs: StackOutputs;
  readonly greenPercentIntent?: string;
}

/** The environment's stack, or undefined when it is not deployed in this account and region. */
export async function findStack(cloudformation: CloudFormationClient, env: string): Promise<DeployedStack | undefined> {
  const name = environmentNames(env).stack;
  let stack: Stack | undefined;
  try {
    stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (/does not exist/.test(String((error as Error).message))) return undefined;
    throw error;
  }
  if (!stack) return undefined;
  const byKey = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue ?? '']));
  const missing = Object.values(STACK_OUTPUTS).filter((key) => !byKey.has(key));
  if (missing.length > 0)
    throw new CliError(`stack ${name} lacks the outputs ${missing.join(', ')}; deploy this version of boop-deploy first: npx cdk deploy -c env=${env}`);
  const outputs = Object.fromEntries((Object.keys(STACK_OUTPUTS) as StackOutputKey[]).map((key) => [key, byKey.get(STACK_OUTPUTS[key])!])) as StackOutputs;
  return { outputs, greenPercentIntent: stack.Parameters?.find((p) => p.ParameterKey === GREEN_PERCENT_PARAMETER)?.ParameterValue };
}

/** The environment's stack; a CliError with the deploy command when it is not deployed. */
export async function describeStack(cloudformation: CloudFormationClient, env: string): Promise<DeployedStack> {
  const stack = await findStack(cloudformation, env);
  if (!stack)
    throw new CliError(`stack ${environmentNames(env).stack} is not deployed in this account and region; deploy it with: npx cdk deploy -c env=${env}`);
  return stack;
}
