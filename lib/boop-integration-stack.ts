import { Annotations, CfnOutput, CfnParameter, CfnRule, Duration, Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Alarms } from './monitoring/alarms';
import { ApiKeys } from './api-keys';
import { AWS_MANAGED_SSM_KEY } from '../common/keys/api-keys';
import { Alerting } from './monitoring/alerting';
import { BlueGreenService } from './blue-green/blue-green-service';
import { bySlot } from './blue-green/slot';
import { BoopMetrics } from './monitoring/boop-metrics';
import { BoopConnectionConfig, EnvironmentConfig, isProduction } from './config/environment-config';
import { SLOTS } from '../common/slots';
import { Dashboards } from './monitoring/dashboards';
import { HealthCheck } from './health-check';
import { imageParameters } from './image-parameters';
import { imageRules, imageRulesOutput } from '../common/images';
import { CONFIRM_PRODUCTION_VALUE } from './guides';
import { LogQueries } from './monitoring/log-queries';
import { effectiveThresholds } from './monitoring/thresholds';
import { CONFIRM_PRODUCTION_PARAMETER, environmentNames, GREEN_PERCENT_PARAMETER } from '../common/names';
import { AUTO_ADVANCE_OUTPUT, PRODUCTION_WAIVERS_OUTPUT, STACK_OUTPUTS, StackOutputKey, StackOutputs } from '../common/payloads';
import { PRODUCTION_SAFETY, recordedWaivers } from './config/production-safety';
import { TrafficControl } from './traffic-control';
import { tagEnvironment } from './environment-tag';
import { refusePlaceholders } from './placeholders';

export interface BoopIntegrationStackProps extends StackProps {
  /** The validated configuration of the environment this stack runs. */
  readonly config: EnvironmentConfig;
  /** `-c rolloutOverride="<reason>"`: lets this one deploy skip the step, bake and alarm checks. @default none */
  readonly rolloutOverride?: string;
}

/** One environment's BOOP integration: blue/green services behind weighted routing. */
export class BoopIntegrationStack extends Stack {
  public readonly apiKeys: ApiKeys;
  public readonly service: BlueGreenService;
  public readonly alerting: Alerting;
  public readonly alarms: Alarms;
  public readonly dashboards: Dashboards;
  public readonly trafficControl: TrafficControl;
  public readonly healthCheck: HealthCheck;
  /** network.availabilityZones of a pinned stack; see `availabilityZones`. */
  private readonly configuredZones?: readonly string[];

  constructor(scope: Construct, id: string, props: BoopIntegrationStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = environmentNames(config.envName);
    this.configuredZones = config.network.availabilityZones;
    const removalPolicy = isProduction(config) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    tagEnvironment(this, config.envName);

    if (isProduction(config)) requireProductionConfirmation(this);
    refusePlaceholders(this, { envName: config.envName, vendorId: config.boop.vendorId, images: config.service.images });

    this.apiKeys = new ApiKeys(this, 'ApiKeys', {
      envName: config.envName,
      rotationDate: config.boop.keyRotationDate,
      encryptionKeyArn: config.boop.apiKeyKmsKeyArn,
      removalPolicy,
    });
    const parameters = imageParameters(this, config);
    const images = bySlot((slot) => parameters[slot].valueAsString);
    this.service = new BlueGreenService(this, 'BlueGreen', {
      envName: config.envName,
      boopEnvironment: config.boopEnvironment,
      boop: config.boop,
      service: config.service,
      images,
      keys: this.apiKeys.container,
      loadBalancer: config.loadBalancer,
      network: config.network,
      // Production keeps its logs and keys when the stack goes; a dev sandbox cleans up after itself.
      removalPolicy,
    });

    // No service starts tasks before their key parameters are known to be readable.
    this.apiKeys.guardServices(SLOTS.map((slot) => this.service.services[slot]));

    this.healthCheck = new HealthCheck(this, 'HealthCheck', {
      envName: config.envName,
      metricEnvironment: config.boopEnvironment,
      boop: config.boop,
      vpc: this.service.vpc,
      loadBalancer: this.service.loadBalancer,
      greenService: this.service.services.green,
      https: config.loadBalancer.certificateArn !== undefined,
      hostName: config.loadBalancer.hostName,
      apiKeys: this.apiKeys,
      keyRotationDate: config.boop.keyRotationDate,
      keyRotationWarningDays: config.alarms.keyRotationWarningDays,
      checkTimeout: Duration.seconds(config.healthCheck.timeoutSeconds),
      removalPolicy,
    });

    const metrics = new BoopMetrics({
      metricEnvironment: config.boopEnvironment,
      loadBalancer: this.service.loadBalancer,
      targetGroups: this.service.targetGroups,
    });
    const thresholds = effectiveThresholds(config.alarms.overrides);
    this.alerting = new Alerting(this, 'Alerting', { envName: config.envName, targets: config.alerts, removalPolicy });

    const greenPercent = new CfnParameter(this, GREEN_PERCENT_PARAMETER, {
      type: 'Number',
      minValue: 0,
      maxValue: 100,
      default: 0,
      description: 'Intended share of traffic for green, percent. Omitted on a deploy, the previous value is kept, so a code deploy never moves traffic.',
    });
    this.trafficControl = new TrafficControl(this, 'TrafficControl', {
      envName: config.envName,
      metricEnvironment: config.boopEnvironment,
      listener: this.service.listener,
      targetGroups: this.service.targetGroups,
      dependsOn: SLOTS.map((slot) => this.service.services[slot]),
      rollout: config.rollout,
      greenPercent: greenPercent.valueAsString,
      images,
      greenService: this.service.services.green,
      greenDesiredCount: config.service.desiredCount,
      rolloutOverride: props.rolloutOverride,
      rollbackAlarmName: names.rollbackAlarm,
      criticalTopic: this.alerting.topics.critical,
      noticeTopic: this.alerting.topics.medium,
      removalPolicy,
    });
    // ECS touches no service before the release guard accepted the deploy's images.
    this.trafficControl.guardServices(SLOTS.map((slot) => this.service.services[slot]));

    const outputs = {
      listenerArn: this.service.listener.listenerArn,
      blueTargetGroupArn: this.service.targetGroups.blue.targetGroupArn,
      greenTargetGroupArn: this.service.targetGroups.green.targetGroupArn,
      controllerFunctionName: this.trafficControl.controller.functionName,
      stateParameterName: this.trafficControl.stateParameterName,
      rollbackAlarmName: names.rollbackAlarm,
      rolloutSteps: config.rollout.steps.join(','),
      bakeTimeHours: String(config.rollout.bakeTimeHours),
      clusterName: this.service.cluster.clusterName,
      blueServiceName: this.service.services.blue.serviceName,
      greenServiceName: this.service.services.green.serviceName,
      // The key the execution roles may decrypt with: the keys CLI writes with this one, whatever the local config says.
      apiKeyEncryptionKey: config.boop.apiKeyKmsKeyArn ?? AWS_MANAGED_SSM_KEY,
      // What the deployed controller judges by, whatever the local config says: `rollout plan` answers as it would.
      releaseGuard: String(config.rollout.releaseGuard),
      // What CloudFormation enforces on each image parameter: `rollout plan` judges an image by the same rule.
      imageRules: imageRulesOutput(imageRules(config.service.images, isProduction(config))),
      boopHosts: boopHostsLine(config.boop),
    } satisfies StackOutputs;
    for (const key of Object.keys(STACK_OUTPUTS) as StackOutputKey[]) {
      new CfnOutput(this, STACK_OUTPUTS[key], { value: outputs[key], description: `Read by npm run rollout and npm run keys (${key})` });
    }
    recordWaivers(this, config);
    if (config.rollout.autoAdvance) {
      new CfnOutput(this, AUTO_ADVANCE_OUTPUT, {
        value: 'true',
        description: "Read by npm run rollout: a deploy's GreenPercent is a target the controller walks green to (rollout.autoAdvance)",
      });
    }

    this.alarms = new Alarms(this, 'Alarms', {
      envName: config.envName,
      thresholds,
      minimumAttempts: config.alarms.minimumAttempts,
      metrics,
      topics: this.alerting.topics,
      rollbackDeadLetters: this.trafficControl.deadLetterQueue,
      trafficController: this.trafficControl.controller,
      healthCheck: this.healthCheck.function,
    });
    // A rise needs the rollback alarm to exist (the controller refuses one it cannot read).
    this.trafficControl.weights.node.addDependency(this.alarms.rollbackAlarm);
    const logGroups = SLOTS.map((slot) => this.service.logGroups[slot]);
    const queries = new LogQueries(this, 'LogQueries', {
      envName: config.envName,
      logGroups,
      // The monitoring guide's slow-authentication playbook: "Authentication taking > 3 seconds".
      slowRequestMs: thresholds.find((row) => row.name === 'AUTH_SLOW_RESPONSE')!.threshold,
    });
    this.dashboards = new Dashboards(this, 'Dashboards', {
      envName: config.envName,
      metrics,
      alarms: this.alarms.alarms,
      rollbackAlarm: this.alarms.rollbackAlarm,
      savedQueries: queries.queries,
      logGroupNames: logGroups.map((group) => group.logGroupName),
    });
  }

  /**
   * A stack pinned to an account and region looks its zones up, which needs credentials (and the
   * VPC reads them even when given its zones). The config names the zones instead, so synth stays offline.
   */
  get availabilityZones(): string[] {
    return this.configuredZones ? [...this.configuredZones] : super.availabilityZones;
  }
}

/**
 * A production deploy must say `--parameters ConfirmProduction=true` once: CloudFormation refuses
 * the change set otherwise. `cdk deploy` keeps a parameter's previous value, so later deploys of an
 * already-confirmed stack need nothing, while synth and diff never need it.
 */
function requireProductionConfirmation(stack: Stack): void {
  const confirmation = new CfnParameter(stack, CONFIRM_PRODUCTION_PARAMETER, {
    type: 'String',
    description: `Deploying to PRODUCTION BOOP. Set to "${CONFIRM_PRODUCTION_VALUE}" to confirm (the migration guide's CONFIRM_PRODUCTION).`,
    allowedValues: [CONFIRM_PRODUCTION_VALUE],
    constraintDescription: `this stack runs against production BOOP; confirm with --parameters ${CONFIRM_PRODUCTION_PARAMETER}=${CONFIRM_PRODUCTION_VALUE}`,
  });
  new CfnRule(stack, 'ProductionConfirmed', {
    assertions: [
      {
        assert: Fn.conditionEquals(confirmation.valueAsString, CONFIRM_PRODUCTION_VALUE),
        assertDescription: `Production deploys need --parameters ${CONFIRM_PRODUCTION_PARAMETER}=${CONFIRM_PRODUCTION_VALUE}`,
      },
    ],
  });
}

/** Each production safety default the configuration sets aside, with its reason: a synth warning, and an output `rollout status` shows. */
function recordWaivers(stack: Stack, config: EnvironmentConfig): void {
  const waivers = recordedWaivers(config.productionWaivers);
  if (waivers.length === 0) return;
  for (const { waiver, reason } of waivers) {
    Annotations.of(stack).addWarningV2(
      `boop:productionWaivers.${waiver}`,
      `${config.envName} talks to BOOP production and sets aside ${PRODUCTION_SAFETY[waiver].setsAside}: ${reason} (productionWaivers.${waiver})`,
    );
  }
  new CfnOutput(stack, PRODUCTION_WAIVERS_OUTPUT, {
    value: JSON.stringify(Object.fromEntries(waivers.map(({ waiver, reason }) => [waiver, reason]))),
    description: 'Production safety defaults this stack sets aside, each with its reason (productionWaivers); shown by npm run rollout -- status',
  });
}

/** Where the vendor id and API keys go, for `rollout status`: the hosts of boop.baseUrl and boop.wsEndpoint, and a trusted host with its reason. */
function boopHostsLine(boop: BoopConnectionConfig): string {
  const hosts = [...new Set([boop.baseUrl, boop.wsEndpoint].map((url) => new URL(url).host))];
  const trusted = boop.trustedHost ? `; ${boop.trustedHost.host} is a trusted host, not BOOP's: ${boop.trustedHost.reason.trim()}` : '';
  return `${hosts.join(', ')}${trusted}`;
}
