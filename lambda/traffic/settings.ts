import type { ControllerSettings } from './controller';

/** The environment variables the stack sets on the controller function. */
export const SETTINGS_VARIABLES = {
  envName: 'BOOP_ENV_NAME',
  metricEnvironment: 'BOOP_METRIC_ENVIRONMENT',
  listenerArn: 'LISTENER_ARN',
  blueTargetGroupArn: 'BLUE_TARGET_GROUP_ARN',
  greenTargetGroupArn: 'GREEN_TARGET_GROUP_ARN',
  stateParameterName: 'STATE_PARAMETER_NAME',
  rollbackAlarmName: 'ROLLBACK_ALARM_NAME',
  criticalTopicArn: 'CRITICAL_TOPIC_ARN',
  rolloutSteps: 'ROLLOUT_STEPS',
  bakeTimeHours: 'BAKE_TIME_HOURS',
  stickinessSeconds: 'STICKINESS_SECONDS',
} as const;

export interface HandlerSettings extends ControllerSettings {
  /** The Environment dimension of Boop/Traffic metrics (BOOP_ENV). */
  readonly metricEnvironment: string;
}

/** Reads and checks the controller's settings; a missing one is an error naming the variable. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv): HandlerSettings {
  const read = (key: keyof typeof SETTINGS_VARIABLES): string => {
    const value = env[SETTINGS_VARIABLES[key]];
    if (!value) throw new Error(`environment variable ${SETTINGS_VARIABLES[key]} is not set`);
    return value;
  };
  const number = (key: keyof typeof SETTINGS_VARIABLES): number => {
    const value = Number(read(key));
    if (!Number.isFinite(value)) throw new Error(`environment variable ${SETTINGS_VARIABLES[key]} is not a number`);
    return value;
  };
  const steps = JSON.parse(read('rolloutSteps')) as unknown;
  if (!Array.isArray(steps) || !steps.every((s) => Number.isInteger(s))) throw new Error(`${SETTINGS_VARIABLES.rolloutSteps} must be a JSON list of whole numbers`);
  return {
    envName: read('envName'),
    metricEnvironment: read('metricEnvironment'),
    listenerArn: read('listenerArn'),
    targetGroups: { blue: read('blueTargetGroupArn'), green: read('greenTargetGroupArn') },
    stateParameterName: read('stateParameterName'),
    rollbackAlarmName: read('rollbackAlarmName'),
    criticalTopicArn: read('criticalTopicArn'),
    policy: { steps, bakeTimeHours: number('bakeTimeHours') },
    stickinessSeconds: number('stickinessSeconds'),
  };
}
