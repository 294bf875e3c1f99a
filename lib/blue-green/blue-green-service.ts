import { Annotations, CfnCondition, CfnMapping, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { BoopConnectionConfig, LoadBalancerConfig, NetworkConfig, ServiceConfig } from '../config/environment-config';
import { Slot, SLOTS } from '../../common/slots';
import { BOOP_ROUTE_RATE_LIMIT, SECURITY_HEADERS, SLOT_HEALTH_CHECK_PATH } from '../guides';

/** Request header that pins a request to one slot, past the weights (health checks, smoke tests); honoured only from the NAT addresses and loadBalancer.testerCidrs. */
export const SLOT_HEADER = 'X-Boop-Slot';

/** The weights the template always carries: all traffic on blue (DESIGN "Weights: one writer"). */
export const SAFE_WEIGHTS: Readonly<Record<Slot, number>> = { blue: 100, green: 0 };

/** Priority of the first header route; above the 10 and 20 earlier versions used, so an update never creates a rule at a priority an old rule still holds. */
const FIRST_SLOT_RULE_PRIORITY = 100;
/** Source CIDRs per header route: an ALB condition matches at most 3 values, and 1 header value + 3 CIDRs stays within a rule's 5. */
const SOURCES_PER_RULE = 3;
/** Construct id CDK's Vpc gives the Elastic IP it creates beside each NAT gateway in a public subnet (PublicSubnet.addNatGateway). */
const NAT_EIP_ID = 'EIP';
/** What WAF does to the request path before the rate rule compares it, lowest priority first: decode %XX, collapse // and resolve ./ and ../, lowercase. */
const RATE_RULE_PATH_TRANSFORMATIONS = ['URL_DECODE', 'NORMALIZE_PATH', 'LOWERCASE'] as const;
const HTTPS_PORT = 443;
const HTTP_PORT = 80;
const HEALTH_CHECK_INTERVAL = Duration.seconds(15);
const VPC_CIDR_MASK = 24;
const ACCESS_LOG_PREFIX = 'alb';
/** account.dkr.ecr.region.amazonaws.com/repository[:tag][@digest] */
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(sha256:[a-f0-9]{64}))?$/;
/** Mapping value for regions that have no ELB log-delivery account. */
const NO_ELB_ACCOUNT = 'none';

export interface BlueGreenServiceProps {
  /** The environment's name; tags log groups and becomes part of names. */
  readonly envName: string;
  /** The guide's BOOP_ENV value for the containers. */
  readonly boopEnvironment: 'development' | 'production';
  /** How the service reaches BOOP; becomes the containers' BOOP_* variables. */
  readonly boop: BoopConnectionConfig;
  /** Image, size and logging of the two services. */
  readonly service: ServiceConfig;
  /** Certificate, access logs and WAF of the load balancer. */
  readonly loadBalancer: LoadBalancerConfig;
  /** NAT gateways and, for pinned stacks, the zones. */
  readonly network: NetworkConfig;
  /** What happens to logs and access logs when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Two copies of the BOOP integration service, blue and green, behind one ALB whose default action
 * is a weighted forward that the template always keeps at blue 100 / green 0. Live weights are
 * written only by the traffic controller; `X-Boop-Slot: blue|green` reaches one slot directly, but
 * only from the stack's own NAT addresses and the configured tester CIDRs.
 */
export class BlueGreenService extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly cluster: ecs.Cluster;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The listener whose default action carries the blue/green weights. */
  public readonly listener: elbv2.ApplicationListener;
  public readonly services: Readonly<Record<Slot, ecs.FargateService>>;
  public readonly targetGroups: Readonly<Record<Slot, elbv2.ApplicationTargetGroup>>;
  public readonly logGroups: Readonly<Record<Slot, logs.LogGroup>>;
  public readonly webAcl?: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: BlueGreenServiceProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.vpc = this.createVpc(props.network, removalPolicy);
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.loadBalancer = this.createLoadBalancer(props.loadBalancer);

    const services: Partial<Record<Slot, ecs.FargateService>> = {};
    const targetGroups: Partial<Record<Slot, elbv2.ApplicationTargetGroup>> = {};
    const logGroups: Partial<Record<Slot, logs.LogGroup>> = {};
    for (const slot of SLOTS) {
      logGroups[slot] = new logs.LogGroup(this, `${title(slot)}Logs`, {
        retention: props.service.logRetentionDays as logs.RetentionDays,
        removalPolicy,
      });
      services[slot] = this.createSlotService(slot, props, logGroups[slot]);
      targetGroups[slot] = this.createTargetGroup(slot, props.service);
      services[slot].attachToApplicationTargetGroup(targetGroups[slot]);
    }
    this.services = services as Record<Slot, ecs.FargateService>;
    this.targetGroups = targetGroups as Record<Slot, elbv2.ApplicationTargetGroup>;
    this.logGroups = logGroups as Record<Slot, logs.LogGroup>;

    this.listener = this.createListeners(props.loadBalancer);
    this.addSlotHeaderRoutes([...this.natAddresses(), ...props.loadBalancer.testerCidrs]);
    for (const slot of SLOTS) {
      this.services[slot].connections.allowFrom(this.loadBalancer, ec2.Port.tcp(props.service.containerPort), 'ALB to the slot');
    }

    if (props.loadBalancer.wafEnabled) this.webAcl = this.createWebAcl(props.loadBalancer);
  }

  private createVpc(network: NetworkConfig, removalPolicy: RemovalPolicy): ec2.Vpc {
    const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy });
    return new ec2.Vpc(this, 'Vpc', {
      // Given zones avoid a lookup when the stack is pinned to an account; otherwise Fn::GetAZs picks two.
      ...(network.availabilityZones ? { availabilityZones: [...network.availabilityZones] } : { maxAzs: 2 }),
      natGateways: network.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: VPC_CIDR_MASK },
        { name: 'service', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: VPC_CIDR_MASK },
      ],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });
  }

  /** The public addresses the tasks reach the internet from, as /32 CIDRs (`Ref` of an EIP is its address). */
  private natAddresses(): string[] {
    return this.vpc.publicSubnets
      .map((subnet) => subnet.node.tryFindChild(NAT_EIP_ID))
      .filter((eip): eip is ec2.CfnEIP => eip instanceof ec2.CfnEIP)
      .map((eip) => `${eip.ref}/32`);
  }

  /**
   * `X-Boop-Slot: blue|green` reaches that slot only from `sources`; from anywhere else the header
   * matches no rule and the request follows the weights. No sources, no header routes.
   */
  private addSlotHeaderRoutes(sources: readonly string[]): void {
    for (let n = 0; n * SOURCES_PER_RULE < sources.length; n++) {
      const cidrs = sources.slice(n * SOURCES_PER_RULE, (n + 1) * SOURCES_PER_RULE);
      SLOTS.forEach((slot, slotIndex) => {
        this.listener.addAction(`${title(slot)}SlotHeaderRoute${n + 1}`, {
          // The slots take turns (blue 100, 102, ...; green 101, 103, ...), so neither can reach the other's priorities however many rules each needs.
          priority: FIRST_SLOT_RULE_PRIORITY + n * SLOTS.length + slotIndex,
          conditions: [elbv2.ListenerCondition.httpHeader(SLOT_HEADER, [slot]), elbv2.ListenerCondition.sourceIps(cidrs)],
          action: elbv2.ListenerAction.forward([this.targetGroups[slot]]),
        });
      });
    }
  }

  private createLoadBalancer(config: LoadBalancerConfig): elbv2.ApplicationLoadBalancer {
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs can only be delivered to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(config.accessLogRetentionDays) }],
      // Access logs are audit data and a non-empty bucket cannot be deleted anyway: it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket only receives ALB access logs; S3 server access logs of a log bucket would log log-deliveries into yet another bucket without adding an audit trail for requests.',
    });
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      dropInvalidHeaderFields: true,
      desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
    });
    enableAccessLogs(alb, accessLogs, ACCESS_LOG_PREFIX);
    Validations.of(alb).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'Internet-facing entry point for the vendor\'s clients, who connect from anywhere; it opens only the listener ports (HTTPS, and HTTP that redirects to HTTPS), drops invalid headers and sits behind the WAF web ACL.',
    });
    return alb;
  }

  private createSlotService(slot: Slot, props: BlueGreenServiceProps, logGroup: logs.LogGroup): ecs.FargateService {
    const { boop, service } = props;
    const taskDefinition = new ecs.FargateTaskDefinition(this, `${title(slot)}Task`, {
      cpu: service.cpu,
      memoryLimitMiB: service.memoryMiB,
    });
    taskDefinition.addContainer('integration', {
      image: containerImage(this, `${title(slot)}Image`, service.images[slot]),
      portMappings: [{ containerPort: service.containerPort }],
      environment: containerEnvironment(slot, props.boopEnvironment, boop),
      // The service writes one JSON object per line (logs and EMF metrics); awslogs ships each line as is.
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: slot, mode: ecs.AwsLogDriverMode.NON_BLOCKING }),
    });
    if (ECR_IMAGE.test(service.images[slot]) && taskDefinition.executionRole) {
      Validations.of(taskDefinition.executionRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken has no resource-level permissions (AWS requires Resource "*"); the image pull actions themselves are scoped to the one repository.',
      });
    }
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The plain environment holds only non-secret BOOP settings (URLs, timeouts, vendor id, slot); secrets never go here: BOOP API keys are to reach the task as ECS secrets from SSM SecureString parameters (DESIGN "API keys").',
    });
    return new ecs.FargateService(this, `${title(slot)}Service`, {
      cluster: this.cluster,
      taskDefinition,
      desiredCount: service.desiredCount,
      // Keep full capacity during a deployment and roll back a deployment whose tasks never get healthy.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
    });
  }

  private createTargetGroup(slot: Slot, service: ServiceConfig): elbv2.ApplicationTargetGroup {
    return new elbv2.ApplicationTargetGroup(this, `${title(slot)}TargetGroup`, {
      vpc: this.vpc,
      port: service.containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(service.deregistrationDelaySeconds),
      healthCheck: { path: SLOT_HEALTH_CHECK_PATH, healthyHttpCodes: '200', interval: HEALTH_CHECK_INTERVAL },
    });
  }

  /** HTTPS with a redirect from HTTP; without a certificate (dev only) a plain HTTP listener. */
  private createListeners(config: LoadBalancerConfig): elbv2.ApplicationListener {
    const defaultAction = elbv2.ListenerAction.weightedForward(
      SLOTS.map((slot) => ({ targetGroup: this.targetGroups[slot], weight: SAFE_WEIGHTS[slot] })),
    );
    if (!config.certificateArn) {
      Annotations.of(this).addWarningV2(
        'boop:http-only',
        'No loadBalancer.certificateArn: the load balancer listens on plain HTTP only. Fine for a dev sandbox; set a certificate before real traffic.',
      );
      const listener = this.loadBalancer.addListener('HttpListener', { port: HTTP_PORT, protocol: elbv2.ApplicationProtocol.HTTP, defaultAction });
      // HSTS means nothing over plain HTTP (RFC 6797 section 8.1), so only the other two headers apply.
      setResponseHeaders(listener, false);
      return listener;
    }
    const listener = this.loadBalancer.addListener('HttpsListener', {
      port: HTTPS_PORT,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(config.certificateArn)],
      // TLS 1.2 and 1.3 with hybrid post-quantum key exchange: what cdk.json's usePostQuantumTlsPolicy recommends.
      sslPolicy: elbv2.SslPolicy.TLS13_12_PQ,
      defaultAction,
    });
    setResponseHeaders(listener, true);
    this.loadBalancer.addListener('HttpRedirect', {
      port: HTTP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: String(HTTPS_PORT), permanent: true }),
    });
    return listener;
  }

  /** The environment guide's per-IP limiter on the BOOP routes, and AWS's common rule set. */
  private createWebAcl(config: LoadBalancerConfig): wafv2.CfnWebACL {
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('boop-web-acl'),
      rules: [
        {
          name: 'BoopRoutesRatePerIp',
          priority: 0,
          action: { block: { customResponse: { responseCode: 429 } } },
          statement: {
            rateBasedStatement: {
              limit: config.wafRateLimitPerMinute,
              evaluationWindowSec: BOOP_ROUTE_RATE_LIMIT.windowSeconds,
              aggregateKeyType: 'IP',
              scopeDownStatement: {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'STARTS_WITH',
                  // Validation keeps the configured path in the form the transformations produce (lowercase, no %XX, no //, ./ or ../).
                  searchString: config.wafRateLimitPath,
                  textTransformations: RATE_RULE_PATH_TRANSFORMATIONS.map((type, priority) => ({ priority, type })),
                },
              },
            },
          },
          visibilityConfig: visibility('boop-routes-rate-per-ip'),
        },
        {
          name: 'AWSManagedRulesCommonRuleSet',
          priority: 1,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
          visibilityConfig: visibility('aws-common-rule-set'),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.loadBalancer.loadBalancerArn,
      webAclArn: webAcl.attrArn,
    });
    return webAcl;
  }
}

/**
 * ALB access logs to `bucket` without knowing the region at synth (CDK's logAccessLogs needs it).
 * Regions opened before August 2022 deliver as a regional ELB account, newer ones as the
 * logdelivery.elasticloadbalancing.amazonaws.com service; the bucket allows whichever applies.
 */
function enableAccessLogs(alb: elbv2.ApplicationLoadBalancer, bucket: s3.Bucket, prefix: string): void {
  const stack = Stack.of(alb);
  const mapping = new CfnMapping(alb, 'ElbLogDeliveryAccount', {
    mapping: Object.fromEntries(RegionInfo.regions.map((r) => [r.name, { account: r.elbv2Account ?? NO_ELB_ACCOUNT }])),
  });
  const elbAccount = mapping.findInMap(stack.region, 'account');
  const hasElbAccount = new CfnCondition(alb, 'RegionHasElbLogAccount', {
    expression: Fn.conditionNot(Fn.conditionEquals(elbAccount, NO_ELB_ACCOUNT)),
  });
  const logObjects = bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`);
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    // In a newer region the ELB account does not exist; the statement then names this account, which IAM already governs.
    principals: [new iam.ArnPrincipal(Fn.conditionIf(hasElbAccount.logicalId,
      `arn:${stack.partition}:iam::${elbAccount}:root`, `arn:${stack.partition}:iam::${stack.account}:root`).toString())],
    resources: [logObjects],
  }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
    resources: [logObjects],
  }));
  alb.setAttribute('access_logs.s3.enabled', 'true');
  alb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  alb.setAttribute('access_logs.s3.prefix', prefix);
  // The ALB checks it may write to the bucket when the attribute is set.
  if (bucket.policy) alb.node.addDependency(bucket.policy);
}

/** Private ECR images get pull rights on the task's execution role; any other registry is pulled as is. */
function containerImage(scope: Construct, id: string, reference: string): ecs.ContainerImage {
  const ecrImage = ECR_IMAGE.exec(reference);
  if (!ecrImage) return ecs.ContainerImage.fromRegistry(reference);
  const [, account, region, repositoryName, tag, digest] = ecrImage;
  const repository = ecr.Repository.fromRepositoryAttributes(scope, id, {
    repositoryName,
    repositoryArn: `arn:${Stack.of(scope).partition}:ecr:${region}:${account}:repository/${repositoryName}`,
  });
  return ecs.ContainerImage.fromEcrRepository(repository, digest ?? tag);
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

/** The environment guide's security headers, set by the ALB on every response (listener attributes). */
function setResponseHeaders(listener: elbv2.ApplicationListener, https: boolean): void {
  const cfn = listener.node.defaultChild as elbv2.CfnListener;
  cfn.listenerAttributes = [
    ...(https ? [{ key: 'routing.http.response.strict_transport_security.header_value', value: SECURITY_HEADERS.strictTransportSecurity }] : []),
    { key: 'routing.http.response.x_content_type_options.header_value', value: SECURITY_HEADERS.xContentTypeOptions },
    { key: 'routing.http.response.x_frame_options.header_value', value: SECURITY_HEADERS.xFrameOptions },
  ];
}

function title(slot: Slot): string {
  return slot[0].toUpperCase() + slot.slice(1);
}
