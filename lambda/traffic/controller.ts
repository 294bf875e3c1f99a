import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { TrafficMetricName } from '../../common/contract';
import { GREEN_PERCENT_PARAMETER } from '../../common/names';
import { overrideOf, resourceProperties } from './custom-resource';
import { checkEventSource, DeployVerdict, judgeAgainstStack, OwnStack, overrideInTemplate } from './deploy-event';
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
import { initialState, parseState, recordRollback, TrafficState, WeightChange } from '../../common/traffic/state';
import { forwardAction, LiveWeights, matchesShare, readLiveWeights, SlotTargetGroups } from '../../common/traffic/weights';

/** SSM standard parameters hold 4 KB; the state keeps fewer changes rather than fail to save. */
const STATE_MAX_BYTES = 4096;
/** Writes of the weights before the controller gives up on another writer undoing them. */
const WRITE_ATTEMPTS = 3;

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
  readonly policy: RolloutPolicy;
  readonly stickinessSeconds: number;
}

export interface ControllerClients {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly cloudformation: CloudFormationClient;
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
      : { honoured: false, why: "the event carries a rollout override that the stack's template does not", answerable: true };
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
    switch (decision.outcome) {
      case 'refuse':
        if (decision.putBlueAlone) await this.writeAndVerify(0);
        if (decision.record) await this.saveState(decision.record);
        throw new RefusedError(decision.message);
      case 'change':
        return this.change(decision.change, decision.record);
      case 'keep':
        if (decision.record) await this.saveState(decision.record);
        return { result: 'unchanged', greenPercent: live.greenPercent, message: decision.why };
    }
  }

  /** Writes, verifies and records a new green share. */
  private async change(change: WeightChange, record: TrafficState): Promise<Outcome> {
    const { from, to, kind, why, by } = change;
    await this.writeAndVerify(to);
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

    let recordFailure: unknown = state ? undefined : new Error('the traffic state could not be read');
    if (state) {
      const next = recordRollback(state, {
        trigger: trigger.trigger,
        why: trigger.why,
        by: trigger.by,
        fromGreenPercent: from ?? state.greenPercent,
        at: verifiedAt.toISOString(),
        triggeredAt: trigger.triggeredAt.toISOString(),
      });
      await this.saveState(next).catch((error) => {
        recordFailure = error;
      });
    }
    const notified = await this.bestEffort('notify the critical topic', () => this.notifyRollback(trigger, from, verifiedAt, latencyMs));
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
          Subject: `BOOP ${envName}: a traffic change was refused as not CloudFormation's`,
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
    return {
      status: stack.StackStatus,
      greenPercent: stack.Parameters?.find((p) => p.ParameterKey === GREEN_PERCENT_PARAMETER)?.ParameterValue,
    };
  }

  private async riseEvidence(query: EvidenceQuery, now: Date): Promise<RiseEvidence> {
    const alarmName = this.settings.rollbackAlarmName;
    const [health, alarms, firedSinceStepStart] = await Promise.all([
      this.aws((options) => this.clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: this.settings.targetGroups.green }), options)),
      // Both types: the composite in the stack, or a metric alarm standing in for it where composites do not exist.
      this.aws((options) =>
        this.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }), options),
      ),
      query.alarmHistorySince ? this.alarmFiredSince(query.alarmHistorySince, now) : Promise.resolve(false),
    ]);
    const alarm = [...(alarms.CompositeAlarms ?? []), ...(alarms.MetricAlarms ?? [])].find((a) => a.AlarmName === alarmName);
    return {
      greenHealthyTargets: (health.TargetHealthDescriptions ?? []).filter((t) => t.TargetHealth?.State === 'healthy').length,
      rollbackAlarmFound: alarm !== undefined,
      rollbackAlarmInAlarm: alarm?.StateValue === 'ALARM',
      rollbackAlarmFiredSinceStepStart: firedSinceStepStart,
    };
  }

  /** Whether the rollback alarm entered ALARM between `since` and `until` (its state history). */
  private async alarmFiredSince(since: Date, until: Date): Promise<boolean> {
    let nextToken: string | undefined;
    do {
      const page = await this.aws((options) =>
        this.clients.cloudwatch.send(
          new DescribeAlarmHistoryCommand({
            AlarmName: this.settings.rollbackAlarmName,
            AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
            HistoryItemType: 'StateUpdate',
            StartDate: since,
            EndDate: until,
            NextToken: nextToken,
          }),
          options,
        ),
      );
      if ((page.AlarmHistoryItems ?? []).some((item) => enteredAlarm(item.HistoryData))) return true;
      nextToken = page.NextToken;
    } while (nextToken);
    return false;
  }

  private async notifyRollback(trigger: RollbackTrigger, from: number | undefined, at: Date, latencyMs: number): Promise<void> {
    const { envName, policy } = this.settings;
    const cause =
      trigger.trigger === 'manual' ? `a manual rollback by ${trigger.by}` : `alarm ${trigger.trigger}, in ALARM since ${trigger.triggeredAt.toISOString()}`;
    const message = [
      `All traffic of ${envName} was moved back to blue at ${at.toISOString()} (${latencyMs} ms after the trigger).`,
      `Trigger: ${cause}.`,
      `Why: ${trigger.why}.`,
      `Green had ${from === undefined ? 'an unknown share (neither the listener nor the record could be read)' : `${from} %`} of live traffic; now blue alone serves it, stickiness off.`,
      '',
      "To resume, find and fix what broke green (the alarm's description says what to check first), then:",
      `  1. npx cdk deploy -c env=${envName} --parameters ${GREEN_PERCENT_PARAMETER}=0     (acknowledges this rollback)`,
      `  2. npx cdk deploy -c env=${envName} --parameters ${GREEN_PERCENT_PARAMETER}=${policy.steps[0]}`,
    ].join('\n');
    await this.aws((options) =>
      this.clients.sns.send(
        new PublishCommand({
          TopicArn: this.settings.criticalTopicArn,
          Subject: `BOOP ${envName}: green rolled back to blue`,
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

/** A StateUpdate history item whose new state is ALARM. */
function enteredAlarm(historyData: string | undefined): boolean {
  try {
    return JSON.parse(historyData ?? '{}')?.newState?.stateValue === 'ALARM';
  } catch {
    return false;
  }
}
