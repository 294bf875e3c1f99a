/**
 * Every name derived from an environment, built in one place: the constructs name what they
 * create with it, the functions and the CLIs find what was created with it. Nothing else spells
 * `boop-<env>` or `/boop/<env>` out (test/names.test.ts fails if anything does).
 * Plain TypeScript with no imports, so a function bundle and the CLIs load it without the CDK.
 */

/** The BOOP environments (Environment Configuration guide, "Environment Comparison"): what BOOP_ENV names. */
export const BOOP_ENVIRONMENTS = ['development', 'production'] as const;
export type BoopEnvironment = (typeof BOOP_ENVIRONMENTS)[number];

/**
 * The environments every project has without declaring them, each bound to its BOOP environment
 * for good (a `prod` against BOOP development would shed production's rules). Others are declared in
 * cdk.json's `boop:environments` (lib/config/environments.ts).
 */
export const BUILT_IN_ENVIRONMENTS: Readonly<Record<string, BoopEnvironment>> = { dev: 'development', prod: 'production' };

/** The environment when `-c env` is not given. */
export const DEFAULT_ENVIRONMENT = 'dev';

/** AWS's longest name for what the environment's name goes into, where the limit can bind. */
const NAME_LIMITS = {
  /** Lambda: a function name has at most 64 characters. */
  function: 64,
  /** CloudFormation: a stack name has at most 128 characters. */
  stack: 128,
  /** AWS Chatbot: a configuration name has at most 128 characters. */
  chatChannel: 128,
} as const;

/**
 * An environment name: lowercase letters and digits in words joined by single hyphens, starting with
 * a letter. Lowercase keeps its alarms apart from another environment's (an alarm's row starts in
 * uppercase after the name), and every AWS name built from it accepts these characters.
 */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** The longest environment name whose every resource name fits AWS's limits (its function names bind first). */
export const MAX_ENVIRONMENT_NAME_LENGTH = Math.min(
  ...[environmentNames('').trafficController, environmentNames('').keyCheck, environmentNames('').healthCheck].map(
    (name) => NAME_LIMITS.function - name.length,
  ),
  NAME_LIMITS.stack - environmentNames('').stack.length,
  NAME_LIMITS.chatChannel - environmentNames('').chatChannel.length,
);

/** Why `name` cannot name an environment, or undefined when it can. */
export function environmentNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !ENVIRONMENT_NAME.test(name)) {
    return `an environment name is lowercase letters and digits in words joined by single hyphens, starting with a letter (such as staging or prod-eu), got ${JSON.stringify(name)}`;
  }
  if (name.length > MAX_ENVIRONMENT_NAME_LENGTH) {
    return `an environment name has at most ${MAX_ENVIRONMENT_NAME_LENGTH} characters (its function names must fit Lambda's ${NAME_LIMITS.function}), got ${name.length}: "${name}"`;
  }
  return undefined;
}

/** The CloudFormation parameter that carries green's share of traffic, in percent. */
export const GREEN_PERCENT_PARAMETER = 'GreenPercent';

/** The CloudFormation parameter of the prod stack that confirms a production deploy (migration guide: CONFIRM_PRODUCTION). */
export const CONFIRM_PRODUCTION_PARAMETER = 'ConfirmProduction';

/** The CloudFormation parameter that carries each slot's container image; a deploy that names none keeps the previous one. */
export const IMAGE_PARAMETERS = { blue: 'BlueImage', green: 'GreenImage' } as const;

/** The custom resource type through which a deploy's images pass the release guard, before ECS touches a service. */
export const RELEASE_RESOURCE_TYPE = 'Custom::BoopRelease';

/** The custom resource type through which a deploy asks the traffic controller for a share. */
export const TRAFFIC_RESOURCE_TYPE = 'Custom::BoopTrafficWeights';

/** The service name on the traffic controller's logs and metrics, the same in every environment. */
export const TRAFFIC_CONTROLLER_SERVICE = 'boop-traffic-controller';

/** The service name on the health check's logs, the same in every environment (its metrics carry the contract's dimensions only). */
export const HEALTH_CHECK_SERVICE = 'boop-health-check';

/** The names of one environment's resources. */
export interface EnvironmentNames {
  /** The stack: `BoopIntegration-<env>`. */
  readonly stack: string;
  /** What every resource name of the environment starts with: `boop-<env>`. */
  readonly prefix: string;
  /** How every alarm name starts, the composite's included; the alert topics admit exactly these. */
  readonly alarmPrefix: string;
  /** A metric alarm: `boop-<env>-<row>` or, per slot, `boop-<env>-<row>-<slot>`. */
  alarm(row: string, slot?: string): string;
  /** Whether an alarm name is one of this environment's (not another's whose name starts with this one's, such as prod-eu's for prod). */
  ownsAlarm(alarmName: string): boolean;
  /** The composite alarm that rolls green back. */
  readonly rollbackAlarm: string;
  /** The alert topic of one severity. */
  alertTopic(severity: string): string;
  /** The AWS Chatbot channel configuration of the Slack target. */
  readonly chatChannel: string;
  /** A CloudWatch dashboard, e.g. `executive`. */
  dashboard(kind: string): string;
  /** A saved Logs Insights query, filed in the environment's folder. */
  logQuery(shortName: string): string;
  /** The traffic controller function. */
  readonly trafficController: string;
  /** Green's ECS service: named, so the controller's settings can name it without waiting for it (docs/design.md "Green's task count"). */
  readonly greenService: string;
  /** The function behind the deploy-time API-key presence check. */
  readonly keyCheck: string;
  /** The every-minute health-check function. */
  readonly healthCheck: string;
  /** SSM parameter names. */
  readonly parameters: {
    readonly primaryApiKey: string;
    readonly secondaryApiKey: string;
    readonly keyRotationDate: string;
    readonly trafficState: string;
  };
}

/** The names of an environment's resources. */
export function environmentNames(envName: string): EnvironmentNames {
  const prefix = `boop-${envName}`;
  const alarmPrefix = `${prefix}-`;
  const parameterRoot = `/boop/${envName}`;
  return {
    stack: `BoopIntegration-${envName}`,
    prefix,
    alarmPrefix,
    alarm: (row, slot) => `${alarmPrefix}${row}${slot ? `-${slot}` : ''}`,
    // Every row name starts in uppercase, and no environment name has an uppercase letter.
    ownsAlarm: (alarmName) => alarmName.startsWith(alarmPrefix) && /^[A-Z]/.test(alarmName.slice(alarmPrefix.length)),
    rollbackAlarm: `${alarmPrefix}GREEN_ROLLBACK`,
    alertTopic: (severity) => `${prefix}-alerts-${severity}`,
    chatChannel: `${prefix}-alerts`,
    dashboard: (kind) => `${prefix}-${kind}`,
    logQuery: (shortName) => `${prefix}/${shortName}`,
    trafficController: `${prefix}-traffic-controller`,
    greenService: `${prefix}-green`,
    keyCheck: `${prefix}-key-check`,
    healthCheck: `${prefix}-health-check`,
    parameters: {
      primaryApiKey: `${parameterRoot}/api-key/primary`,
      secondaryApiKey: `${parameterRoot}/api-key/secondary`,
      keyRotationDate: `${parameterRoot}/api-key/rotation-date`,
      trafficState: `${parameterRoot}/traffic/state`,
    },
  };
}

/** The service name on the API-key presence check's logs, the same in every environment. */
export const KEY_CHECK_SERVICE = 'boop-key-check';
