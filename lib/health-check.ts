import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { HEALTH_CHECK_INTERVAL_MINUTES } from '../common/contract';
import { environmentNames } from '../common/names';
import { healthCheckEnvironment } from '../common/payloads';
import { ApiKeys } from './api-keys';
import { BoopConnectionConfig } from './config/environment-config';
import { HEALTH_CHECK_TIMEOUT_SECONDS } from './guides';
import { FUNCTION_DEFAULTS, handlerEntry } from './node-function';

/** Time a run needs beyond its checks' timeout: the grace for a check that ignores its abort, the metrics and the log line. */
const HEALTH_CHECK_RUN_MARGIN = Duration.seconds(10);
const HEALTH_CHECK_MEMORY_MIB = 256;
const HEALTH_CHECK_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;
const HTTPS_PORT = 443;
const HTTP_PORT = 80;

export interface HealthCheckProps {
  /** The environment's name; names the function. */
  readonly envName: string;
  /** The Environment dimension of the metrics it writes (BOOP_ENV). */
  readonly metricEnvironment: string;
  /** How to reach BOOP: its base URL, the vendor WebSocket and the vendor id. */
  readonly boop: Pick<BoopConnectionConfig, 'baseUrl' | 'wsEndpoint' | 'vendorId'>;
  /** The VPC whose private subnets the function runs in, so its requests leave through the NAT gateways. */
  readonly vpc: ec2.IVpc;
  /** The load balancer each slot is checked through. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Green's ECS service: while it wants no tasks (scaled to zero after a rollback), green's slot is not checked. */
  readonly greenService: ecs.IBaseService;
  /** True when the load balancer listens on HTTPS (a certificate is configured). */
  readonly https: boolean;
  /** The public DNS name the certificate is for: the slot checks' TLS name and Host. @default the load balancer's DNS name (plain HTTP only) */
  readonly hostName?: string;
  /** The API keys: the function reads them to authenticate on the vendor WebSocket. */
  readonly apiKeys: ApiKeys;
  /** boop.keyRotationDate. @default no rotation configured */
  readonly keyRotationDate?: string;
  /** alarms.keyRotationWarningDays: how many days before the rotation date a missing secondary key counts. */
  readonly keyRotationWarningDays: number;
  /** How long each check may take. @default HEALTH_CHECK_TIMEOUT_SECONDS */
  readonly checkTimeout?: Duration;
  /** What happens to its logs when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The monitoring guide's health checks as a function run every minute (docs/design.md "Health
 * check"): BOOP's /health, the vendor WebSocket, each slot's /health/boop through the load balancer
 * with X-Boop-Slot, and the key rotation's readiness, written as Boop/HealthCheck metrics.
 */
export class HealthCheck extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly schedule: events.Rule;
  /** How long each check may take. */
  private readonly checkTimeout: Duration;

  constructor(scope: Construct, id: string, props: HealthCheckProps) {
    super(scope, id);
    const names = environmentNames(props.envName);
    this.checkTimeout = props.checkTimeout ?? Duration.seconds(HEALTH_CHECK_TIMEOUT_SECONDS);
    const slotOrigin = `${props.https ? 'https' : 'http'}://${props.loadBalancer.loadBalancerDnsName}`;

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: HEALTH_CHECK_LOG_RETENTION, removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `The ${names.prefix} health check: reads the API keys and green's task count, writes its own logs`,
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AttachToThePrivateSubnets',
        // What Lambda needs to place the function in the VPC (AWSLambdaVPCAccessExecutionRole without its logs:* on "*").
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWhetherGreenRunsTasks',
        // Green's desired count only: a green scaled to zero after a rollback is not checked, so it does not page.
        actions: ['ecs:DescribeServices'],
        resources: [props.greenService.serviceArn],
      }),
    );
    props.apiKeys.grantKeyRead(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The network-interface calls Lambda makes with a VPC function\'s role, as AWSLambdaVPCAccessExecutionRole grants them: DescribeNetworkInterfaces works only on "*", and DeleteNetworkInterface must cover interfaces Lambda has not created yet (Lambda Developer Guide, "Giving Lambda functions access to a VPC"). No other statement of this role is on "*".',
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      // Kept as deployed, though ECS's endpoint (on 443) is reached too: a new group description would replace the group.
      description: `The ${names.prefix} health check: out to BOOP, the load balancer and SSM only`,
      allowAllOutbound: false,
    });
    const ports = new Set([portOf(props.boop.baseUrl), portOf(props.boop.wsEndpoint), props.https ? HTTPS_PORT : HTTP_PORT, HTTPS_PORT]);
    for (const port of [...ports].sort((a, b) => a - b)) {
      // Addresses are the public internet's (BOOP, the load balancer's public address, SSM's and ECS's endpoints): ports are the narrowing.
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `BOOP, the load balancer or SSM on ${port}`);
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...FUNCTION_DEFAULTS,
      functionName: names.healthCheck,
      description: "Every minute: BOOP /health, the vendor WebSocket, each slot's /health/boop through the ALB, the key rotation's readiness",
      entry: handlerEntry('health-check'),
      memorySize: HEALTH_CHECK_MEMORY_MIB,
      timeout: this.checkTimeout.plus(HEALTH_CHECK_RUN_MARGIN),
      role,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      // No reserved concurrency: two runs at once only add a datapoint to a minute, which no alarm misreads
      // (docs/design.md "Health check"), while a reservation fails the first deploy in an account with a low quota.
      // A run that could not start in its minute is dropped, not retried.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(HEALTH_CHECK_INTERVAL_MINUTES),
      environment: healthCheckEnvironment({
        metricEnvironment: props.metricEnvironment,
        boopBaseUrl: props.boop.baseUrl,
        wsEndpoint: props.boop.wsEndpoint,
        vendorId: props.boop.vendorId,
        slotOrigin,
        slotHostName: props.hostName ?? '',
        checkTimeoutMs: String(this.checkTimeout.toMilliseconds()),
        primaryKeyParameter: props.apiKeys.parameterNameOf('primary'),
        secondaryKeyParameter: props.apiKeys.parameterNameOf('secondary'),
        rotationDateParameter: names.parameters.keyRotationDate,
        keyRotationDate: props.keyRotationDate ?? '',
        keyRotationWarningDays: String(props.keyRotationWarningDays),
        cluster: props.greenService.cluster.clusterName,
        greenService: props.greenService.serviceArn,
      }),
    });

    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: `Runs the ${names.prefix} health check every minute`,
      schedule: events.Schedule.rate(Duration.minutes(HEALTH_CHECK_INTERVAL_MINUTES)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(HEALTH_CHECK_INTERVAL_MINUTES) })],
    });
  }
}

/** The TCP port a BOOP URL connects to. */
function portOf(url: string): number {
  const parsed = new URL(url);
  if (parsed.port) return Number(parsed.port);
  return parsed.protocol === 'https:' || parsed.protocol === 'wss:' ? HTTPS_PORT : HTTP_PORT;
}
