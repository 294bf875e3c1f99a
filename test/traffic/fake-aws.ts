/**
 * An in-memory AWS for the traffic controller's tests: one listener, two target groups, the SSM
 * parameter store, the rollback alarm with its history, the controller's own stack as CloudFormation
 * describes it, and the SNS topics (each publish recorded with its topic). The SDK clients
 * are real; aws-sdk-client-mock answers their calls from this state, so the controller's logic
 * meets the same shapes the services return. Faults can be injected per command.
 */
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  Action,
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ControllerClients, ControllerSettings, Log, TrafficController } from '../../lambda/traffic/controller';
import type { RouteDeps } from '../../lambda/traffic/route';
import type { TrafficMetricName } from '../../common/contract';
import { controllerEnvironment as controllerVariables } from '../../common/payloads';
import { environmentNames, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../../common/names';
import type { Slot } from '../../common/slots';
import { ECS_TASK_COUNT, GREEN_CAPACITY_TAG, scalableTargetId } from '../../common/traffic/green-capacity';
import type { SlotImages, TrafficState } from '../../common/traffic/state';
import { ENVIRONMENT_DEFAULTS } from '../../lib/config/load-config';
import { ACCOUNT, REGION } from '../support/deployed-template';

/** SSM's limits for a parameter's value: standard, and advanced (which Intelligent-Tiering moves to when needed). */
const SSM_STANDARD_MAX_BYTES = 4096;
const SSM_ADVANCED_MAX_BYTES = 8192;
const NAMES = environmentNames('prod');
/** Production's default rollout, as the stack passes it to the controller. */
const PROD_ROLLOUT = ENVIRONMENT_DEFAULTS.production.rollout;

export const SETTINGS: ControllerSettings = {
  envName: 'prod',
  stackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${NAMES.stack}/6d1e2f30-0000-4000-8000-000000000001`,
  region: REGION,
  listenerArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/boop/abc/def`,
  targetGroups: {
    blue: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/blue/111`,
    green: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/green/222`,
  },
  stateParameterName: NAMES.parameters.trafficState,
  rollbackAlarmName: NAMES.rollbackAlarm,
  criticalTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:${NAMES.alertTopic('critical')}`,
  policy: { steps: [...PROD_ROLLOUT.steps], bakeTimeHours: PROD_ROLLOUT.bakeTimeHours },
  stickinessSeconds: PROD_ROLLOUT.stickinessSeconds,
  releaseGuard: ENVIRONMENT_DEFAULTS.production.rollout.releaseGuard,
  scaleGreenToZero: ENVIRONMENT_DEFAULTS.production.rollout.scaleGreenToZeroOnRollback,
  green: {
    cluster: 'BoopIntegration-prod-ClusterEB0386A7-x1',
    service: NAMES.greenService,
    desiredCount: ENVIRONMENT_DEFAULTS.production.service.desiredCount,
  },
};

/** SETTINGS with rollout.autoAdvance on: a deploy's GreenPercent is a target, ticks walk green there, notices go to the medium (low-severity) topic. */
export const HANDS_FREE_SETTINGS: ControllerSettings = {
  ...SETTINGS,
  noticeTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:${NAMES.alertTopic('medium')}`,
  policy: { ...SETTINGS.policy, autoAdvance: true },
};

/** Green's ECS service as the stack names it in the controller's settings. */
export const GREEN_SERVICE = SETTINGS.green;
/** Blue's ECS service: the controller may never move its count. */
export const BLUE_SERVICE = { cluster: SETTINGS.green.cluster, service: 'BoopIntegration-prod-BlueService-x2' };

/** The environment the stack gives the controller function, for SETTINGS (or HANDS_FREE_SETTINGS with `handsFree`): what the deployed handler reads. */
export function controllerEnvironment(metricEnvironment: string, options: { handsFree?: boolean } = {}): Record<string, string> {
  const variables = controllerVariables({
    envName: SETTINGS.envName,
    metricEnvironment,
    stackId: SETTINGS.stackId,
    listenerArn: SETTINGS.listenerArn,
    blueTargetGroupArn: SETTINGS.targetGroups.blue,
    greenTargetGroupArn: SETTINGS.targetGroups.green,
    stateParameterName: SETTINGS.stateParameterName,
    rollbackAlarmName: SETTINGS.rollbackAlarmName,
    criticalTopicArn: SETTINGS.criticalTopicArn,
    rolloutSteps: JSON.stringify(SETTINGS.policy.steps),
    bakeTimeHours: String(SETTINGS.policy.bakeTimeHours),
    stickinessSeconds: String(SETTINGS.stickinessSeconds),
    releaseGuard: String(SETTINGS.releaseGuard),
    scaleGreenToZero: String(SETTINGS.scaleGreenToZero),
    greenCluster: SETTINGS.green.cluster,
    greenService: SETTINGS.green.service,
    greenDesiredCount: String(SETTINGS.green.desiredCount),
    ...(options.handsFree ? { autoAdvance: 'true', noticeTopicArn: HANDS_FREE_SETTINGS.noticeTopicArn } : {}),
  });
  return { ...variables, AWS_REGION: SETTINGS.region };
}

/** The event EventBridge delivers when the rollback alarm enters ALARM at `at`, as CloudWatch writes its time. */
export function rollbackAlarmEvent(at: Date, reason: string) {
  return {
    'source': 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    'detail': {
      alarmName: SETTINGS.rollbackAlarmName,
      state: { value: 'ALARM', reason, timestamp: at.toISOString().replace('Z', '+0000') },
    },
  };
}

/** The template's action: blue 100, green 0, no stickiness. */
export function templateAction(): Action {
  return {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: SETTINGS.targetGroups.blue, Weight: 100 },
        { TargetGroupArn: SETTINGS.targetGroups.green, Weight: 0 },
      ],
    },
  };
}

type CommandName =
  | 'ModifyListener'
  | 'DescribeListeners'
  | 'DescribeTargetHealth'
  | 'GetParameter'
  | 'PutParameter'
  | 'DescribeAlarms'
  | 'DescribeAlarmHistory'
  | 'Publish'
  | 'DescribeStacks'
  | 'GetTemplate'
  | 'RegisterScalableTarget';

/** What CloudFormation reports about the controller's stack: its status, parameters and the custom resources' override in the template. */
export interface FakeStack {
  status: string;
  greenPercent: string;
  rolloutOverride: string;
  /** BlueImage and GreenImage; absent in tests of the weights alone. */
  images?: SlotImages;
}

/** One slot's ECS service: the image its tasks run, its task definition's other settings, and how many tasks it is asked to run. */
export interface FakeService {
  image: string;
  desiredCount: number;
  /** Everything else a task definition holds (boop.* settings, cpu, memory, the key rotation): a new revision on any change. @default 1 */
  revision?: number;
}

/** An Application Auto Scaling scalable target of an ECS service's task count: its pinned range and tags. */
export interface FakeScalableTarget {
  min: number;
  max: number;
  readonly tags: Readonly<Record<string, string>>;
}

export class FakeAws {
  /** The listener's live default action. */
  defaultActions: Action[] = [templateAction()];
  /** Target health states of green's targets. */
  greenTargets: string[] = ['healthy', 'healthy'];
  readonly parameters = new Map<string, string>();
  alarmState: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK';
  /** False: the rollback alarm is missing (or, as CloudWatch does, hidden from a narrowly scoped permission). */
  alarmExists = true;
  /** When the rollback alarm changed state, oldest first. */
  readonly alarmHistory: { at: Date; to: 'OK' | 'ALARM' }[] = [];
  /** Every message SNS accepted, with the topic it went to. */
  readonly published: { topic?: string; subject?: string; message?: string }[] = [];
  /** The controller's own stack, mid-update unless a test says otherwise. */
  stack: FakeStack = { status: 'UPDATE_IN_PROGRESS', greenPercent: '0', rolloutOverride: '' };
  readonly calls: CommandName[] = [];
  readonly metrics: { name: TrafficMetricName; value: number }[] = [];
  readonly logs: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  /** Commands that fail with this error until removed. */
  readonly failures = new Map<CommandName, Error>();
  /** Each slot's ECS service, as CloudFormation and the controller leave it. */
  readonly services: Record<Slot, FakeService> = {
    blue: { image: 'registry.example/boop-integration:1.0.0', desiredCount: GREEN_SERVICE.desiredCount },
    green: { image: 'registry.example/boop-integration:1.0.0', desiredCount: GREEN_SERVICE.desiredCount },
  };
  /** Scalable targets by resource id: green's, as the stack registers it (tagged, pinned to its configured count). */
  readonly scalableTargets = new Map<string, FakeScalableTarget>([
    [
      scalableTargetId(GREEN_SERVICE),
      { min: GREEN_SERVICE.desiredCount, max: GREEN_SERVICE.desiredCount, tags: { [GREEN_CAPACITY_TAG]: GREEN_SERVICE.service } },
    ],
  ]);
  /** Every RegisterScalableTarget the controller sent, and whether IAM let it through. */
  readonly registrations: { resourceId: string; min?: number; max?: number; allowed: boolean }[] = [];
  /** Every desired count each service was given, in order. */
  readonly desiredCounts: Record<Slot, number[]> = { blue: [], green: [] };
  /** Runs after each ModifyListener: another writer can change the action here. */
  afterModify?: (written: Action[]) => void;
  /** Reached at each call: the test's clock can advance (a slow call) or assert an order. */
  onCall?: (name: CommandName) => void;

  readonly clients: ControllerClients;
  /** Every controller this AWS builds runs with rollout.autoAdvance on and the notice topic (HANDS_FREE_SETTINGS), whatever else its settings say. */
  private readonly handsFree: boolean;

  /**
   * `classLevel`: answer every client of each class (for code that makes its own clients, e.g. the deployed bundle).
   * `handsFree`: the stack has rollout.autoAdvance on, so every controller built here has it (SimulatedStack builds its own).
   */
  constructor(options: { classLevel?: boolean; handsFree?: boolean } = {}) {
    this.handsFree = options.handsFree === true;
    const target = <T>(instance: T, type: unknown): T => (options.classLevel ? (type as T) : instance);
    const elb = new ElasticLoadBalancingV2Client({ region: REGION });
    const ssm = new SSMClient({ region: REGION });
    const cloudwatch = new CloudWatchClient({ region: REGION });
    const sns = new SNSClient({ region: REGION });
    const cloudformation = new CloudFormationClient({ region: REGION });
    const autoScaling = new ApplicationAutoScalingClient({ region: REGION });
    this.clients = { elb, ssm, cloudwatch, sns, cloudformation, autoScaling };

    mockClient(target(autoScaling, ApplicationAutoScalingClient))
      .on(RegisterScalableTargetCommand)
      .callsFake((input) =>
        this.call('RegisterScalableTarget', () => {
          const existing = this.scalableTargets.get(input.ResourceId ?? '');
          // As the controller's IAM policy does: only an existing target tagged as green's, for ECS task counts, adding no tags.
          const allowed =
            existing?.tags[GREEN_CAPACITY_TAG] === GREEN_SERVICE.service &&
            input.ServiceNamespace === ECS_TASK_COUNT.namespace &&
            input.ScalableDimension === ECS_TASK_COUNT.dimension &&
            input.Tags === undefined &&
            input.RoleARN === undefined;
          this.registrations.push({ resourceId: String(input.ResourceId), min: input.MinCapacity, max: input.MaxCapacity, allowed });
          if (!allowed || !existing)
            throw Object.assign(new Error('not authorized to perform application-autoscaling:RegisterScalableTarget'), { name: 'AccessDeniedException' });
          this.registerCapacity(input.ResourceId!, input.MinCapacity ?? existing.min, input.MaxCapacity ?? existing.max);
          return { ScalableTargetARN: `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/0123456789abcdef` };
        }),
      );

    mockClient(target(elb, ElasticLoadBalancingV2Client))
      .on(ModifyListenerCommand)
      .callsFake((input) =>
        this.call('ModifyListener', () => {
          if (input.ListenerArn !== SETTINGS.listenerArn) throw Object.assign(new Error('listener not found'), { name: 'ListenerNotFoundException' });
          this.defaultActions = structuredClone(input.DefaultActions);
          this.afterModify?.(input.DefaultActions);
          return {};
        }),
      )
      .on(DescribeListenersCommand)
      .callsFake(() =>
        this.call('DescribeListeners', () => ({
          Listeners: [{ ListenerArn: SETTINGS.listenerArn, DefaultActions: structuredClone(this.defaultActions) }],
        })),
      )
      .on(DescribeTargetHealthCommand)
      .callsFake((input) =>
        this.call('DescribeTargetHealth', () => ({
          TargetHealthDescriptions:
            input.TargetGroupArn === SETTINGS.targetGroups.green
              ? this.greenTargets.map((State, i) => ({ Target: { Id: `10.0.0.${i}` }, TargetHealth: { State } }))
              : [],
        })),
      );
    mockClient(target(ssm, SSMClient))
      .on(GetParameterCommand)
      .callsFake((input) =>
        this.call('GetParameter', () => {
          const value = this.parameters.get(input.Name);
          if (value === undefined) throw Object.assign(new Error('not found'), { name: 'ParameterNotFound' });
          return { Parameter: { Name: input.Name, Value: value } };
        }),
      )
      .on(PutParameterCommand)
      .callsFake((input) =>
        this.call('PutParameter', () => {
          // As SSM does: a standard parameter holds at most 4 KB, an advanced (or intelligent-tiering) one 8 KB.
          const limit = input.Tier === 'Advanced' || input.Tier === 'Intelligent-Tiering' ? SSM_ADVANCED_MAX_BYTES : SSM_STANDARD_MAX_BYTES;
          if (Buffer.byteLength(input.Value ?? '') > limit)
            throw Object.assign(new Error('Standard tier parameters support a maximum parameter value of 4096 characters.'), { name: 'ValidationException' });
          this.parameters.set(input.Name, input.Value);
          return { Version: 1 };
        }),
      );
    mockClient(target(cloudwatch, CloudWatchClient))
      .on(DescribeAlarmsCommand)
      .callsFake((input) =>
        this.call('DescribeAlarms', () => ({
          // Like CloudWatch: composite alarms only when asked for by type.
          CompositeAlarms:
            this.alarmExists && (input.AlarmTypes ?? []).includes('CompositeAlarm') && (input.AlarmNames ?? []).includes(SETTINGS.rollbackAlarmName)
              ? [{ AlarmName: SETTINGS.rollbackAlarmName, StateValue: this.alarmState }]
              : [],
        })),
      )
      .on(DescribeAlarmHistoryCommand)
      .callsFake((input) =>
        this.call('DescribeAlarmHistory', () => ({
          AlarmHistoryItems: this.alarmHistory
            .filter((h) => input.AlarmName === SETTINGS.rollbackAlarmName && h.at >= input.StartDate && h.at <= input.EndDate)
            .map((h) => ({
              AlarmName: SETTINGS.rollbackAlarmName,
              HistoryItemType: 'StateUpdate',
              Timestamp: h.at,
              HistoryData: JSON.stringify({ newState: { stateValue: h.to } }),
            })),
        })),
      );
    mockClient(target(cloudformation, CloudFormationClient))
      .on(DescribeStacksCommand)
      .callsFake((input) =>
        this.call('DescribeStacks', () => {
          if (input.StackName !== SETTINGS.stackId)
            throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
          return {
            Stacks: [
              {
                StackId: SETTINGS.stackId,
                StackName: 'BoopIntegration-prod',
                CreationTime: new Date(0),
                StackStatus: this.stack.status,
                Parameters: [
                  { ParameterKey: GREEN_PERCENT_PARAMETER, ParameterValue: this.stack.greenPercent },
                  ...(this.stack.images
                    ? (['blue', 'green'] as const).map((slot) => ({ ParameterKey: IMAGE_PARAMETERS[slot], ParameterValue: this.stack.images![slot] }))
                    : []),
                ],
              },
            ],
          };
        }),
      )
      .on(GetTemplateCommand)
      .callsFake((input) =>
        this.call('GetTemplate', () => {
          if (input.StackName !== SETTINGS.stackId) throw Object.assign(new Error('no such stack'), { name: 'ValidationError' });
          return {
            TemplateBody: JSON.stringify({
              Resources: {
                TrafficControlWeights: { Type: 'Custom::BoopTrafficWeights', Properties: { RolloutOverride: this.stack.rolloutOverride } },
                TrafficControlRelease: { Type: 'Custom::BoopRelease', Properties: { RolloutOverride: this.stack.rolloutOverride } },
              },
            }),
          };
        }),
      );
    mockClient(target(sns, SNSClient))
      .on(PublishCommand)
      .callsFake((input) =>
        this.call('Publish', () => {
          // SNS refuses a Subject of 100 characters or more, or with a line break or control character (SNS API Reference, Publish).
          const control = (c: string) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;
          if (input.Subject !== undefined && (input.Subject.length >= 100 || [...input.Subject].some(control)))
            throw Object.assign(new Error('Invalid parameter: Subject'), { name: 'InvalidParameterException' });
          this.published.push({ topic: input.TopicArn, subject: input.Subject, message: input.Message });
          return { MessageId: String(this.published.length) };
        }),
      );
  }

  /**
   * A scalable target's new range, as Application Auto Scaling applies it: the service's desired count is moved into
   * the range (its service-linked role calls ecs:UpdateService with a desired count and nothing else).
   */
  registerCapacity(resourceId: string, min: number, max: number, tags?: Record<string, string>): void {
    const existing = this.scalableTargets.get(resourceId);
    this.scalableTargets.set(resourceId, { min, max, tags: tags ?? existing?.tags ?? {} });
    const slot = resourceId === scalableTargetId(GREEN_SERVICE) ? 'green' : resourceId === scalableTargetId(BLUE_SERVICE) ? 'blue' : undefined;
    if (!slot) return;
    const count = this.services[slot].desiredCount;
    this.setDesiredCount(slot, Math.min(max, Math.max(min, count)));
  }

  /** ECS's desired count of a slot changes (CloudFormation creating a service, Application Auto Scaling). */
  setDesiredCount(slot: Slot, count: number): void {
    this.services[slot].desiredCount = count;
    this.desiredCounts[slot].push(count);
  }

  /** The rollback alarm changes state at `at`. */
  setAlarm(to: 'OK' | 'ALARM', at: Date): void {
    this.alarmState = to;
    this.alarmHistory.push({ at, to });
  }

  readonly metric = (name: TrafficMetricName, value: number): void => {
    this.metrics.push({ name, value });
  };

  readonly log: Log = {
    info: (message, extra) => this.logs.push({ level: 'info', message, extra }),
    warn: (message, extra) => this.logs.push({ level: 'warn', message, extra }),
    error: (message, extra) => this.logs.push({ level: 'error', message, extra }),
  };

  /** A traffic controller over this AWS, on the given clock. */
  controller(now: () => Date = () => new Date(), settings: ControllerSettings = SETTINGS): TrafficController {
    const { noticeTopicArn, policy } = HANDS_FREE_SETTINGS;
    const effective = this.handsFree ? { ...settings, noticeTopicArn, policy: { ...settings.policy, autoAdvance: policy.autoAdvance } } : settings;
    return new TrafficController(effective, this.clients, { now, metric: this.metric, log: this.log });
  }

  /** What route needs, wired to this AWS, answering CloudFormation through respond. */
  routeDeps(controller: TrafficController, respond: NonNullable<RouteDeps['respond']>): RouteDeps {
    return { controller, rollbackAlarmName: SETTINGS.rollbackAlarmName, region: SETTINGS.region, metric: this.metric, log: this.log, respond };
  }

  /** What SNS accepted for `topicArn`, oldest first. */
  publishedTo(topicArn: string | undefined): { subject?: string; message?: string }[] {
    return this.published.filter((p) => p.topic === topicArn).map(({ subject, message }) => ({ subject, message }));
  }

  /** The stored traffic state, parsed. */
  state(): Record<string, unknown> | undefined {
    const text = this.parameters.get(SETTINGS.stateParameterName);
    return text === undefined ? undefined : JSON.parse(text);
  }

  /** The stored traffic state as the controller's record, for tests that read its fields; undefined before the first save. */
  record(): TrafficState | undefined {
    return this.state() as TrafficState | undefined;
  }

  /** Green's live share and stickiness, read from the listener as the ALB would apply it. */
  live(): { green: number; blueAlone: boolean; sticky: boolean } {
    const forward = this.defaultActions[0].ForwardConfig!;
    const weight = (arn: string) => (forward.TargetGroups ?? []).filter((g) => g.TargetGroupArn === arn).reduce((n, g) => n + (g.Weight ?? 1), 0);
    const blue = weight(SETTINGS.targetGroups.blue);
    const green = weight(SETTINGS.targetGroups.green);
    return {
      green: Math.round((100 * green) / (blue + green)),
      blueAlone: (forward.TargetGroups ?? []).every((g) => g.TargetGroupArn === SETTINGS.targetGroups.blue),
      sticky: forward.TargetGroupStickinessConfig?.Enabled === true,
    };
  }

  private call<T>(name: CommandName, answer: () => T): T {
    this.calls.push(name);
    this.onCall?.(name);
    const failure = this.failures.get(name);
    if (failure) throw failure;
    return answer();
  }
}
