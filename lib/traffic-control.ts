import { createHash } from 'crypto';
import { CustomResource, Duration, Fn, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { environmentNames, RELEASE_RESOURCE_TYPE, TRAFFIC_CONTROLLER_SERVICE, TRAFFIC_RESOURCE_TYPE } from '../common/names';
import { controllerEnvironment, ControllerVariables, ReleaseResourceProperties, TICK_ACTION, TickRequest, TrafficResourceProperties } from '../common/payloads';
import { RolloutConfig } from './config/environment-config';
import { Slot } from '../common/slots';
import { ECS_TASK_COUNT, GREEN_CAPACITY_TAG, scalableTargetId } from '../common/traffic/green-capacity';
import { TICK_INTERVAL_MINUTES } from '../common/traffic/hands-free';
import { FUNCTION_DEFAULTS, handlerEntry } from './node-function';

const CONTROLLER_TIMEOUT = Duration.seconds(60);
const CONTROLLER_MEMORY_MIB = 256;
/** The controller's reserved concurrency: one invocation at a time, the one writer of the weights. */
const CONTROLLER_CONCURRENCY = 1;
const CONTROLLER_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;
/** Lambda retries a failed asynchronous rollback this often before it goes to the dead-letter queue. */
const ASYNC_RETRIES = 2;
/**
 * EventBridge keeps trying to deliver the alarm event this long when Lambda refuses it. Lambda
 * accepts an asynchronous event even while the function is busy (concurrency 1) and retries it
 * from its own queue; these bound only the hand-over.
 */
const EVENT_DELIVERY_WINDOW = Duration.hours(1);
const EVENT_DELIVERY_RETRIES = 185;
/** How long EventBridge may hold a tick it could not hand over: the least it allows, well inside the interval. */
const TICK_DELIVERY_WINDOW = Duration.minutes(1);
const CUSTOM_RESOURCE_TIMEOUT = Duration.minutes(10);
const DEAD_LETTER_RETENTION = Duration.days(14);

export interface TrafficControlProps {
  /** The environment's name; names the function, state parameter and alarms. */
  readonly envName: string;
  /** The Environment dimension of Boop/Traffic metrics (the services' BOOP_ENV). */
  readonly metricEnvironment: string;
  /** The listener whose default action carries the weights. */
  readonly listener: elbv2.ApplicationListener;
  /** Each slot's target group. */
  readonly targetGroups: Readonly<Record<Slot, elbv2.IApplicationTargetGroup>>;
  /** Updated before the weights are set, so a rise sees the new green's targets. */
  readonly dependsOn: readonly IConstruct[];
  /** Steps, bake, stickiness, the release guard and whether a rollback empties green. */
  readonly rollout: RolloutConfig;
  /** The intended green share: the GreenPercent parameter's value. */
  readonly greenPercent: string;
  /** The image each slot is to run: the BlueImage and GreenImage parameter values, judged by the release guard. */
  readonly images: Readonly<Record<Slot, string>>;
  /** Green's service: the one service whose task count the controller may set (zero on a rollback, back on its acknowledgement). It has no DesiredCount of its own. */
  readonly greenService: ecs.IBaseService;
  /** Green's configured task count (service.desiredCount): what a new stack starts green with and the acknowledgement of a rollback restores. */
  readonly greenDesiredCount: number;
  /** `-c rolloutOverride="<reason>"` of this deploy. @default none */
  readonly rolloutOverride?: string;
  /** The composite alarm whose ALARM rolls green back. */
  readonly rollbackAlarmName: string;
  /** Where a rollback pages. */
  readonly criticalTopic: sns.ITopic;
  /** Where a hands-free rollout (rollout.autoAdvance) tells each advance and stop: the low-severity topic. Unused with autoAdvance off. */
  readonly noticeTopic: sns.ITopic;
  /** What happens to the controller's logs and dead-letter queue when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one writer of live weights (docs/design.md "Weights: one writer"): a controller function reached by
 * the deploy (a custom resource carrying GreenPercent and the listener's fingerprint), by the
 * rollback alarm (EventBridge), by the operator (`npm run rollout -- rollback`), and with rollout.autoAdvance by its tick schedule.
 */
export class TrafficControl extends Construct {
  public readonly controller: nodejs.NodejsFunction;
  /** Rollbacks that failed every retry land here; its depth pages (ROLLBACK_FAILED). */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly stateParameterName: string;
  /** The custom resource that sets the deploy's weights; add what must exist before green gets traffic. */
  public readonly weights: CustomResource;
  /** The custom resource through which the deploy's images pass the release guard; the services wait for it (guardServices). */
  public readonly release: CustomResource;
  /** Green's task count, pinned (minimum = maximum): its configured count on a new stack, then moved only by the controller. */
  public readonly greenCapacity: appscaling.CfnScalableTarget;
  /** The schedule that ticks a hands-free rollout; only with rollout.autoAdvance. */
  public readonly tick?: events.Rule;

  constructor(scope: Construct, id: string, props: TrafficControlProps) {
    super(scope, id);
    const names = environmentNames(props.envName);
    this.stateParameterName = names.parameters.trafficState;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
      // Failed rollbacks are audit data, kept like the logs.
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const logGroup = new logs.LogGroup(this, 'ControllerLogs', {
      retention: CONTROLLER_LOG_RETENTION,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'ControllerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `The ${names.prefix} traffic controller: the one writer of the listener's weights`,
    });
    logGroup.grantWrite(role);
    const green = { cluster: props.greenService.cluster.clusterName, service: names.greenService };
    this.grantControllerAccess(role, props, green.service);
    this.greenCapacity = new appscaling.CfnScalableTarget(this, 'GreenCapacity', {
      serviceNamespace: ECS_TASK_COUNT.namespace,
      scalableDimension: ECS_TASK_COUNT.dimension,
      // The service's own name attribute, so CloudFormation registers the capacity once green's service exists.
      resourceId: scalableTargetId({ cluster: green.cluster, service: props.greenService.serviceName }),
      minCapacity: props.greenDesiredCount,
      maxCapacity: props.greenDesiredCount,
      // No RoleARN: Application Auto Scaling scales ECS services with its service-linked role, which it creates on first use.
      // The tag is how IAM tells green's target from any other: its ARN is AWS's own id, unknown to the template.
      tags: [{ key: GREEN_CAPACITY_TAG, value: green.service }],
    });

    this.controller = new nodejs.NodejsFunction(this, 'Controller', {
      functionName: names.trafficController,
      description: 'Sets the blue/green weights: deploys (GreenPercent), rollbacks (alarm, operator)',
      ...FUNCTION_DEFAULTS,
      entry: handlerEntry('traffic'),
      memorySize: CONTROLLER_MEMORY_MIB,
      timeout: CONTROLLER_TIMEOUT,
      // One writer at a time: deploys, rollbacks and the CLI queue up rather than race. Lambda grants a reservation only
      // while the account keeps its unreserved minimum (100 by default), so an account whose concurrency quota is 10 or 50
      // must raise it first (README "First deploy", step 4; docs/design.md "Weights: one writer").
      reservedConcurrentExecutions: CONTROLLER_CONCURRENCY,
      retryAttempts: ASYNC_RETRIES,
      deadLetterQueue: this.deadLetterQueue,
      role,
      logGroup,
      environment: {
        ...controllerEnvironment({
          envName: props.envName,
          metricEnvironment: props.metricEnvironment,
          stackId: Stack.of(this).stackId,
          listenerArn: props.listener.listenerArn,
          blueTargetGroupArn: props.targetGroups.blue.targetGroupArn,
          greenTargetGroupArn: props.targetGroups.green.targetGroupArn,
          stateParameterName: this.stateParameterName,
          rollbackAlarmName: props.rollbackAlarmName,
          criticalTopicArn: props.criticalTopic.topicArn,
          rolloutSteps: JSON.stringify(props.rollout.steps),
          bakeTimeHours: String(props.rollout.bakeTimeHours),
          stickinessSeconds: String(props.rollout.stickinessSeconds),
          releaseGuard: String(props.rollout.releaseGuard),
          scaleGreenToZero: String(props.rollout.scaleGreenToZeroOnRollback),
          // The name green's service is given (names.ts), not a reference to it: the service waits for the release guard this function serves.
          greenCluster: green.cluster,
          greenService: green.service,
          greenDesiredCount: String(props.greenDesiredCount),
          // Set only with autoAdvance, so a stack without it stays as it was.
          ...(props.rollout.autoAdvance ? { autoAdvance: 'true', noticeTopicArn: props.noticeTopic.topicArn } : {}),
        } satisfies ControllerVariables),
        POWERTOOLS_SERVICE_NAME: TRAFFIC_CONTROLLER_SERVICE,
      },
    });

    this.release = new CustomResource(this, 'Release', {
      serviceToken: this.controller.functionArn,
      resourceType: RELEASE_RESOURCE_TYPE,
      serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
      properties: {
        BlueImage: props.images.blue,
        GreenImage: props.images.green,
        GreenPercent: props.greenPercent,
        RolloutOverride: props.rolloutOverride ?? '',
        GreenCapacity: String(props.greenDesiredCount),
      } satisfies ReleaseResourceProperties,
    });
    // A new configured count reaches green only through the guard: refused while a rollback is unacknowledged.
    this.greenCapacity.node.addDependency(this.release);

    this.weights = new CustomResource(this, 'Weights', {
      serviceToken: this.controller.functionArn,
      resourceType: TRAFFIC_RESOURCE_TYPE,
      // Long enough to queue behind a running rollback (concurrency 1), short of CloudFormation's hour.
      serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
      properties: {
        GreenPercent: props.greenPercent,
        ListenerFingerprint: listenerFingerprint(props.listener, props.targetGroups),
        RolloutOverride: props.rolloutOverride ?? '',
        ...(props.rollout.autoAdvance ? { AutoAdvance: 'true' } : {}),
      } satisfies TrafficResourceProperties,
    });
    // The acknowledgement of a rollback re-pins green's capacity, which must exist by then.
    this.weights.node.addDependency(props.listener, ...props.dependsOn, this.greenCapacity);

    const rollbackRule = new events.Rule(this, 'RollbackOnAlarm', {
      description: `Rolls green back to blue when ${props.rollbackAlarmName} enters ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: [props.rollbackAlarmName], state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.LambdaFunction(this.controller, {
          deadLetterQueue: this.deadLetterQueue,
          maxEventAge: EVENT_DELIVERY_WINDOW,
          retryAttempts: EVENT_DELIVERY_RETRIES,
        }),
      ],
    });
    // Green gets traffic only once something can take it back.
    this.weights.node.addDependency(rollbackRule);

    if (props.rollout.autoAdvance) {
      this.tick = new events.Rule(this, 'Tick', {
        description: `Ticks the ${names.prefix} hands-free rollout: green moves one step toward the deploy's target when a deploy of that step would be accepted`,
        schedule: events.Schedule.rate(Duration.minutes(TICK_INTERVAL_MINUTES)),
        targets: [
          new targets.LambdaFunction(this.controller, {
            event: events.RuleTargetInput.fromObject({ action: TICK_ACTION } satisfies TickRequest),
            // A missed tick is the next tick's work: nothing is retried or kept, and the dead-letter queue stays for rollbacks.
            retryAttempts: 0,
            maxEventAge: TICK_DELIVERY_WINDOW,
          }),
        ],
      });
    }
  }

  /**
   * Makes each service wait for the release guard, so a refused image change fails the deploy before
   * ECS replaces any task, and green is lowered to 0 % before ECS replaces its tasks.
   */
  guardServices(services: readonly ecs.IBaseService[]): void {
    for (const service of services) service.node.addDependency(this.release);
  }

  /** Exactly the calls the controller makes, on exactly its resources. */
  private grantControllerAccess(role: iam.Role, props: TrafficControlProps, greenServiceName: string): void {
    const stack = Stack.of(this);
    const greenCapacityArns = stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteWeightsOfThisListenerOnly',
        actions: ['elasticloadbalancing:ModifyListener'],
        resources: [props.listener.listenerArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadListenersAndTargetHealth',
        // Describe calls of ELBv2 have no resource-level permissions.
        actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndWriteTheTrafficState',
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: this.stateParameterName.slice(1) })],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheRollbackAlarmAndItsHistory',
        // CloudWatch returns a composite alarm's state and history only to a permission scoped to "*".
        actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadThisStackToVerifyDeployEvents',
        // A deploy event is honoured only while this stack is mid-update with the event's GreenPercent (and override).
        actions: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate'],
        resources: [stack.stackId],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SetTheTaskCountOfGreenOnly',
        // Green's count and nothing else (docs/design.md "Green's task count"): no ECS action at all, since
        // ecs:UpdateService cannot be narrowed to the count; Application Auto Scaling's service-linked role sets it.
        actions: ['application-autoscaling:RegisterScalableTarget'],
        // A target's ARN is AWS's own id, unknown to the template: green's is told by its tag.
        resources: [greenCapacityArns],
        conditions: {
          // A new target (blue's, anyone's) has no tags yet, and the request may add none.
          StringEquals: {
            [`aws:ResourceTag/${GREEN_CAPACITY_TAG}`]: greenServiceName,
            'application-autoscaling:service-namespace': ECS_TASK_COUNT.namespace,
            'application-autoscaling:scalable-dimension': ECS_TASK_COUNT.dimension,
          },
          Null: { 'aws:TagKeys': 'true' },
        },
      }),
    );
    props.criticalTopic.grantPublish(role);
    if (props.rollout.autoAdvance) props.noticeTopic.grantPublish(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted alert topics (critical; medium with rollout.autoAdvance) needs the GenerateDataKey family on their key; the grant names that one key only.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(stack, greenCapacityArns)}]`,
      reason:
        "A scalable target's ARN ends in an id Application Auto Scaling assigns at registration, which the template cannot name; the grant admits only the existing target tagged as green's (aws:ResourceTag), for ECS task counts, with no tags in the request.",
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only reads are on "*": elasticloadbalancing:DescribeListeners and DescribeTargetHealth have no resource-level permissions, and cloudwatch:DescribeAlarms and DescribeAlarmHistory return composite alarms only when scoped to "*" (CloudWatch API reference). Every write names its own resource (this listener, the state parameter, the critical topic and with rollout.autoAdvance the medium one, the dead-letter queue, green\'s capacity by its tag).',
    });
  }
}

/** A resource as cdk-nag names it in a finding: literal, or with `<AWS::Region>` for each pseudo parameter of an environment-agnostic stack. */
function nagResourceName(stack: Stack, arn: string): string {
  const resolved: unknown = stack.resolve(arn);
  if (typeof resolved === 'string') return resolved;
  const [, parts] = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join('');
}

/**
 * A hash of everything in the listener's configuration, joined with the ARNs it refers to as
 * CloudFormation resolves them at deploy time (a replaced listener or target group keeps its
 * template reference but gets a new ARN). Any listener update changes it, so the custom resource
 * updates in the same deploy and the controller puts the live weights back at once (CloudFormation
 * rewrites the whole action: aws/aws-cdk#36649).
 */
function listenerFingerprint(listener: elbv2.ApplicationListener, targetGroups: Readonly<Record<Slot, elbv2.IApplicationTargetGroup>>): string {
  const cfn = listener.node.defaultChild as elbv2.CfnListener;
  const configuration = Lazy.string({
    produce: () => {
      const configuration = Stack.of(listener).resolve({
        defaultActions: cfn.defaultActions,
        port: cfn.port,
        protocol: cfn.protocol,
        certificates: cfn.certificates,
        sslPolicy: cfn.sslPolicy,
        listenerAttributes: cfn.listenerAttributes,
        alpnPolicy: cfn.alpnPolicy,
        mutualAuthentication: cfn.mutualAuthentication,
      });
      return createHash('sha256').update(JSON.stringify(configuration)).digest('hex').slice(0, 16);
    },
  });
  return Fn.join('|', [configuration, listener.listenerArn, targetGroups.blue.targetGroupArn, targetGroups.green.targetGroupArn]);
}
