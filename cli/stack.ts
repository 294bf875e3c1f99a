/** The deployed stack of an environment as the operator commands find it: its outputs and parameters. */
import { CloudFormationClient, DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { BoopEnvironment, CONFIRM_PRODUCTION_PARAMETER, environmentNames, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../common/names';
import { AUTO_ADVANCE_OUTPUT, PRODUCTION_WAIVERS_OUTPUT, STACK_OUTPUTS, StackOutputKey, StackOutputs } from '../common/payloads';
import { ImageRule, parseImageRules } from '../common/images';
import type { Slot } from '../common/slots';
import { CliError } from './errors';

/** The outputs a stack of an earlier version may lack, and what the CLI assumes without them. */
const OPTIONAL_OUTPUTS: Partial<Record<StackOutputKey, string>> = {
  // Judged as the guarded side: a plan never promises what the controller may refuse.
  releaseGuard: 'true',
  // Without it a plan judges images by the environment alone (rollout.ts says so).
  imageRules: 'unknown',
  boopHosts: 'unknown: the stack predates this output; deploy this version of boop-deploy to see it',
};

export interface DeployedStack {
  readonly outputs: StackOutputs;
  readonly greenPercentIntent?: string;
  /** Each slot's image as its stack parameter holds it (what the next deploy keeps); absent on a stack of an earlier version. */
  readonly images: Readonly<Partial<Record<Slot, string>>>;
  /** rollout.releaseGuard, from the ReleaseGuard output; true when the stack lacks it. */
  readonly releaseGuard: boolean;
  /** Each slot's image rule, from the ImageRules output; absent on a stack of an earlier version. */
  readonly imageRules?: Readonly<Record<Slot, ImageRule>>;
  /** The stack carries the ConfirmProduction parameter: it was built as a production stack, whatever its environment is called. */
  readonly production: boolean;
  /** The ProductionWaivers output as the stack holds it (unchecked JSON of each waiver and its reason); absent when it sets none aside. */
  readonly productionWaivers?: string;
  /** rollout.autoAdvance, from the AutoAdvance output: a deploy's GreenPercent is a target the ticks walk green to. False without it (off, or a stack of an earlier version). */
  readonly autoAdvance: boolean;
  /** CloudFormation's status of the stack, e.g. UPDATE_COMPLETE. */
  readonly status: string;
}

/** The BOOP environment a deployed stack is bound to: only a production-bound stack has ConfirmProduction (lib/boop-integration-stack.ts). */
export function boundTo(stack: Pick<Stack, 'Parameters'>): BoopEnvironment {
  return (stack.Parameters ?? []).some((p) => p.ParameterKey === CONFIRM_PRODUCTION_PARAMETER) ? 'production' : 'development';
}

/** The BOOP environment a stack the operator commands found is bound to. */
export function bindingOf(stack: Pick<DeployedStack, 'production'>): BoopEnvironment {
  return stack.production ? 'production' : 'development';
}

/** A stack whose first create never completed: it has no outputs, and `cdk deploy` deletes it and creates it anew. */
const NEVER_CREATED = new Set(['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'ROLLBACK_IN_PROGRESS', 'REVIEW_IN_PROGRESS', 'CREATE_FAILED', 'DELETE_COMPLETE']);

/** Whether a stack of this status is not there for the operator commands: deleted, or its first create never completed. */
export const neverCreated = (status: string | undefined): boolean => NEVER_CREATED.has(status ?? '');

/** The environment's stack, or undefined when it is not deployed in this account and region (or its first create failed). */
export async function findStack(cloudformation: CloudFormationClient, env: string): Promise<DeployedStack | undefined> {
  const name = environmentNames(env).stack;
  let stack: Stack | undefined;
  try {
    stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (/does not exist/.test(String((error as Error).message))) return undefined;
    throw error;
  }
  if (!stack || NEVER_CREATED.has(stack.StackStatus ?? '')) return undefined;
  const byKey = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue ?? '']));
  const keys = Object.keys(STACK_OUTPUTS) as StackOutputKey[];
  const missing = keys.filter((key) => !byKey.has(STACK_OUTPUTS[key]) && OPTIONAL_OUTPUTS[key] === undefined).map((key) => STACK_OUTPUTS[key]);
  if (missing.length > 0)
    throw new CliError(`stack ${name} lacks the outputs ${missing.join(', ')}; deploy this version of boop-deploy first: npx cdk deploy -c env=${env}`);
  const outputs = Object.fromEntries(keys.map((key) => [key, byKey.get(STACK_OUTPUTS[key]) ?? OPTIONAL_OUTPUTS[key]!])) as StackOutputs;
  const parameter = (key: string) => stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
  return {
    outputs,
    greenPercentIntent: parameter(GREEN_PERCENT_PARAMETER),
    images: { blue: parameter(IMAGE_PARAMETERS.blue), green: parameter(IMAGE_PARAMETERS.green) },
    releaseGuard: outputs.releaseGuard !== 'false',
    imageRules: parseImageRules(outputs.imageRules),
    production: boundTo(stack) === 'production',
    productionWaivers: byKey.get(PRODUCTION_WAIVERS_OUTPUT),
    autoAdvance: byKey.get(AUTO_ADVANCE_OUTPUT) === 'true',
    status: stack.StackStatus ?? 'unknown',
  };
}

/** The environment's stack; a CliError with the deploy command when it is not deployed. */
export async function describeStack(cloudformation: CloudFormationClient, env: string): Promise<DeployedStack> {
  const stack = await findStack(cloudformation, env);
  if (!stack)
    throw new CliError(`stack ${environmentNames(env).stack} is not deployed in this account and region; deploy it with: npx cdk deploy -c env=${env}`);
  return stack;
}
