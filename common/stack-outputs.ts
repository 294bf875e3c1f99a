/**
 * The stack outputs the operator CLIs read, so they find the deployed resources without lookups by
 * name. Plain TypeScript with no CDK imports: the CLIs load it without loading the CDK.
 */
export const STACK_OUTPUTS = {
  listenerArn: 'WeightedListenerArn',
  blueTargetGroupArn: 'BlueTargetGroupArn',
  greenTargetGroupArn: 'GreenTargetGroupArn',
  controllerFunctionName: 'TrafficControllerFunctionName',
  stateParameterName: 'TrafficStateParameterName',
  rollbackAlarmName: 'RollbackAlarmName',
  rolloutSteps: 'RolloutSteps',
  bakeTimeHours: 'BakeTimeHours',
} as const;

export type StackOutputKey = keyof typeof STACK_OUTPUTS;

/** The stack name of an environment. */
export function stackName(envName: string): string {
  return `BoopIntegration-${envName}`;
}

/** The metric alarm of a green rollback row that `rollout drill` puts into ALARM. */
export function drillAlarmName(envName: string): string {
  return `boop-${envName}-SERVICE_DOWN-green`;
}
