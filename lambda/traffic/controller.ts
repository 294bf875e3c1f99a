import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeListenersCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { TrafficMetricName } from '../../common/contract';
import { GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../../common/names';
import { overrideOf, resourceProperties } from './custom-resource';
import { snsSubject } from '../support/sns-subject';
import { assumptionPointer } from '../../common/assumptions';
import { readRiseEvidence } from '../../common/traffic/evidence';
import { ECS_TASK_COUNT, scalableTargetId } from '../../common/traffic/green-capacity';
import { decideRelease, ReleaseFacts, releaseEvidenceNeeded, ReleaseRequest } from '../../common/traffic/release';
import { checkEventSource, DeployVerdict, judgeAgainstStack, OwnStack, overrideInTemplate } from './deploy-event';
import { decideTick, pause, resume, TickFacts, tickEvidenceNeeded } from '../../common/traffic/hands-free';
import {
  alreadyRolledBack,
  decideDeploy,
  DeployFacts,
  DeployOrigin,
  DeployRequest,
  evidenceNeeded,
  EvidenceQuery,
  RefusedError,
  RiseEvidence,
  RolloutPolicy,
} from '../../common/traffic/policy';
import { initialState, parseState, recordRollback, rollbackUnacknowledged, TrafficState, WeightChange } from '../../common/traffic/state';
import { forwardAction, LiveWeights, matchesShare, readLiveWeights, SlotTargetGroups } from '../../common/traffic/weights';

/**
 * The state is saved as an Intelligent-Tiering parameter: standard while it fits in 4 KB, advanced
 * (8 KB) when the release history needs it; past that it keeps fewer changes rather than fail to save.
 */
const STATE_MAX_BYTES = 8192;
/** Application Auto Scaling's answers when the green-capacity-tag-condition assumption does not hold. */
const CAPACITY_ACCESS_ERRORS = new Set(['AccessDeniedException', 'FailedResourceAccessException']);
/** Writes of the weights before the controller gives up on another writer undoing them. */
const WRITE_ATTEMPTS = 3;

/** The subject of each page the controller sends, bounded as SNS requires (an environment's name may be 40 characters). */
export const PAGE_SUBJECTS = {
  refusedEvent: (envName: string) => snsSubject(`BOOP ${envName}: a traffic change was refused as not CloudFormation's`),
  rollback: (envName: string) => snsSubject(`BOOP ${envName}: green rolled back to blue`),
  advanced: (envName: string, to: number) => snsSubject(`BOOP ${envName}: green moved to ${to} % (hands-free rollout)`),
  stopped: (envName: string) => snsSubject(`BOOP ${envName}: the hands-free rollout stopped`),
  resumed: (envName: string) => snsSubject(`BOOP ${envName}: the hands-free rollout resumed`),
} as const;

export interface ControllerSettings {
  readonly envName: string;
  /** This function's own stack (AWS::StackId): the only one whose deploy events are honoured. */
  readonly stackId: string;
  /** The region this function runs in; CloudFormation's response URLs name it. */
  readonly region: string;
  readonly listenerArn: string;
  readonly targetGroups: SlotTargetGroups;
  readonly stateParameterName: string;
  /** The composite alarm that rolls green back. */
  readonly rollbackAlarmName: string;
  readonly criticalTopicArn: string;
  /** The low-severity topic a hands-free rollout's advances and stops go to; set with policy.autoAdvance. */
  readonly noticeTopicArn?: string;
  readonly policy: RolloutPolicy;
  readonly stickinessSeconds: number;
  /** rollout.releaseGuard: image changes are judged; off, they go through and are recorded. */
  readonly releaseGuard: boolean;
  /** rollout.scaleGreenToZeroOnRollback: a rollback scales green's service to zero. */
  readonly scaleGreenToZero: boolean;
  /** Green's service and its configured count: the stack's, never an event's. */
  readonly green: GreenService;
}

/** Green's ECS service as the stack names it: the one service whose task count the controller moves. */
export interface GreenService {
  /** The cluster's name. */
  readonly cluster: string;
  /** The service's name. */
  readonly service: string;
  /** The configured task count (service.desiredCount), which the acknowledgement of a rollback gives back. */
  readonly desiredCount: number;
}

export interface ControllerClients {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly cloudformation: CloudFormationClient;
  /** Green's task count moves only through its scalable target (docs/design.md "Green's task count"). */
  readonly autoScaling: ApplicationAutoScalingClient;
}

export interface Log {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface ControllerHooks {
  readonly now: () => Date;
  /** Records one Boop/Traffic metric data point. */
  readonly metric: (name: TrafficMetricName, value: number) => void;
  readonly log: Log;
  /** Aborts every AWS call still running when the invocation's budget is spent. @default no deadline */
  readonly deadline?: AbortSignal;
}

/** What a rollback is reacting to. */
export interface RollbackTrigger {
  /** The alarm's name, or "manual". */
  readonly trigger: string;
  /** When the alarm entered ALARM, or when the operator asked. */
  readonly triggeredAt: Date;
  readonly why: string;
  readonly by: string;
}

/** Where a deploy's request comes from. */
export interface DeployContext {
  readonly origin: DeployOrigin;
  /** A Create: a new custom resource, perhaps a new stack. */
  readonly created?: boolean;
}

export interface Outcome {
  readonly result: 'changed' | 'unchanged' | 'reapplied' | 'ignored';
  /** Green's live share after the invocation. */
  readonly greenPercent: number;
  /** The hands-free rollout's target after the invocation; absent without rollout.autoAdvance. */
  readonly target?: number;
  readonly message: string;
}

/**
 * The one writer of the blue/green weights: reads the live listener and the record, lets the
 * rollout policy decide, writes with ModifyListener, reads back to verify, and records the change.
 */
export class TrafficController {
  constructor(
    private readonly settings: ControllerSettings,
    private readonly clients: ControllerClients,
    private readonly hooks: ControllerHooks,
  ) {}

  /**
   * Whether a custom resource event is CloudFormation's, for this stack, during an update, with the
   * GreenPercent (and override) of that update; and whether it is the user's deploy or CloudFormation's rollback.
   */
  async verifyDeploy(event: CloudFormationCustomResourceEvent): Promise<DeployVerdict> {
    const source = checkEventSource(event, this.settings);
    if (source) return source;
    // A delete sets no weights, so it needs no more than a genuine source.
    if (event.RequestType === 'Delete') return { honoured: true, origin: 'user-deploy' };
    const verdict = judgeAgainstStack(event, await this.ownStack());
    const override = overrideOf(resourceProperties(event));
    if (!verdict.honoured || verdict.origin !== 'user-deploy' || override === undefined) return verdict;
    const template = await this.aws((options) => this.clients.cloudformation.send(new GetTemplateCommand({ StackName: this.settings.stackId }), options));
    return overrideInTemplate(template.TemplateBody, event.LogicalResourceId) === override
      ? verdict
      : {
          honoured: false,
          why: `the event carries a rollout override that the stack's template does not; ${assumptionPointer('get-template-mid-update')}`,
          answerable: true,
        };
  }

  /**
   * A deploy's GreenPercent (the custom resource): read the record, the listener and, when the policy
   * asks, the evidence; let the policy decide; write and verify; record. A user's deploy gets exactly
   * its share or is refused; CloudFormation's rollback of a failed update may lower green, never raise it.
   */
  async applyDeploy(request: DeployRequest, requestedBy: string, context: DeployContext = { origin: 'user-deploy' }): Promise<Outcome> {
    const now = this.hooks.now();
    const [stored, live] = await Promise.all([this.readState(now), this.readLive()]);
    const facts: DeployFacts = { stored, live, request, requestedBy, now, listenerArn: this.settings.listenerArn, ...context };
    const query = evidenceNeeded(facts);
    const evidence = query ? await this.riseEvidence(query, now) : undefined;

    const decision = decideDeploy(facts, this.settings.policy, evidence);

    if (decision.foundRollback) this.hooks.log.warn('found a rollback that was not recorded; blue alone stays', { why: decision.foundRollback });
    // Whatever else this deploy changed, a rollback it leaves unacknowledged (known, found, or just recorded) leaves green empty.
    if (this.settings.scaleGreenToZero && rollbackUnacknowledged(decision.record ?? stored))
      await this.bestEffort("scale green's service to zero again", () => this.scaleGreen(0));
    switch (decision.outcome) {
      case 'refuse':
        if (decision.putBlueAlone) await this.writeAndVerify(0);
        if (decision.record) await this.saveState(decision.record);
        throw new RefusedError(decision.message);
      case 'change': {
        const record = decision.record;
        const outcome = await this.change(decision.change, record, () => this.restoreGreen(stored, record));
        await this.noticeNewStop(stored, record);
        return { ...outcome, ...this.targetOf(record) };
      }
      case 'keep': {
        const record = decision.record ?? stored;
        await this.restoreGreen(stored, record);
        if (record !== stored) await this.saveState(record);
        await this.noticeNewStop(stored, record);
        return { result: 'unchanged', greenPercent: live.greenPercent, message: decision.why, ...this.targetOf(record) };
      }
    }
  }

  /** A deploy that stopped the hands-free walk (a lower target) says so, as a tick's stop does. */
  private async noticeNewStop(stored: TrafficState, record: TrafficState): Promise<void> {
    const stopped = record.handsFree?.stopped;
    if (!this.autoAdvance || !stopped || stopped === stored.handsFree?.stopped) return;
    const { envName } = this.settings;
    await this.notice(PAGE_SUBJECTS.stopped(envName), [
      `The hands-free rollout of ${envName} stopped at ${stopped.at} with green at ${record.greenPercent} % (target ${record.handsFree!.target} %): ${stopped.why}, by ${stopped.by}.`,
      `To walk on to ${record.handsFree!.target} %: npm run rollout -- resume --env ${envName}`,
    ]);
  }

  /** Whether ticks walk green to a deploy's target (rollout.autoAdvance). */
  get autoAdvance(): boolean {
    return this.settings.policy.autoAdvance === true;
  }

  /** The hands-free target a record holds, for an outcome; nothing without rollout.autoAdvance. */
  private targetOf(record: TrafficState): { target?: number } {
    return this.autoAdvance && record.handsFree ? { target: record.handsFree.target } : {};
  }

  /**
   * A tick of the hands-free rollout (the schedule): one step toward the target when a deploy of that
   * step would be accepted now, else a wait or a stop, each recorded; an advance and a stop are sent
   * to the low-severity topic. Anyone may send a tick: it can move nothing a deploy could not.
   */
  async tick(): Promise<Outcome> {
    const now = this.hooks.now();
    const [stored, live, stack] = await Promise.all([this.readState(now), this.readLive(), this.ownStack()]);
    const facts: TickFacts = { stored, live, listenerArn: this.settings.listenerArn, now, stackStatus: stack.status };
    const query = tickEvidenceNeeded(facts, this.settings.policy);
    const evidence = query ? await this.riseEvidence(query, now) : undefined;
    const decision = decideTick(facts, this.settings.policy, evidence);
    const { envName } = this.settings;
    switch (decision.outcome) {
      case 'nothing':
        return { result: 'unchanged', greenPercent: live.greenPercent, message: decision.why, ...this.targetOf(stored) };
      case 'wait':
        if (decision.record) await this.saveState(decision.record);
        this.hooks.log.info('hands-free rollout waits', { why: decision.why });
        return { result: 'unchanged', greenPercent: live.greenPercent, message: decision.why, ...this.targetOf(stored) };
      case 'stop':
        await this.saveState(decision.record);
        this.hooks.log.warn('hands-free rollout stopped', { why: decision.why });
        await this.notice(PAGE_SUBJECTS.stopped(envName), [
          `The hands-free rollout of ${envName} stopped at ${now.toISOString()} with green at ${stored.greenPercent} % (target ${decision.record.handsFree!.target} %): ${decision.why}.`,
          `Green stays where it is. Find out why, then: npm run rollout -- resume --env ${envName}`,
        ]);
        return { result: 'unchanged', greenPercent: live.greenPercent, message: decision.why, ...this.targetOf(decision.record) };
      case 'advance': {
        const outcome = await this.change(decision.change, decision.record);
        const { from, to, why } = decision.change;
        await this.notice(PAGE_SUBJECTS.advanced(envName, to), [
          `Green of ${envName} moved from ${from} % to ${to} % at ${now.toISOString()} (${why}).`,
          `To stop here: npm run rollout -- pause --env ${envName} --reason "<why>"`,
        ]);
        return { ...outcome, ...this.targetOf(decision.record) };
      }
    }
  }

  /** `rollout pause` and `rollout resume`: the walk stops where green is, or goes on at the next tick; neither moves traffic. */
  async handsFree(action: 'pause' | 'resume', by: string, reason: string): Promise<Outcome> {
    const now = this.hooks.now();
    const stored = await this.readState(now);
    // A record of another listener belongs to a deleted stack; this one's first deploy starts afresh.
    const ours = stored.listenerArn === undefined || stored.listenerArn === this.settings.listenerArn;
    const record = !ours ? undefined : action === 'pause' ? pause(stored, by, reason, now) : resume(stored);
    const { envName } = this.settings;
    if (!record) {
      const stopped = stored.handsFree?.stopped;
      const why =
        action === 'resume'
          ? 'the hands-free rollout is not stopped'
          : stopped
            ? `the hands-free rollout is already stopped: ${stopped.why}`
            : 'no hands-free rollout is under way (no target above green)';
      return { result: 'unchanged', greenPercent: stored.greenPercent, message: why, ...this.targetOf(stored) };
    }
    await this.saveState(record);
    const what = action === 'pause' ? `paused by ${by}: ${reason}` : `resumed by ${by}: ${reason}`;
    this.hooks.log.info(`hands-free rollout ${action}d`, { by, reason });
    await this.notice(action === 'pause' ? PAGE_SUBJECTS.stopped(envName) : PAGE_SUBJECTS.resumed(envName), [
      `The hands-free rollout of ${envName} was ${what}, at ${now.toISOString()}, with green at ${stored.greenPercent} % (target ${record.handsFree!.target} %).`,
    ]);
    return { result: 'unchanged', greenPercent: stored.greenPercent, message: `hands-free rollout ${what}`, ...this.targetOf(record) };
  }

  /** Sends a hands-free notice to the low-severity topic; a failure is logged and counted, never undoes what was done. */
  private async notice(subject: string, lines: readonly string[]): Promise<void> {
    const topic = this.settings.noticeTopicArn;
    if (!topic) return;
    try {
      await this.aws((options) => this.clients.sns.send(new PublishCommand({ TopicArn: topic, Subject: subject, Message: lines.join('\n') }), options));
    } catch (error) {
      // Logged, not counted: ControllerErrors pages as a failed rollback, and a notice is low severity.
      this.hooks.log.error('could not send the hands-free notice', { subject, error: String(error) });
    }
  }

  /**
   * The release guard (design: "Releases"), before ECS touches a service: judges the deploy's images,
   * lowers green to 0 first when its image changes with GreenPercent=0, and records the release.
   */
  async applyRelease(request: ReleaseRequest, requestedBy: string, context: DeployContext = { origin: 'user-deploy' }): Promise<Outcome> {
    const now = this.hooks.now();
    const [stored, live] = await Promise.all([this.readState(now), this.readLive()]);
    const facts: ReleaseFacts = {
      stored,
      live,
      request,
      requestedBy,
      now,
      listenerArn: this.settings.listenerArn,
      guarded: this.settings.releaseGuard,
      origin: context.origin,
      created: context.created,
    };
    const query = releaseEvidenceNeeded(facts);
    const evidence = query ? await this.riseEvidence(query, now) : undefined;
    const decision = decideRelease(facts, this.settings.policy, evidence);
    if (decision.outcome === 'refuse') throw new RefusedError(decision.message);

    if (decision.letThrough) this.hooks.log.warn('release guard rule let through', { why: decision.letThrough, by: requestedBy });
    if (decision.lowerGreenFirst) {
      await this.writeAndVerify(0);
      this.hooks.metric('WeightChanges', 1);
      this.hooks.metric('GreenPercent', 0);
    }
    if (decision.scaleGreenToZero) await this.bestEffort("scale green's service to zero again", () => this.scaleGreen(0));
    if (decision.record) await this.saveState(decision.record);
    this.hooks.log.info('release accepted', { steps: decision.steps, by: requestedBy });
    const greenPercent = decision.lowerGreenFirst ? 0 : live.greenPercent;
    return { result: decision.lowerGreenFirst ? 'changed' : 'unchanged', greenPercent, message: decision.steps.join('; ') };
  }

  /**
   * The acknowledgement of a rollback gives green back its configured task count (a rollback scaled it
   * to zero), before the acknowledgement is saved: if this fails, the next GreenPercent=0 tries again.
   */
  private async restoreGreen(stored: TrafficState, record: TrafficState): Promise<void> {
    // This deploy acknowledges a rollback: one the record knew, or one it found (its record lost) and acknowledges at once.
    const acknowledged = record.lastRollback?.acknowledgedAt;
    const acknowledges = acknowledged !== undefined && acknowledged !== stored.lastRollback?.acknowledgedAt;
    // Also when the rollback's record was lost (found by a deploy): setting the configured count again changes nothing else.
    const mayBeEmpty = this.settings.scaleGreenToZero || record.lastRollback?.greenScaledToZeroAt !== undefined;
    if (!acknowledges || !mayBeEmpty) return;
    const { desiredCount } = this.settings.green;
    await this.scaleGreen(desiredCount);
    this.hooks.log.info("green's service restored after the acknowledged rollback", { desiredCount });
  }

  /**
   * Pins green's task count to 0 or its configured count: minimum and maximum of green's scalable target, which
   * Application Auto Scaling applies to the service. The controller's one write outside the listener and the record;
   * IAM allows it on green's scalable target alone, and the controller has no ECS write at all.
   */
  private async scaleGreen(desiredCount: number): Promise<void> {
    const { green } = this.settings;
    if (desiredCount !== 0 && desiredCount !== green.desiredCount) throw new Error(`green runs 0 or ${green.desiredCount} tasks, never ${desiredCount}`);
    try {
      await this.aws((options) =>
        this.clients.autoScaling.send(
          new RegisterScalableTargetCommand({
            ServiceNamespace: ECS_TASK_COUNT.namespace,
            ScalableDimension: ECS_TASK_COUNT.dimension,
            ResourceId: scalableTargetId(green),
            MinCapacity: desiredCount,
            MaxCapacity: desiredCount,
          }),
          options,
        ),
      );
    } catch (error) {
      // Denied by IAM (the tag condition), or the service-linked role could not reach the service; anything else is the call's own.
      if (!CAPACITY_ACCESS_ERRORS.has(String((error as { name?: string }).name))) throw error;
      throw new Error(
        `could not set green's task count to ${desiredCount}: ${String((error as Error).message).slice(0, 300)}; ${assumptionPointer('green-capacity-tag-condition')}`,
      );
    }
  }

  /** Writes, verifies and records a new green share; `beforeSave` runs between the verified write and the record. */
  private async change(change: WeightChange, record: TrafficState, beforeSave: () => Promise<void> = async () => {}): Promise<Outcome> {
    const { from, to, kind, why, by } = change;
    await this.writeAndVerify(to);
    await beforeSave();
    await this.saveState(record);
    this.hooks.metric('WeightChanges', 1);
    this.hooks.metric('GreenPercent', to);
    this.hooks.log.info('weights changed', { from, to, kind, why, by });
    return kind === 'reapply'
      ? { result: 'reapplied', greenPercent: to, message: `re-applied green ${to} % (${why})` }
      : { result: 'changed', greenPercent: to, message: `green ${from} % → ${to} % (${why})` };
  }

  /**
   * Puts all traffic on blue: the write comes first, then the read-back, the record, the metrics and
   * the page. An alarm episode that already rolled back (a duplicate or late event) changes nothing.
   */
  async rollback(trigger: RollbackTrigger): Promise<Outcome> {
    const [stateRead, liveRead] = await Promise.allSettled([this.readState(this.hooks.now()), this.readLive()]);
    const state = stateRead.status === 'fulfilled' ? stateRead.value : undefined;
    // Blue is always safe: roll back even when the record or the listener cannot be read, and say so.
    if (stateRead.status === 'rejected') this.hooks.log.error('traffic state unreadable; rolling back without recording', { error: String(stateRead.reason) });
    if (liveRead.status === 'rejected')
      this.hooks.log.warn("listener unreadable before the rollback; the record's share stands in for the live one", { error: String(liveRead.reason) });
    if (state && alreadyRolledBack(state, trigger.trigger, trigger.triggeredAt)) {
      this.hooks.log.info('alarm episode already rolled back; ignoring the event', {
        trigger: trigger.trigger,
        triggeredAt: trigger.triggeredAt.toISOString(),
        lastRollback: state.lastRollback?.at,
      });
      return { result: 'ignored', greenPercent: 0, message: 'this alarm episode was already rolled back' };
    }

    await this.writeAndVerify(0);
    const verifiedAt = this.hooks.now();
    // The share green had, read from the listener; the record's only when the listener could not be read.
    const from = liveRead.status === 'fulfilled' ? liveRead.value.greenPercent : state?.greenPercent;
    if (state && state.greenPercent === 0 && (from ?? 0) === 0) {
      return { result: 'unchanged', greenPercent: 0, message: 'green had no traffic; blue alone confirmed' };
    }

    const latencyMs = verifiedAt.getTime() - trigger.triggeredAt.getTime();
    this.hooks.metric('Rollbacks', 1);
    this.hooks.metric('RollbackLatency', latencyMs);
    this.hooks.metric('WeightChanges', 1);
    this.hooks.metric('GreenPercent', 0);
    this.hooks.log.warn('rolled back to blue', { trigger: trigger.trigger, why: trigger.why, by: trigger.by, from, latencyMs });

    // Only after blue alone is verified, and even when the record is unreadable: ECS drains green's targets for the deregistration delay, then stops its tasks.
    const scaledToZero = this.settings.scaleGreenToZero ? await this.bestEffort("scale green's service to zero", () => this.scaleGreen(0)) : false;
    let recordFailure: unknown = state ? undefined : new Error('the traffic state could not be read');
    if (state) {
      const next = recordRollback(state, {
        trigger: trigger.trigger,
        why: trigger.why,
        by: trigger.by,
        fromGreenPercent: from ?? state.greenPercent,
        at: verifiedAt.toISOString(),
        triggeredAt: trigger.triggeredAt.toISOString(),
        ...(scaledToZero ? { greenScaledToZeroAt: this.hooks.now().toISOString() } : {}),
      });
      await this.saveState(next).catch((error) => {
        recordFailure = error;
      });
    }
    const notified = await this.bestEffort('notify the critical topic', () => this.notifyRollback(trigger, from, verifiedAt, latencyMs, scaledToZero));
    // Blue stays either way; an unrecorded rollback fails the invocation so Lambda retries it and, failing that, the dead-letter queue pages.
    if (recordFailure) throw new Error(`rolled back to blue, but could not record it: ${String(recordFailure)}`);
    return { result: 'changed', greenPercent: 0, message: `rolled back to blue in ${latencyMs} ms${notified ? '' : ' (page failed)'}` };
  }

  /** Pages the critical topic about a deploy event that was refused as not CloudFormation's own. */
  async pageRefusedEvent(why: string, event: CloudFormationCustomResourceEvent): Promise<void> {
    const { envName } = this.settings;
    const asked = resourceProperties(event).GreenPercent;
    await this.aws((options) =>
      this.clients.sns.send(
        new PublishCommand({
          TopicArn: this.settings.criticalTopicArn,
          Subject: PAGE_SUBJECTS.refusedEvent(envName),
          Message: [
            `The traffic controller of ${envName} refused a deploy event at ${this.hooks.now().toISOString()}: ${why}.`,
            `It asked for ${GREEN_PERCENT_PARAMETER}=${String(asked).slice(0, 20)} (${String(event.RequestType).slice(0, 20)}, stack ${String(event.StackId).slice(0, 200)}). Nothing was changed.`,
            'Only CloudFormation may raise green. Find who invoked the controller: CloudTrail, lambda:InvokeFunction on the controller.',
          ].join('\n'),
        }),
        options,
      ),
    );
  }

  /** ModifyListener, then DescribeListeners until the live action is ours; another writer gets overwritten, a few times. */
  private async writeAndVerify(greenPercent: number): Promise<LiveWeights> {
    const { listenerArn, targetGroups, stickinessSeconds } = this.settings;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      await this.aws((options) =>
        this.clients.elb.send(
          new ModifyListenerCommand({
            ListenerArn: listenerArn,
            DefaultActions: [forwardAction(targetGroups, greenPercent, stickinessSeconds)],
          }),
          options,
        ),
      );
      const live = await this.readLive();
      if (matchesShare(live, greenPercent)) return live;
      this.hooks.log.warn('the weights read back differ from those written; another writer changed them, writing again', {
        attempt,
        wrote: greenPercent,
        read: live.greenPercent,
      });
    }
    throw new Error(`wrote green ${greenPercent} % ${WRITE_ATTEMPTS} times but the listener kept showing other weights; something else writes this listener`);
  }

  private async readLive(): Promise<LiveWeights> {
    const answer = await this.aws((options) => this.clients.elb.send(new DescribeListenersCommand({ ListenerArns: [this.settings.listenerArn] }), options));
    const listener = answer.Listeners?.[0];
    if (!listener) throw new Error(`listener ${this.settings.listenerArn} not found`);
    return readLiveWeights(listener, this.settings.targetGroups);
  }

  private async readState(now: Date): Promise<TrafficState> {
    try {
      const answer = await this.aws((options) => this.clients.ssm.send(new GetParameterCommand({ Name: this.settings.stateParameterName }), options));
      return parseState(answer.Parameter?.Value, now);
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') return initialState(now);
      throw error;
    }
  }

  private async saveState(state: TrafficState): Promise<void> {
    let trimmed: TrafficState = { ...state, listenerArn: this.settings.listenerArn };
    while (Buffer.byteLength(JSON.stringify(trimmed)) > STATE_MAX_BYTES && trimmed.changes.length > 1) {
      trimmed = { ...trimmed, changes: trimmed.changes.slice(0, -1) };
    }
    await this.aws((options) =>
      this.clients.ssm.send(
        new PutParameterCommand({
          Name: this.settings.stateParameterName,
          Value: JSON.stringify(trimmed),
          Type: 'String',
          Tier: 'Intelligent-Tiering',
          Overwrite: true,
        }),
        options,
      ),
    );
  }

  /** The controller's own stack as CloudFormation reports it now: status and GreenPercent. */
  private async ownStack(): Promise<OwnStack> {
    const answer = await this.aws((options) => this.clients.cloudformation.send(new DescribeStacksCommand({ StackName: this.settings.stackId }), options));
    const stack = answer.Stacks?.[0];
    if (!stack?.StackStatus) throw new Error(`CloudFormation did not describe stack ${this.settings.stackId}`);
    const parameters = Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
    return { status: stack.StackStatus, parameters };
  }

  private riseEvidence(query: EvidenceQuery, now: Date): Promise<RiseEvidence> {
    const sources = { greenTargetGroupArn: this.settings.targetGroups.green, rollbackAlarmName: this.settings.rollbackAlarmName };
    return readRiseEvidence(this.clients, sources, query, now, this.hooks.deadline);
  }

  private async notifyRollback(trigger: RollbackTrigger, from: number | undefined, at: Date, latencyMs: number, scaledToZero: boolean): Promise<void> {
    const { envName, policy } = this.settings;
    const cause =
      trigger.trigger === 'manual' ? `a manual rollback by ${trigger.by}` : `alarm ${trigger.trigger}, in ALARM since ${trigger.triggeredAt.toISOString()}`;
    const message = [
      `All traffic of ${envName} was moved back to blue at ${at.toISOString()} (${latencyMs} ms after the trigger).`,
      `Trigger: ${cause}.`,
      `Why: ${trigger.why}.`,
      `Green had ${from === undefined ? 'an unknown share (neither the listener nor the record could be read)' : `${from} %`} of live traffic; now blue alone serves it, stickiness off.`,
      scaledToZero
        ? "Green's service was scaled to zero: its connections close once the target group's deregistration delay has passed. The acknowledgement below restores its task count."
        : "Green's tasks keep running (rollout.scaleGreenToZeroOnRollback is off, or green's service could not be scaled: see the controller's logs).",
      '',
      "To resume, find and fix what broke green (the alarm's description says what to check first), then:",
      `  1. npx cdk deploy -c env=${envName} --parameters ${GREEN_PERCENT_PARAMETER}=0 [--parameters ${IMAGE_PARAMETERS.green}=<fixed image>]     (acknowledges this rollback and restores green's tasks)`,
      `  2. npx cdk deploy -c env=${envName} --parameters ${GREEN_PERCENT_PARAMETER}=${policy.steps[0]}`,
    ].join('\n');
    await this.aws((options) =>
      this.clients.sns.send(
        new PublishCommand({
          TopicArn: this.settings.criticalTopicArn,
          Subject: PAGE_SUBJECTS.rollback(envName),
          Message: message,
        }),
        options,
      ),
    );
  }

  /** Runs a step that must not undo a rollback already done: failures are logged and counted, not thrown. */
  private async bestEffort(what: string, step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (error) {
      this.hooks.metric('ControllerErrors', 1);
      this.hooks.log.error(`could not ${what} after rolling back`, { error: String(error) });
      return false;
    }
  }

  /** One AWS call, bounded by the invocation's deadline; timeouts and retries are the SDK client's own. */
  private aws<T>(call: (options: { abortSignal?: AbortSignal }) => Promise<T>): Promise<T> {
    return call({ abortSignal: this.hooks.deadline });
  }
}
