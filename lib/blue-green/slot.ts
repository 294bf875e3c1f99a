import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ContainerKeys } from '../api-keys';
import { BoopConnectionConfig, ServiceConfig } from '../config/environment-config';
import { ECR_IMAGE } from '../../common/images';
import { environmentNames } from '../../common/names';
import { Slot, SLOTS } from '../../common/slots';
import { SLOT_HEALTH_CHECK_PATH } from '../guides';

const HEALTH_CHECK_INTERVAL = Duration.seconds(15);

/** What one slot runs on and how its containers reach BOOP. */
export interface SlotProps {
  /** The environment's name: green's service is named after it. */
  readonly envName: string;
  readonly vpc: ec2.IVpc;
  /** The cluster both slots run in. */
  readonly cluster: ecs.ICluster;
  /** The guide's BOOP_ENV value for the containers. */
  readonly boopEnvironment: 'development' | 'production';
  /** How the service reaches BOOP; becomes the containers' BOOP_* variables. */
  readonly boop: BoopConnectionConfig;
  /** Size and logging of the service, and the configured images (whose repositories the tasks may pull from). */
  readonly service: ServiceConfig;
  /** The image each slot runs: the BlueImage and GreenImage parameter values. */
  readonly images: Readonly<Record<Slot, string>>;
  /** The BOOP API keys the containers receive. */
  readonly keys: ContainerKeys;
  /** What happens to the slot's logs when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/** One slot's parts: its logs, its Fargate service and the target group the listener forwards to. */
export interface SlotParts {
  readonly logGroup: logs.LogGroup;
  readonly service: ecs.FargateService;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/** One copy of the integration service: its log group, task definition and Fargate service, registered in its own target group. */
export function createSlot(scope: Construct, slot: Slot, props: SlotProps): SlotParts {
  const logGroup = new logs.LogGroup(scope, `${slotTitle(slot)}Logs`, {
    retention: props.service.logRetentionDays as logs.RetentionDays,
    removalPolicy: props.removalPolicy,
  });
  const service = createService(scope, slot, props, logGroup);
  const targetGroup = createTargetGroup(scope, slot, props);
  service.attachToApplicationTargetGroup(targetGroup);
  return { logGroup, service, targetGroup };
}

/** A record with one value per slot, made in SLOTS order. */
export function bySlot<T>(make: (slot: Slot) => T): Record<Slot, T> {
  return Object.fromEntries(SLOTS.map((slot) => [slot, make(slot)])) as Record<Slot, T>;
}

/** The slot's name as it starts a construct id: "Blue", "Green". */
export function slotTitle(slot: Slot): string {
  return slot[0].toUpperCase() + slot.slice(1);
}

function createService(scope: Construct, slot: Slot, props: SlotProps, logGroup: logs.LogGroup): ecs.FargateService {
  const { boop, service } = props;
  const taskDefinition = new ecs.FargateTaskDefinition(scope, `${slotTitle(slot)}Task`, {
    cpu: service.cpu,
    memoryLimitMiB: service.memoryMiB,
  });
  // Before the container, so the execution role's policy keeps the pull grant first.
  grantPull(scope, `${slotTitle(slot)}Image`, service.images[slot], taskDefinition);
  taskDefinition.addContainer('integration', {
    image: ecs.ContainerImage.fromRegistry(props.images[slot]),
    portMappings: [{ containerPort: service.containerPort }],
    environment: { ...containerEnvironment(slot, props.boopEnvironment, boop), ...props.keys.environment },
    secrets: props.keys.secrets,
    // The service writes one JSON object per line (logs and EMF metrics); awslogs ships each line as is.
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: slot, mode: ecs.AwsLogDriverMode.NON_BLOCKING }),
  });
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'The plain environment holds only non-secret BOOP settings (URLs, timeouts, vendor id, slot, rotation date); the BOOP API keys reach the task as ECS secrets from SSM SecureString parameters (docs/design.md "API keys").',
  });
  return new ecs.FargateService(scope, `${slotTitle(slot)}Service`, {
    cluster: props.cluster,
    taskDefinition,
    // Green's count is the traffic controller's alone (its capacity in TrafficControl): without DesiredCount, CloudFormation
    // keeps the live count on every update, so no deploy restarts a green a rollback emptied (docs/design.md "Green's task count").
    ...(slot === 'green' ? { serviceName: environmentNames(props.envName).greenService } : { desiredCount: service.desiredCount }),
    // Keep full capacity during a deployment and roll back a deployment whose tasks never get healthy.
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    circuitBreaker: { enable: true, rollback: true },
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    assignPublicIp: false,
  });
}

function createTargetGroup(scope: Construct, slot: Slot, props: SlotProps): elbv2.ApplicationTargetGroup {
  return new elbv2.ApplicationTargetGroup(scope, `${slotTitle(slot)}TargetGroup`, {
    vpc: props.vpc,
    port: props.service.containerPort,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.IP,
    deregistrationDelay: Duration.seconds(props.service.deregistrationDelaySeconds),
    healthCheck: { path: SLOT_HEALTH_CHECK_PATH, healthyHttpCodes: '200', interval: HEALTH_CHECK_INTERVAL },
  });
}

/**
 * A private ECR image: the execution role may pull from the configured image's repository, the one
 * the image parameter admits (imageParameterConstraint); any other registry is pulled as is.
 */
function grantPull(scope: Construct, id: string, configImage: string, taskDefinition: ecs.TaskDefinition): void {
  const ecrImage = ECR_IMAGE.exec(configImage);
  if (!ecrImage) return;
  const [, account, region, repositoryName] = ecrImage;
  const repository = ecr.Repository.fromRepositoryAttributes(scope, id, {
    repositoryName,
    repositoryArn: `arn:${Stack.of(scope).partition}:ecr:${region}:${account}:repository/${repositoryName}`,
  });
  const executionRole = taskDefinition.obtainExecutionRole();
  repository.grantPull(executionRole);
  Validations.of(executionRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken has no resource-level permissions (AWS requires Resource "*"); the image pull actions themselves are scoped to the one repository.',
  });
}

/** The environment guide's BOOP_* variables, plus which environment and slot the task is. */
function containerEnvironment(slot: Slot, boopEnvironment: string, boop: BoopConnectionConfig): Record<string, string> {
  return {
    BOOP_ENV: boopEnvironment,
    BOOP_SLOT: slot,
    BOOP_BASE_URL: boop.baseUrl,
    BOOP_WS_ENDPOINT: boop.wsEndpoint,
    BOOP_VENDOR_ID: boop.vendorId,
    BOOP_ENFORCE_HTTPS: String(boop.enforceHttps),
    BOOP_API_TIMEOUT: String(boop.apiTimeoutMs),
    BOOP_WS_HEARTBEAT_INTERVAL: String(boop.wsHeartbeatIntervalMs),
    BOOP_MAX_RETRIES: String(boop.maxRetries),
    BOOP_CONNECTION_POOL_SIZE: String(boop.connectionPoolSize),
    BOOP_CACHE_TTL: String(boop.cacheTtlSeconds),
    BOOP_BATCH_SIZE: String(boop.batchSize),
  };
}
