import { SettingKey, SETTINGS_VARIABLES } from '../../common/payloads';
import { RESPONSE_LIMITS } from '../support/cloudformation-response';
import type { ControllerSettings } from './controller';

/** One invocation's AWS work is aborted after this, leaving time to answer CloudFormation inside the function's timeout. */
export const INVOCATION_BUDGET_MS = 40_000;

/** The longest an invocation can run: the AWS budget, then every try of the answer with its back-off. */
export function worstCaseInvocationMs(): number {
  return INVOCATION_BUDGET_MS + RESPONSE_LIMITS.attempts * RESPONSE_LIMITS.timeoutMs + (RESPONSE_LIMITS.attempts - 1) * RESPONSE_LIMITS.backoffMs;
}

export interface HandlerSettings extends ControllerSettings {
  /** The Environment dimension of Boop/Traffic metrics (BOOP_ENV). */
  readonly metricEnvironment: string;
}

/** Reads and checks the controller's settings, as the stack set them; a missing one is an error naming the variable. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv): HandlerSettings {
  const read = (key: SettingKey): string => {
    const value = env[SETTINGS_VARIABLES[key]];
    if (!value) throw new Error(`environment variable ${SETTINGS_VARIABLES[key]} is not set`);
    return value;
  };
  const number = (key: SettingKey): number => {
    const value = Number(read(key));
    if (!Number.isFinite(value)) throw new Error(`environment variable ${SETTINGS_VARIABLES[key]} is not a number`);
    return value;
  };
  const flag = (key: SettingKey): boolean => {
    const value = read(key);
    if (value !== 'true' && value !== 'false') throw new Error(`environment variable ${SETTINGS_VARIABLES[key]} must be "true" or "false"`);
    return value === 'true';
  };
  const greenDesiredCount = number('greenDesiredCount');
  if (!Number.isInteger(greenDesiredCount) || greenDesiredCount < 1)
    throw new Error(`environment variable ${SETTINGS_VARIABLES.greenDesiredCount} must be a whole number of tasks, at least 1`);
  const steps = JSON.parse(read('rolloutSteps')) as unknown;
  if (!Array.isArray(steps) || !steps.every((s) => Number.isInteger(s)))
    throw new Error(`${SETTINGS_VARIABLES.rolloutSteps} must be a JSON list of whole numbers`);
  if (!env.AWS_REGION) throw new Error('environment variable AWS_REGION is not set (Lambda sets it)');
  // Absent on a stack without rollout.autoAdvance: a deploy's GreenPercent is then the share itself.
  const autoAdvance = env[SETTINGS_VARIABLES.autoAdvance] !== undefined && flag('autoAdvance');
  return {
    envName: read('envName'),
    metricEnvironment: read('metricEnvironment'),
    stackId: read('stackId'),
    region: env.AWS_REGION,
    listenerArn: read('listenerArn'),
    targetGroups: { blue: read('blueTargetGroupArn'), green: read('greenTargetGroupArn') },
    stateParameterName: read('stateParameterName'),
    rollbackAlarmName: read('rollbackAlarmName'),
    criticalTopicArn: read('criticalTopicArn'),
    ...(autoAdvance ? { noticeTopicArn: read('noticeTopicArn') } : {}),
    policy: { steps, bakeTimeHours: number('bakeTimeHours'), autoAdvance },
    stickinessSeconds: number('stickinessSeconds'),
    releaseGuard: flag('releaseGuard'),
    scaleGreenToZero: flag('scaleGreenToZero'),
    green: { cluster: read('greenCluster'), service: read('greenService'), desiredCount: greenDesiredCount },
  };
}
