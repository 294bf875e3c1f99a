/**
 * A non-production environment for `rollout rehearse`, offline: the deploy simulator (SimulatedStack over
 * FakeAws, the real traffic controller) behind the CLI's own clients, a `cdk deploy` runner that reads the
 * command line the real one would run and deploys it on the simulator, a clock that moves only when the
 * rehearsal waits, and files in memory. Each assumption can be broken on request, as AWS would break it.
 */
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { AssumptionId } from '../../common/assumptions';
import { environmentNames, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS, RELEASE_RESOURCE_TYPE, TRAFFIC_RESOURCE_TYPE } from '../../common/names';
import { STACK_OUTPUTS } from '../../common/payloads';
import { SLOTS } from '../../common/slots';
import { scalableTargetId } from '../../common/traffic/green-capacity';
import { route } from '../../lambda/traffic/route';
import type { CliClients } from '../../cli/rollout';
import { ROLLOUT_OVERRIDE_CONTEXT, drillAlarmName } from '../../cli/rollout-args';
import { RehearsalFiles, rehearse } from '../../cli/rehearse/rehearse';
import type { RehearsalReport } from '../../cli/rehearse/report';
import { FakeAws, GREEN_SERVICE, rollbackAlarmEvent, SETTINGS } from '../traffic/fake-aws';
import { SimulatedStack, StackBreak } from '../traffic/stack-deploy';
import { NOW, outputs } from './rollout-setup';

/** The environment rehearsed: any but prod. */
export const ENV = 'dev';
const STACK_NAME = environmentNames(ENV).stack;
const IMAGE = 'registry.example/boop-integration:1.0.0';
const STACK_BREAKS: readonly StackBreak[] = ['describe-stacks-mid-update', 'get-template-mid-update', 'rollback-update-events', 'response-url-host'];

/** From the member alarm's ALARM to the composite's, and from the composite's to the controller's invocation, as CloudWatch and EventBridge take them here. */
const COMPOSITE_MS = 2000;
const DELIVERY_MS = 3000;
/** When time-to-blue-alone is broken: EventBridge far slower than the benchmark assumes. */
const SLOW_DELIVERY_MS = 90_000;
/** The member alarm's next evaluation, after which it and the composite are OK again (after even the slow delivery). */
const MEMBER_OK_MS = 120_000;

/** The critical topic's subscriptions. */
const SUBSCRIPTIONS = 2;

export interface WorldOptions {
  /** The assumptions this AWS breaks. @default none */
  readonly breaks?: ReadonlySet<AssumptionId>;
  /** How far the operator's clock is from AWS's (positive: the laptop is fast). @default 0 */
  readonly skewMs?: number;
  /** The process is killed during deploy number `killAtDeploy` (0 for the first) of this world's life. */
  readonly killAtDeploy?: number;
}

export class RehearsalWorld {
  clock = NOW.getTime();
  readonly aws = new FakeAws();
  readonly stack: SimulatedStack;
  /** Every command line the rehearsal ran, in order. */
  readonly argvs: string[][] = [];
  /** The `cdk diff` runs before the first deploy. */
  readonly diffs: string[][] = [];
  /** This checkout's template differs from the deployed one: `cdk diff --fail` exits 1. */
  checkoutDiffers = false;
  /** The stack's rollout steps as its output lists them. @default the production steps of rollout-setup */
  rolloutSteps?: string;
  readonly fileSystem = new Map<string, string>();
  /** Paths this world's files may not be written to, with the error a write gives. */
  readonly unwritablePaths = new Map<string, string>();
  /** Green's tasks start once desired: false when ECS cannot place them (no capacity, an image that will not pull). */
  greenTasksStart = true;
  /** Writes fail from now on (a full disk, a revoked permission) though the paths looked writable. */
  writesFail = false;
  readonly lines: string[] = [];
  readonly clients: CliClients;
  /** Deploys started over this world's life. */
  private deploys = 0;
  killAtDeploy?: number;
  /** Settles when the process is killed: the deploy ran (CloudFormation goes on), but the rehearsal never learns how it ended, nor runs anything after. */
  readonly killed: Promise<void>;
  private kill!: () => void;
  /** The member alarm's action history: what CloudWatch did when it entered ALARM. */
  readonly memberActions: { at: Date; summary: string }[] = [];
  /** When the member alarm last changed state, on AWS's clock. */
  private memberUpdatedAt?: Date;
  /** The operator's clock minus AWS's. */
  skewMs = 0;
  private compositeOkAt?: number;

  readonly io = {
    out: (line: string) => {
      this.lines.push(line);
    },
    // The operator's clock: AWS's (this.clock) and the laptop's skew.
    now: () => new Date(this.clock + this.skewMs),
    sleep: async (ms: number) => {
      this.clock += ms;
    },
  };

  readonly files: RehearsalFiles = {
    read: (path) => this.fileSystem.get(path),
    unwritable: (path) => this.unwritablePaths.get(path),
    write: (path, text) => {
      const refused = this.unwritablePaths.get(path) ?? (this.writesFail ? `EACCES: permission denied, open '${path}'` : undefined);
      if (refused) throw Object.assign(new Error(refused), { code: 'EACCES' });
      this.fileSystem.set(path, text);
    },
    remove: (path) => {
      this.fileSystem.delete(path);
    },
  };

  private constructor(readonly breaks: ReadonlySet<AssumptionId>) {
    this.stack = new SimulatedStack(this.aws, () => new Date(this.clock), { greenPercent: 0, images: { blue: IMAGE, green: IMAGE }, override: '' });
    this.stack.stackName = STACK_NAME;
    this.clients = this.cliClients();
    this.killed = new Promise((resolve) => (this.kill = resolve));
  }

  static async create(options: WorldOptions = {}): Promise<RehearsalWorld> {
    const world = new RehearsalWorld(options.breaks ?? new Set());
    world.killAtDeploy = options.killAtDeploy;
    world.skewMs = options.skewMs ?? 0;
    await world.stack.create();
    world.stack.breaks = new Set(STACK_BREAKS.filter((id) => world.breaks.has(id)));
    const capacity = scalableTargetId(GREEN_SERVICE);
    // IAM does not match the tag: the grant on green's capacity refuses the controller.
    if (world.breaks.has('green-capacity-tag-condition')) world.aws.scalableTargets.set(capacity, { ...world.aws.scalableTargets.get(capacity)!, tags: {} });
    if (world.breaks.has('green-capacity-moves-count')) {
      // Application Auto Scaling keeps the new range but leaves the service's count where it was.
      world.aws.registerCapacity = (resourceId, min, max, tags) => {
        const existing = world.aws.scalableTargets.get(resourceId);
        world.aws.scalableTargets.set(resourceId, { min, max, tags: tags ?? existing?.tags ?? {} });
      };
    }
    return world;
  }

  /** The `cdk deploy` runner: reads the words the real one would run, and deploys them on the simulator. */
  readonly deploy = async (argv: readonly string[]): Promise<number> => {
    if (argv[2] === 'diff') {
      this.diffs.push([...argv]);
      return this.checkoutDiffers ? 1 : 0;
    }
    this.argvs.push([...argv]);
    const killHere = this.deploys++ === this.killAtDeploy;
    const [npx, cdk, verb, c, env, ...rest] = argv;
    expect([npx, cdk, verb, c, env]).toEqual(['npx', 'cdk', 'deploy', '-c', `env=${ENV}`]);
    let override = '';
    let greenPercent: number | undefined;
    for (let i = 0; i < rest.length; i += 2) {
      const [flag, value] = [rest[i], rest[i + 1]];
      if (flag === '-c' && value.startsWith(`${ROLLOUT_OVERRIDE_CONTEXT}=`)) override = value.slice(ROLLOUT_OVERRIDE_CONTEXT.length + 1);
      else if (flag === '--parameters' && value.startsWith(`${GREEN_PERCENT_PARAMETER}=`))
        greenPercent = Number(value.slice(GREEN_PERCENT_PARAMETER.length + 1));
      else throw new Error(`the simulated cdk does not know ${flag} ${value}`);
    }
    // CloudFormation refuses any update of a stack stuck in UPDATE_ROLLBACK_FAILED.
    if (this.aws.stack.status === 'UPDATE_ROLLBACK_FAILED') return 1;
    this.clock += 30_000;
    const result = await this.stack.deploy({ ...(greenPercent !== undefined ? { greenPercent } : {}), override });
    this.clock += 30_000;
    if (killHere) {
      this.kill();
      return new Promise<number>(() => undefined);
    }
    return result.status === 'SUCCESS' ? 0 : 1;
  };

  /** Where the environment stands, for "it ends where it began". */
  standing() {
    const state = this.aws.state() as { lastRollback?: { acknowledgedAt?: string } } | undefined;
    return {
      greenPercentParameter: this.stack.parameters.greenPercent,
      // Green's share and stickiness: blue alone written by the controller or the template's blue 100 / green 0 are the same.
      listener: { green: this.aws.live().green, sticky: this.aws.live().sticky },
      greenTasks: this.aws.services.green.desiredCount,
      images: Object.fromEntries(SLOTS.map((slot) => [slot, this.aws.services[slot].image])),
      rollbackUnacknowledged: state?.lastRollback !== undefined && state.lastRollback.acknowledgedAt === undefined,
    };
  }

  private cliClients(): CliClients {
    const clients = {
      cloudformation: new CloudFormationClient({ region: SETTINGS.region }),
      elb: new ElasticLoadBalancingV2Client({ region: SETTINGS.region }),
      ssm: new SSMClient({ region: SETTINGS.region }),
      cloudwatch: new CloudWatchClient({ region: SETTINGS.region }),
      ecs: new ECSClient({ region: SETTINGS.region }),
      lambda: new LambdaClient({ region: SETTINGS.region }),
      sts: new STSClient({ region: SETTINGS.region }),
    };
    const aws = this.aws;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the fakes read what a test sets on the world
    const world = this;
    mockClient(clients.cloudformation)
      .on(DescribeStacksCommand)
      .callsFake(async () => ({
        Stacks: [
          {
            StackName: STACK_NAME,
            CreationTime: NOW,
            StackStatus: aws.stack.status,
            Parameters: [
              { ParameterKey: GREEN_PERCENT_PARAMETER, ParameterValue: aws.stack.greenPercent },
              ...SLOTS.map((slot) => ({ ParameterKey: IMAGE_PARAMETERS[slot], ParameterValue: aws.stack.images?.[slot] })),
            ],
            Outputs: Object.entries({ ...outputs, releaseGuard: 'true', ...(world.rolloutSteps ? { rolloutSteps: world.rolloutSteps } : {}) }).map(
              ([key, value]) => ({
                OutputKey: STACK_OUTPUTS[key as keyof typeof STACK_OUTPUTS],
                OutputValue: value,
              }),
            ),
          },
        ],
      }))
      .on(DescribeStackEventsCommand)
      .callsFake(async () => ({
        StackEvents: [...this.stack.events]
          .map((e, index) => ({ ...e, index }))
          .reverse()
          .map((e) => ({
            StackName: STACK_NAME,
            LogicalResourceId: e.logicalId,
            ResourceType:
              e.logicalId === STACK_NAME
                ? 'AWS::CloudFormation::Stack'
                : e.logicalId === 'TrafficControlRelease'
                  ? RELEASE_RESOURCE_TYPE
                  : TRAFFIC_RESOURCE_TYPE,
            ResourceStatus: e.status,
            ResourceStatusReason: e.reason,
            Timestamp: e.at,
            // Unique, as CloudFormation's are.
            EventId: `${e.logicalId}-${e.status}-${e.index}`,
          })),
      }));
    mockClient(clients.elb)
      .on(DescribeListenersCommand)
      .callsFake(async () => ({ Listeners: [{ ListenerArn: SETTINGS.listenerArn, DefaultActions: structuredClone(aws.defaultActions) }] }))
      .on(DescribeTargetHealthCommand)
      .callsFake(async () => ({
        TargetHealthDescriptions: aws.greenTargets
          .slice(0, aws.services.green.desiredCount)
          .map((State, i) => ({ Target: { Id: `10.0.0.${i}` }, TargetHealth: { State } })),
      }));
    mockClient(clients.ssm)
      .on(GetParameterCommand)
      .callsFake(async (input) => {
        const value = aws.parameters.get(input.Name);
        if (value === undefined) throw Object.assign(new Error('not found'), { name: 'ParameterNotFound' });
        return { Parameter: { Name: input.Name, Value: value } };
      });
    mockClient(clients.ecs)
      .on(DescribeServicesCommand)
      .callsFake(async () => ({
        services: [
          {
            serviceName: outputs.greenServiceName,
            desiredCount: aws.services.green.desiredCount,
            runningCount: world.greenTasksStart ? aws.services.green.desiredCount : 0,
          },
        ],
      }));
    mockClient(clients.cloudwatch)
      .on(DescribeAlarmsCommand)
      .callsFake(async (input) => {
        this.memberEvaluated();
        const member = drillAlarmName(ENV);
        return {
          CompositeAlarms: (input.AlarmNames ?? []).includes(SETTINGS.rollbackAlarmName)
            ? [{ AlarmName: SETTINGS.rollbackAlarmName, StateValue: aws.alarmState }]
            : [],
          MetricAlarms:
            (input.AlarmNames ?? []).includes(member) && this.memberUpdatedAt
              ? [{ AlarmName: member, StateValue: this.compositeOkAt === undefined ? 'OK' : 'ALARM', StateUpdatedTimestamp: this.memberUpdatedAt }]
              : [],
        };
      })
      .on(DescribeAlarmHistoryCommand)
      .callsFake(async (input) => ({
        AlarmHistoryItems:
          input.AlarmName === drillAlarmName(ENV)
            ? this.memberActions
                .filter((a) => a.at >= input.StartDate! && (input.EndDate === undefined || a.at <= input.EndDate))
                .map((a) => ({ AlarmName: input.AlarmName, HistoryItemType: 'Action' as const, Timestamp: a.at, HistorySummary: a.summary }))
            : [],
      }))
      .on(GetMetricStatisticsCommand)
      .callsFake(async (input) => ({ Datapoints: this.snsMetric(input.MetricName!, input.Dimensions?.[0]?.Value, input.StartTime!, input.EndTime!) }))
      .on(SetAlarmStateCommand)
      .callsFake(async (input) => {
        if (input.AlarmName !== drillAlarmName(ENV)) throw Object.assign(new Error(`alarm ${input.AlarmName} does not exist`), { name: 'ResourceNotFound' });
        await this.memberAlarm();
        return {};
      });
    return clients;
  }

  /** The member alarm enters ALARM: its action runs, the composite follows, and EventBridge invokes the controller. */
  private async memberAlarm(): Promise<void> {
    const setAt = this.clock;
    this.memberUpdatedAt = new Date(setAt);
    const topic = SETTINGS.criticalTopicArn;
    this.memberActions.push({
      at: new Date(setAt + 1000),
      summary: this.breaks.has('cloudwatch-publishes-to-kms-topic')
        ? `Failed to execute action ${topic}. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."`
        : `Successfully executed action ${topic}`,
    });
    this.clock += COMPOSITE_MS;
    this.aws.setAlarm('ALARM', new Date(this.clock));
    const compositeAt = new Date(this.clock);
    this.clock += this.breaks.has('time-to-blue-alone') ? SLOW_DELIVERY_MS : DELIVERY_MS;
    await route(rollbackAlarmEvent(compositeAt, 'rehearsal'), this.stack.deps).catch(() => undefined);
    this.compositeOkAt = setAt + MEMBER_OK_MS;
  }

  /**
   * The critical topic's SNS metrics as SNS would count them: one message per successful alarm action and
   * per page the controller sent, each delivered to every subscription (PagerDuty and e-mail here).
   */
  private snsMetric(metric: string, topicName: string | undefined, from: Date, to: Date): { Sum: number }[] {
    if (topicName !== SETTINGS.criticalTopicArn.split(':').pop()) return [];
    const actions = this.memberActions.filter((a) => a.at >= from && a.at <= to && a.summary.startsWith('Successfully')).length;
    const published = actions + this.aws.published.length;
    const sums: Record<string, number> = {
      NumberOfMessagesPublished: published,
      NumberOfNotificationsDelivered: published * SUBSCRIPTIONS,
      NumberOfNotificationsFailed: 0,
    };
    return [{ Sum: sums[metric] ?? 0 }];
  }

  /** The member's next evaluation puts it, and so the composite, back to OK. */
  private memberEvaluated(): void {
    if (this.compositeOkAt !== undefined && this.clock >= this.compositeOkAt) {
      this.aws.setAlarm('OK', new Date(this.compositeOkAt));
      this.memberUpdatedAt = new Date(this.compositeOkAt);
      this.compositeOkAt = undefined;
    }
  }
}

/** Every assumption this world can break, for the tests that break each alone. */
export const BREAKABLE: readonly AssumptionId[] = [
  ...STACK_BREAKS,
  'green-capacity-tag-condition',
  'green-capacity-moves-count',
  'cloudwatch-publishes-to-kms-topic',
  'time-to-blue-alone',
];

/** The report file of the sample rehearsal. */
export const SAMPLE_REPORT_PATH = 'rehearsal-dev.json';

/** A whole rehearsal of an environment where every assumption holds, and what the terminal showed: the sample the README and runbook may quote. */
export async function sampleRehearsal(): Promise<{ world: RehearsalWorld; before: ReturnType<RehearsalWorld['standing']>; report: RehearsalReport }> {
  const world = await RehearsalWorld.create();
  const before = world.standing();
  const deps = { clients: world.clients, io: world.io, deploy: world.deploy, files: world.files, interrupted: () => false };
  const report = await rehearse(deps, ENV, { reportPath: SAMPLE_REPORT_PATH });
  return { world, before, report };
}
