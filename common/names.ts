/**
 * Every name derived from an environment, built in one place: the constructs name what they
 * create with it, the functions and the CLIs find what was created with it. Nothing else spells
 * `boop-<env>` or `/boop/<env>` out (test/names.test.ts fails if anything does).
 * Plain TypeScript with no imports, so a function bundle and the CLIs load it without the CDK.
 */

/** The environments this app knows; `-c env=<name>` picks one, none means dev. */
export const ENVIRONMENT_NAMES = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

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
