/**
 * Every payload that crosses a boundary between where code runs, typed once: what the stack gives
 * the traffic controller (its custom resource's properties, its environment variables), the health check (its variables) and the
 * API-key presence check (its custom resource's properties), what the
 * rollout CLI sends it (a manual rollback) and what the CLI reads back from the stack (its outputs).
 * The writer builds each with `satisfies` and the reader reads it through the same type.
 * Plain TypeScript with no imports, so a function bundle and the CLIs load it without the CDK.
 */

/** A payload as it arrives, before it is checked: any field may be missing or of any type. */
export type Unchecked<T> = { readonly [K in keyof T]?: unknown };

/** The properties the stack gives the traffic custom resource; the controller reads them from the deploy event. */
export interface TrafficResourceProperties {
  /** The GreenPercent parameter (CloudFormation passes it as a string). */
  readonly GreenPercent: string;
  /** Changes whenever the listener's configuration does, so a listener update re-applies the weights. */
  readonly ListenerFingerprint: string;
  /** `-c rolloutOverride="<reason>"` of this deploy, or empty. */
  readonly RolloutOverride: string;
  /**
   * "true" with rollout.autoAdvance, absent without: only a trigger, so the deploy that turns it on or off runs the weights,
   * which then take or drop the hands-free target (the controller reads the setting from its own environment).
   */
  readonly AutoAdvance?: 'true';
}

/** The properties the stack gives the release guard; every one but the override and green's capacity mirrors a stack parameter. */
export interface ReleaseResourceProperties {
  /** The BlueImage parameter. */
  readonly BlueImage: string;
  /** The GreenImage parameter. */
  readonly GreenImage: string;
  /** The GreenPercent parameter: a green image changes with GreenPercent=0 by lowering green first. */
  readonly GreenPercent: string;
  /** `-c rolloutOverride="<reason>"` of this deploy, or empty. */
  readonly RolloutOverride: string;
  /**
   * Green's configured task count (service.desiredCount): a change makes the guard judge the deploy before CloudFormation
   * applies the new count to green's capacity. Only a trigger: the controller takes green's count from its own settings.
   */
  readonly GreenCapacity: string;
}

/** The properties the stack gives the API-key presence check; the check reads them from the deploy event. */
export interface KeyCheckProperties {
  /** The environment, for the fix commands in a refusal. */
  readonly EnvName: string;
  /** JSON of the parameter name of each key slot the tasks read (primary, and secondary during a rotation). */
  readonly Parameters: string;
  /** The customer-managed KMS key ARN the parameters must be encrypted with, or empty for the AWS-managed key. */
  readonly EncryptionKeyArn: string;
  /** Changes whenever a deploy will start tasks (a new task definition, another task count), so the check runs before it does. */
  readonly TaskFingerprint: string;
}

/** The `action` of a manual rollback request; the controller tells the request from other events by it. */
export const MANUAL_ROLLBACK_ACTION = 'rollback';

/** What the rollout CLI sends the traffic controller to move all traffic to blue now. */
export interface ManualRollbackRequest {
  readonly action: typeof MANUAL_ROLLBACK_ACTION;
  /** Why, recorded in the traffic state and the page. */
  readonly reason: string;
  /** Who asked: the caller's AWS identity. */
  readonly requestedBy: string;
}

/** The `action` of the schedule's invocation of the controller: one tick of a hands-free rollout (rollout.autoAdvance). */
export const TICK_ACTION = 'advance';

/** What the schedule sends the traffic controller; the tick carries nothing a caller could choose. */
export interface TickRequest {
  readonly action: typeof TICK_ACTION;
}

/** The `action`s with which the rollout CLI stops and restarts a hands-free rollout. */
export const PAUSE_ACTION = 'pause';
export const RESUME_ACTION = 'resume';

/** What the rollout CLI sends the traffic controller to pause or resume a hands-free rollout. */
export interface HandsFreeRequest {
  readonly action: typeof PAUSE_ACTION | typeof RESUME_ACTION;
  /** Why, recorded in the traffic state and the notice. */
  readonly reason: string;
  /** Who asked: the caller's AWS identity. */
  readonly requestedBy: string;
}

/** The stack's outputs that the rollout CLI reads, by the CfnOutput id (the output's key) of each. */
export const STACK_OUTPUTS = {
  listenerArn: 'WeightedListenerArn',
  blueTargetGroupArn: 'BlueTargetGroupArn',
  greenTargetGroupArn: 'GreenTargetGroupArn',
  controllerFunctionName: 'TrafficControllerFunctionName',
  stateParameterName: 'TrafficStateParameterName',
  rollbackAlarmName: 'RollbackAlarmName',
  rolloutSteps: 'RolloutSteps',
  bakeTimeHours: 'BakeTimeHours',
  clusterName: 'ClusterName',
  blueServiceName: 'BlueServiceName',
  greenServiceName: 'GreenServiceName',
  apiKeyEncryptionKey: 'ApiKeyEncryptionKey',
  releaseGuard: 'ReleaseGuard',
  imageRules: 'ImageRules',
  boopHosts: 'BoopHosts',
} as const;

export type StackOutputKey = keyof typeof STACK_OUTPUTS;

/** The output of a stack with rollout.autoAdvance ("true"): a deploy's GreenPercent is a target. Absent when it is off. */
export const AUTO_ADVANCE_OUTPUT = 'AutoAdvance';

/** The output of a production-bound stack that sets safety defaults aside: JSON of each waiver and its reason. Absent when none is. */
export const PRODUCTION_WAIVERS_OUTPUT = 'ProductionWaivers';

/** The value of every stack output: the stack writes them all, the CLI reads them all. */
export type StackOutputs = Readonly<Record<StackOutputKey, string>>;

/** The environment variables the stack sets on the traffic controller function, by setting. */
export const SETTINGS_VARIABLES = {
  envName: 'BOOP_ENV_NAME',
  metricEnvironment: 'BOOP_METRIC_ENVIRONMENT',
  stackId: 'BOOP_STACK_ID',
  listenerArn: 'LISTENER_ARN',
  blueTargetGroupArn: 'BLUE_TARGET_GROUP_ARN',
  greenTargetGroupArn: 'GREEN_TARGET_GROUP_ARN',
  stateParameterName: 'STATE_PARAMETER_NAME',
  rollbackAlarmName: 'ROLLBACK_ALARM_NAME',
  criticalTopicArn: 'CRITICAL_TOPIC_ARN',
  rolloutSteps: 'ROLLOUT_STEPS',
  bakeTimeHours: 'BAKE_TIME_HOURS',
  stickinessSeconds: 'STICKINESS_SECONDS',
  /** "true" when the release guard judges image changes (rollout.releaseGuard). */
  releaseGuard: 'RELEASE_GUARD',
  /** "true" when a rollback scales green's service to zero (rollout.scaleGreenToZeroOnRollback). */
  scaleGreenToZero: 'SCALE_GREEN_TO_ZERO',
  /** The cluster green's service runs in (its name). */
  greenCluster: 'GREEN_CLUSTER',
  /** Green's service (its name): the one service whose task count the controller moves. */
  greenService: 'GREEN_SERVICE_NAME',
  /** Green's configured task count (service.desiredCount), which the acknowledgement of a rollback gives back. */
  greenDesiredCount: 'GREEN_DESIRED_COUNT',
  /** "true" when a deploy's GreenPercent is a target the controller walks green to (rollout.autoAdvance); absent means off. */
  autoAdvance: 'AUTO_ADVANCE',
  /** The low-severity topic a hands-free rollout's advances and stops are sent to; set with autoAdvance. */
  noticeTopicArn: 'NOTICE_TOPIC_ARN',
} as const;

export type SettingKey = keyof typeof SETTINGS_VARIABLES;

/** The controller's settings a stack sets only with rollout.autoAdvance, so a stack without it is as it was. */
type HandsFreeSettingKey = 'autoAdvance' | 'noticeTopicArn';

/** Every setting of the controller as the text of its variable (`rolloutSteps` as a JSON list). */
export type ControllerVariables = Readonly<Record<Exclude<SettingKey, HandsFreeSettingKey>, string>> & Readonly<Partial<Record<HandsFreeSettingKey, string>>>;

/** Settings as environment variables: each value given under its setting's variable name, in the order of `names`. */
function asVariables<K extends string>(names: Readonly<Record<K, string>>, values: Readonly<Partial<Record<K, string>>>): Record<string, string> {
  return Object.fromEntries((Object.keys(names) as K[]).flatMap((key) => (values[key] === undefined ? [] : [[names[key], values[key]]])));
}

/** The controller's settings as environment variables, in the order of SETTINGS_VARIABLES. */
export function controllerEnvironment(values: ControllerVariables): Record<string, string> {
  return asVariables(SETTINGS_VARIABLES, values);
}

/** The environment variables the stack sets on the health-check function, by setting. */
export const HEALTH_CHECK_VARIABLES = {
  metricEnvironment: 'BOOP_METRIC_ENVIRONMENT',
  boopBaseUrl: 'BOOP_BASE_URL',
  wsEndpoint: 'BOOP_WS_ENDPOINT',
  vendorId: 'BOOP_VENDOR_ID',
  /** `https://<load balancer DNS name>` (or http:// without a certificate): where the slot checks connect. */
  slotOrigin: 'SLOT_ORIGIN',
  /** loadBalancer.hostName: the TLS name and Host of the slot checks; empty when none is configured. */
  slotHostName: 'SLOT_HOST_NAME',
  checkTimeoutMs: 'CHECK_TIMEOUT_MS',
  primaryKeyParameter: 'PRIMARY_KEY_PARAMETER',
  secondaryKeyParameter: 'SECONDARY_KEY_PARAMETER',
  rotationDateParameter: 'ROTATION_DATE_PARAMETER',
  /** boop.keyRotationDate, YYYY-MM-DD; empty when no rotation is configured. */
  keyRotationDate: 'KEY_ROTATION_DATE',
  keyRotationWarningDays: 'KEY_ROTATION_WARNING_DAYS',
  /** The cluster green's ECS service runs in (its name). */
  cluster: 'ECS_CLUSTER',
  /** Green's ECS service (its ARN): while it wants no tasks (scaled to zero after a rollback), green's slot is not checked. */
  greenService: 'GREEN_SERVICE',
} as const;

export type HealthCheckSettingKey = keyof typeof HEALTH_CHECK_VARIABLES;

/** The health check's settings as environment variables, every one present (empty text for none). */
export function healthCheckEnvironment(values: Readonly<Record<HealthCheckSettingKey, string>>): Record<string, string> {
  return asVariables(HEALTH_CHECK_VARIABLES, values);
}
