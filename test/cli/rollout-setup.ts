/**
 * What the rollout CLI's tests share: its AWS clients mocked with aws-sdk-client-mock, a terminal
 * that records each line and a clock that moves only when the command sleeps, a deployed stack
 * whose outputs, parameters, listener, record, services and alarms a test sets in one place, and a
 * hands-free rollout driven through the controller's own decisions with time a test moves.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { CliClients } from '../../cli/rollout';
import { imageRules, imageRulesOutput } from '../../common/images';
import { environmentNames, GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../../common/names';
import { BOOP_HOSTS } from '../../lib/guides';
import { AWS_MANAGED_SSM_KEY } from '../../common/keys/api-keys';
import { AUTO_ADVANCE_OUTPUT, STACK_OUTPUTS, StackOutputs } from '../../common/payloads';
import { Slot, SLOTS } from '../../common/slots';
import { decideTick, pause, resume, TICK_INTERVAL_MINUTES, tickEvidenceNeeded, TickFacts } from '../../common/traffic/hands-free';
import { decideDeploy, RiseEvidence, RolloutPolicy } from '../../common/traffic/policy';
import { decideRelease } from '../../common/traffic/release';
import { recordRollback, SlotImages, TrafficState } from '../../common/traffic/state';
import { forwardAction } from '../../common/traffic/weights';
import { SETTINGS } from '../traffic/fake-aws';
import { releasedAt, serving } from '../traffic/positions';

export const NOW = new Date('2026-11-21T12:00:00.000Z');
export const prod = environmentNames('prod');
export const dev = environmentNames('dev');
export const CALLER = 'arn:aws:sts::111122223333:assumed-role/ops/alice';

/** An image of the stack's one production repository, whose rules the ImageRules output carries. */
export const PROD_IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/boop-integration:3.0.0';

export const outputs = {
  listenerArn: SETTINGS.listenerArn,
  blueTargetGroupArn: SETTINGS.targetGroups.blue,
  greenTargetGroupArn: SETTINGS.targetGroups.green,
  controllerFunctionName: prod.trafficController,
  stateParameterName: SETTINGS.stateParameterName,
  rollbackAlarmName: SETTINGS.rollbackAlarmName,
  rolloutSteps: SETTINGS.policy.steps.join(','),
  bakeTimeHours: String(SETTINGS.policy.bakeTimeHours),
  clusterName: 'boop-prod-cluster',
  blueServiceName: 'boop-prod-blue',
  greenServiceName: 'boop-prod-green',
  apiKeyEncryptionKey: AWS_MANAGED_SSM_KEY,
  imageRules: imageRulesOutput(imageRules({ blue: PROD_IMAGE, green: PROD_IMAGE }, true)),
  boopHosts: BOOP_HOSTS.production,
} satisfies Omit<StackOutputs, 'releaseGuard'>;

export const listenerAt = (greenPercent: number) => ({
  Listeners: [{ ListenerArn: SETTINGS.listenerArn, DefaultActions: [forwardAction(SETTINGS.targetGroups, greenPercent, SETTINGS.stickinessSeconds)] }],
});

/** The stack as DescribeStacks answers: every output the CLI reads, and the parameters given. */
export function describedStack(parameters: Readonly<Record<string, string>>, extraOutputs: Readonly<Record<string, string>> = {}) {
  return {
    Stacks: [
      {
        StackName: prod.stack,
        CreationTime: NOW,
        StackStatus: 'UPDATE_COMPLETE' as const,
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        Outputs: [
          ...Object.entries(outputs).map(([key, value]) => ({ OutputKey: STACK_OUTPUTS[key as keyof typeof outputs], OutputValue: value })),
          ...Object.entries(extraOutputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        ],
      },
    ],
  };
}

/** The mocked clients and a terminal whose clock starts at `now`. */
export function setup(now: Date = NOW) {
  const clients = {
    cloudformation: new CloudFormationClient({ region: 'eu-west-1' }),
    elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    ssm: new SSMClient({ region: 'eu-west-1' }),
    cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
    ecs: new ECSClient({ region: 'eu-west-1' }),
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    sts: new STSClient({ region: 'eu-west-1' }),
  } satisfies CliClients;
  const mocks = {
    cloudformation: mockClient(clients.cloudformation),
    elb: mockClient(clients.elb),
    ssm: mockClient(clients.ssm),
    cloudwatch: mockClient(clients.cloudwatch),
    ecs: mockClient(clients.ecs),
    lambda: mockClient(clients.lambda),
    sts: mockClient(clients.sts),
  };
  mocks.cloudformation.on(DescribeStacksCommand).resolves(describedStack({ [GREEN_PERCENT_PARAMETER]: '25' }));
  mocks.sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER });
  mocks.ecs.on(DescribeServicesCommand).resolves({ services: [service('blue', 2, 2), service('green', 2, 2)] });
  mocks.elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
  let clock = now.getTime();
  const lines: string[] = [];
  const io = {
    out: (line: string) => lines.push(line),
    now: () => new Date(clock),
    sleep: async (ms: number) => {
      clock += ms;
    },
  };
  return { clients, mocks, io, lines };
}

export type Setup = ReturnType<typeof setup>;

/** A slot's service as ECS describes it. */
export function service(slot: Slot, running: number, desired: number) {
  const name = outputs[`${slot}ServiceName`];
  return {
    serviceName: name,
    serviceArn: `arn:aws:ecs:eu-west-1:111122223333:service/${outputs.clusterName}/${name}`,
    runningCount: running,
    desiredCount: desired,
  };
}

/** Targets as DescribeTargetHealth lists them: `healthy` healthy ones of `total`. */
export function targets(healthy: number, total: number) {
  return {
    TargetHealthDescriptions: Array.from({ length: total }, (_, i) => ({
      Target: { Id: `10.0.${i}.10`, Port: 8080 },
      TargetHealth: { State: i < healthy ? ('healthy' as const) : ('unhealthy' as const) },
    })),
  };
}

/** Where an environment stands, as the mocked AWS answers it. */
export interface Stand {
  /** The listener's green share. */
  readonly share: number;
  /** The record the controller left. */
  readonly state: TrafficState;
  /** The stack parameters BlueImage and GreenImage. @default the record's images */
  readonly images?: SlotImages;
  /** The GreenPercent stack parameter. @default the record's intent */
  readonly intent?: number;
  /** The ReleaseGuard output. @default absent, as on a stack of an earlier version */
  readonly releaseGuard?: 'true' | 'false';
  /** The AutoAdvance output ("true"), as a stack with rollout.autoAdvance has it. @default absent: off */
  readonly autoAdvance?: boolean;
  /** Green's healthy targets, of 2. @default 2 */
  readonly greenHealthy?: number;
  /** The rollback alarm's state now. @default OK */
  readonly rollbackAlarm?: 'OK' | 'ALARM';
  /** The rollback alarm entered ALARM at this time (within its history). @default never */
  readonly rollbackAlarmFiredAt?: string;
}

/** Sets the mocked AWS to `stand`. */
export function standAt({ mocks }: Setup, stand: Stand): void {
  const images = stand.images ?? stand.state.images!;
  const parameters = {
    [GREEN_PERCENT_PARAMETER]: String(stand.intent ?? stand.state.intent),
    ...Object.fromEntries(SLOTS.map((slot) => [IMAGE_PARAMETERS[slot], images[slot]])),
  };
  const extraOutputs = {
    ...(stand.releaseGuard ? { [STACK_OUTPUTS.releaseGuard]: stand.releaseGuard } : {}),
    ...(stand.autoAdvance ? { [AUTO_ADVANCE_OUTPUT]: 'true' } : {}),
  };
  mocks.cloudformation.on(DescribeStacksCommand).resolves(describedStack(parameters, extraOutputs));
  mocks.elb.on(DescribeListenersCommand).resolves(listenerAt(stand.share));
  mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stand.state) } });
  mocks.elb.on(DescribeTargetHealthCommand, { TargetGroupArn: outputs.blueTargetGroupArn }).resolves(targets(2, 2));
  mocks.elb.on(DescribeTargetHealthCommand, { TargetGroupArn: outputs.greenTargetGroupArn }).resolves(targets(stand.greenHealthy ?? 2, 2));
  const rollbackAlarm = { AlarmName: outputs.rollbackAlarmName, StateValue: stand.rollbackAlarm ?? 'OK' };
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ CompositeAlarms: rollbackAlarm.StateValue === 'ALARM' ? [rollbackAlarm] : [] });
  mocks.cloudwatch.on(DescribeAlarmsCommand, { AlarmNames: [outputs.rollbackAlarmName] }).resolves({ CompositeAlarms: [rollbackAlarm] });
  const fired = stand.rollbackAlarmFiredAt;
  mocks.cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
    AlarmHistoryItems: fired
      ? [
          {
            AlarmName: outputs.rollbackAlarmName,
            Timestamp: new Date(fired),
            HistoryItemType: 'StateUpdate',
            HistoryData: JSON.stringify({ newState: { stateValue: 'ALARM' } }),
          },
        ]
      : [],
  });
}

/** Every AWS call the command made, by command name; `only reads` means each is a Describe, Get or List. */
export function callNames({ mocks }: Setup): string[] {
  return Object.values(mocks).flatMap((mock) => mock.calls().map((call) => call.args[0].constructor.name));
}

// ---------------------------------------------------------------------------------------------
// A hands-free rollout, decided by the controller's own functions.

/** What a deploy or tick finds when every check passes: green healthy, the rollback alarm readable, OK and quiet since the step began. */
export const CLEAN: RiseEvidence = { greenHealthyTargets: 2, rollbackAlarmFound: true, rollbackAlarmInAlarm: false, rollbackAlarmFiredSinceStepStart: false };

const TICK_MS = TICK_INTERVAL_MINUTES * 60_000;

/**
 * prod with rollout.autoAdvance, moved only by what the controller decides: a deploy (the release
 * guard, then the weights: decideRelease, decideDeploy), a tick of the schedule (decideTick, on a
 * grid of TICK_INTERVAL_MINUTES), a pause or resume, a rollback (recordRollback). Time moves only
 * when a test says so; `evidence` is what every deploy and tick finds.
 */
export class HandsFreeLadder {
  readonly policy: RolloutPolicy = { ...SETTINGS.policy, autoAdvance: true };
  state: TrafficState;
  /** Green's live share, as the listener has it. */
  share = 0;
  now: Date;
  evidence: RiseEvidence = CLEAN;

  /** Blue runs `images.blue`; green runs `images.green` at 0 %, released a day before `start`. */
  constructor(start: Date, images: SlotImages) {
    this.now = start;
    this.state = releasedAt(0, images, new Date(start.getTime() - 24 * 3_600_000), start, SETTINGS.listenerArn);
  }

  /** A user's deploy of GreenPercent `intent` (and images), as the controller decides it; a refusal throws its message and changes nothing. */
  deploy(intent: number, images: SlotImages = this.state.images!): void {
    const by = `CloudFormation stack ${prod.stack}`;
    const common = { listenerArn: SETTINGS.listenerArn, origin: 'user-deploy', requestedBy: by, now: this.now } as const;
    const release = decideRelease(
      { ...common, stored: this.state, live: serving(this.share), request: { images, intent }, guarded: true },
      this.policy,
      this.evidence,
    );
    if (release.outcome === 'refuse') throw new Error(release.message);
    const stored = release.record ?? this.state;
    const live = serving(release.lowerGreenFirst ? 0 : this.share);
    const decision = decideDeploy({ ...common, stored, live, request: { intent } }, this.policy, this.evidence);
    if (decision.outcome === 'refuse') throw new Error(decision.message);
    this.state = decision.record ?? stored;
    this.share = decision.outcome === 'change' ? decision.change.to : live.greenPercent;
  }

  /** Every tick of the schedule after now up to `until`, each decided as the controller decides it; then the clock at `until`. */
  tickUntil(until: Date): void {
    for (let at = (Math.floor(this.now.getTime() / TICK_MS) + 1) * TICK_MS; at <= until.getTime(); at += TICK_MS) {
      this.now = new Date(at);
      const facts: TickFacts = {
        stored: this.state,
        live: serving(this.share),
        listenerArn: SETTINGS.listenerArn,
        stackStatus: 'UPDATE_COMPLETE',
        now: this.now,
      };
      const decision = decideTick(facts, this.policy, tickEvidenceNeeded(facts, this.policy) ? this.evidence : undefined);
      if (decision.outcome === 'advance') this.share = decision.change.to;
      if (decision.outcome !== 'nothing' && decision.record) this.state = decision.record;
    }
    this.now = until;
  }

  /** `rollout pause` by the operator, as the controller records it. */
  pause(reason: string): void {
    this.state = pause(this.state, CALLER, reason, this.now) ?? this.state;
  }

  /** `rollout resume`, as the controller records it. */
  resume(): void {
    this.state = resume(this.state) ?? this.state;
  }

  /** The rollback alarm fired: blue alone, recorded as the controller records it. */
  rollBack(why: string): void {
    const at = this.now.toISOString();
    // Green's service is scaled to zero once blue alone is verified (rollout.scaleGreenToZeroOnRollback, on in prod).
    const rollback = {
      trigger: prod.rollbackAlarm,
      why,
      by: 'automatic rollback (EventBridge)',
      fromGreenPercent: this.share,
      at,
      triggeredAt: at,
      greenScaledToZeroAt: at,
    };
    this.state = recordRollback(this.state, rollback);
    this.share = 0;
  }

  /** Where it stands, for `standAt`, on a stack with the AutoAdvance output. */
  stand(): Stand {
    return { share: this.share, state: this.state, autoAdvance: true };
  }
}
