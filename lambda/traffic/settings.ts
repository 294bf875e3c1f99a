import { SettingKey, SETTINGS_VARIABLES } from '../../common/payloads';
import type { ControllerSettings } from './controller';

/**
 * Every AWS call of the controller: a connection within connectionTimeoutMs, an answer within
 * requestTimeoutMs, tried maxAttempts times in all with the SDK's adaptive retry (throttling included).
 */
export const AWS_CALL_LIMITS = { connectionTimeoutMs: 2_000, requestTimeoutMs: 5_000, maxAttempts: 3 } as const;

/** The SDK client configuration of every controller client: bounded connect and answer times, and the SDK's own adaptive retry. */
export function controllerClientConfig(
  limits: { readonly connectionTimeoutMs: number; readonly requestTimeoutMs: number; readonly maxAttempts: number } = AWS_CALL_LIMITS,
) {
  return {
    maxAttempts: limits.maxAttempts,
    retryMode: 'adaptive',
    // Without throwOnRequestTimeout a late answer only logs a warning, and the call waits on.
    requestHandler: { connectionTimeout: limits.connectionTimeoutMs, requestTimeout: limits.requestTimeoutMs, throwOnRequestTimeout: true },
  };
}

/** One invocation's AWS work is aborted after this, leaving time to answer CloudFormation inside the function's timeout. */
export const INVOCATION_BUDGET_MS = 40_000;

/** The answer to CloudFormation's response URL: each PUT gives up after timeoutMs, tried attempts times in all. */
export const RESPONSE_LIMITS = { timeoutMs: 5_000, attempts: 3, backoffMs: 500 } as const;

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
  const steps = JSON.parse(read('rolloutSteps')) as unknown;
  if (!Array.isArray(steps) || !steps.every((s) => Number.isInteger(s)))
    throw new Error(`${SETTINGS_VARIABLES.rolloutSteps} must be a JSON list of whole numbers`);
  if (!env.AWS_REGION) throw new Error('environment variable AWS_REGION is not set (Lambda sets it)');
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
    policy: { steps, bakeTimeHours: number('bakeTimeHours') },
    stickinessSeconds: number('stickinessSeconds'),
  };
}
