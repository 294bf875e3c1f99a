import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { TrafficMetricName } from '../shared/contract';
import { withThrottlingRetry } from '../shared/retry';
import { decideDeploy, DeployRequest, direction, RiseEvidence, RolloutPolicy } from './policy';
import { initialState, parseState, recordChange, rollbackUnacknowledged, TrafficState, WeightChange } from './state';
import { forwardAction, LiveWeights, matchesShare, readLiveWeights, SlotTargetGroups } from './weights';

/** SSM standard parameters hold 4 KB; the state keeps fewer changes rather than fail to save. */
const STATE_MAX_BYTES = 4096;
/** Writes of the weights before the controller gives up on another writer undoing them. */
const WRITE_ATTEMPTS = 3;

export interface ControllerSettings {
  readonly envName: string;
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
  /** Back-off between retries; injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
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

/** What identifies a deploy's custom resource request. */
export interface DeployProperties {
  /** This deploy's custom resource properties, as one string. */
  readonly current: string;
  /** The previous deploy's (an Update's OldResourceProperties). */
  readonly previous?: string;
  /** A Create: a new custom resource, perhaps a new stack. */
  readonly created?: boolean;
}

/** CloudFormation rolling back the last deploy: it sends the previous properties back, with the failed ones as old. */
function isRestore(state: TrafficState, properties: DeployProperties | undefined): boolean {
  const last = state.lastDeploy;
  return properties !== undefined && last !== undefined && properties.current === last.restoresProperties && properties.previous === last.properties;
}

export interface Outcome {
  readonly result: 'changed' | 'unchanged' | 'reapplied' | 'ignored';
  readonly greenPercent: number;
  readonly message: string;
}

/** A change the rollout policy refused; its message says what, why and how to proceed. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/**
 * The one writer of the blue/green weights: reads the live listener, checks the rollout policy,
 * writes with ModifyListener, reads back to verify, and records the change in the state parameter.
 */
export class TrafficController {
  constructor(
    private readonly settings: ControllerSettings,
    private readonly clients: ControllerClients,
    private readonly hooks: ControllerHooks,
  ) {}

  /**
   * A deploy's GreenPercent (the custom resource): policy-checked; a listener reset is re-applied.
   * With `properties`, CloudFormation putting back the previous deploy's properties after a failure
   * is recognised: it may lower green, never raise it, and never fails.
   */
  async applyDeploy(request: DeployRequest, requestedBy: string, properties?: DeployProperties): Promise<Outcome> {
    const now = this.hooks.now();
    const [stored, live] = await Promise.all([this.readState(now), this.readLive()]);
    const state = this.stateForDeploy(stored, properties, now);
    const restoring = isRestore(state, properties);
    const lastDeploy = properties?.previous === undefined ? undefined
      : { at: now.toISOString(), properties: properties.current, restoresProperties: properties.previous };
    let next: TrafficState = { ...state, intent: request.intent, listenerArn: this.settings.listenerArn, lastDeploy };
    const unrecordedRollback = live.blueAlone && state.greenPercent > 0;

    if (restoring) {
      if (request.intent < state.greenPercent) {
        return this.change(next, live, request.intent, 'deploy', requestedBy, now, `CloudFormation rolled a deploy back; green lowered to ${request.intent} %`);
      }
    } else {
      const refuse = async (message: string): Promise<never> => {
        if (lastDeploy) await this.saveState({ ...state, lastDeploy });
        throw new RefusedError(message);
      };
      if (unrecordedRollback && request.intent > 0) {
        await refuse(`GreenPercent=${request.intent} refused: the listener sends all traffic to blue alone although the record says green ${state.greenPercent} %, ` +
          'so a rollback happened that could not be recorded. Find out why (the controller\'s logs, ROLLBACK_FAILED), then deploy once with --parameters GreenPercent=0 and start again at the first step.');
      }
      const needsEvidence = !rollbackUnacknowledged(state) && direction(state, request) === 'rise';
      const evidence = needsEvidence ? await this.riseEvidence(state, now) : undefined;
      const decision = decideDeploy(state, request, this.settings.policy, now, evidence);
      if (decision.outcome === 'refuse') await refuse(decision.message);
      if (decision.outcome !== 'refuse' && decision.acknowledgesRollback && state.lastRollback) {
        next = { ...next, lastRollback: { ...state.lastRollback, acknowledgedAt: now.toISOString() } };
      }
      if (decision.outcome === 'change') return this.change(next, live, decision.to, decision.kind, requestedBy, now, decision.why);
    }

    // Green stays where the controller last put it.
    const why = restoring ? ' (CloudFormation rolled a deploy back; green is never raised by that)' : '';
    if (matchesShare(live, state.greenPercent) || unrecordedRollback) {
      if (JSON.stringify(next) !== JSON.stringify(state)) await this.saveState(next);
      const blue = unrecordedRollback ? '; the listener sends blue alone (an unrecorded rollback) and stays so until GreenPercent=0' : '';
      const share = unrecordedRollback ? 0 : state.greenPercent;
      return { result: 'unchanged', greenPercent: share, message: `green stays at ${share} %${why}${blue}` };
    }
    // CloudFormation rewrote the listener's action (aws/aws-cdk#36649): put the live weights back.
    return this.change(next, live, state.greenPercent, 'reapply', requestedBy, now, 'the listener was reset to the template\'s weights; re-applied the recorded ones');
  }

  /** Writes, verifies and records a new green share. */
  private async change(next: TrafficState, live: LiveWeights, to: number, kind: WeightChange['kind'], by: string, now: Date, why: string): Promise<Outcome> {
    const from = kind === 'reapply' ? live.greenPercent : next.greenPercent;
    await this.writeAndVerify(to);
    await this.saveState(recordChange(next, { at: now.toISOString(), by, why, from, to, kind }));
    this.hooks.metric('WeightChanges', 1);
    this.hooks.metric('GreenPercent', to);
    this.hooks.log.info('weights changed', { from, to, kind, why, by });
    return kind === 'reapply'
      ? { result: 'reapplied', greenPercent: to, message: `re-applied green ${to} % after a listener reset` }
      : { result: 'changed', greenPercent: to, message: `green ${from} % → ${to} % (${why})` };
  }

  /**
   * The state a deploy starts from. A new custom resource on a listener the state does not know (a
   * new stack after a deleted one) starts a new rollout, keeping only the history; on the same
   * listener (a renamed resource) everything is kept, an unacknowledged rollback included.
   */
  private stateForDeploy(stored: TrafficState, properties: DeployProperties | undefined, now: Date): TrafficState {
    if (!properties?.created || stored.listenerArn === this.settings.listenerArn) return stored;
    return { ...initialState(now), changes: stored.changes };
  }

  /**
   * Puts all traffic on blue: the write comes first, then the read-back, the record, the metrics and
   * the page. An alarm episode that already rolled back (a duplicate or late event) changes nothing.
   */
  async rollback(trigger: RollbackTrigger): Promise<Outcome> {
    let state: TrafficState | undefined;
    try {
      state = await this.readState(this.hooks.now());
    } catch (error) {
      // Blue is always safe: roll back even when the record cannot be read, and say so.
      this.hooks.log.error('traffic state unreadable; rolling back without recording', { error: String(error) });
    }
    const last = state?.lastRollback;
    if (state && last && trigger.trigger !== 'manual' && trigger.triggeredAt.getTime() <= Date.parse(last.at)) {
      this.hooks.log.info('alarm episode already rolled back; ignoring the event', { trigger: trigger.trigger, triggeredAt: trigger.triggeredAt.toISOString(), lastRollback: last.at });
      return { result: 'ignored', greenPercent: state.greenPercent, message: 'this alarm episode was already rolled back' };
    }

    await this.writeAndVerify(0);
    const verifiedAt = this.hooks.now();
    const from = state?.greenPercent;
    if (from === 0) {
      return { result: 'unchanged', greenPercent: 0, message: 'the record says green had no traffic; blue alone confirmed' };
    }

    const latencyMs = verifiedAt.getTime() - trigger.triggeredAt.getTime();
    this.hooks.metric('Rollbacks', 1);
    this.hooks.metric('RollbackLatency', latencyMs);
    this.hooks.metric('WeightChanges', 1);
    this.hooks.metric('GreenPercent', 0);
    this.hooks.log.warn('rolled back to blue', { trigger: trigger.trigger, why: trigger.why, by: trigger.by, from, latencyMs });

    let recordFailure: unknown = state ? undefined : new Error('the traffic state could not be read');
    if (state) {
      const at = verifiedAt.toISOString();
      const next = recordChange(
        { ...state, lastRollback: { at, trigger: trigger.trigger, triggeredAt: trigger.triggeredAt.toISOString(), why: trigger.why, by: trigger.by, fromGreenPercent: state.greenPercent } },
        { at, by: trigger.by, why: trigger.why, from: state.greenPercent, to: 0, kind: 'rollback' },
      );
      await this.saveState(next).catch((error) => { recordFailure = error; });
    }
    const notified = await this.bestEffort('notify the critical topic', () => this.notifyRollback(trigger, from, verifiedAt, latencyMs));
    // Blue stays either way; an unrecorded rollback fails the invocation so Lambda retries it and, failing that, the dead-letter queue pages.
    if (recordFailure) throw new Error(`rolled back to blue, but could not record it: ${String(recordFailure)}`);
    return { result: 'changed', greenPercent: 0, message: `rolled back to blue in ${latencyMs} ms${notified ? '' : ' (page failed)'}` };
  }

  /** ModifyListener, then DescribeListeners until the live action is ours; another writer gets overwritten, a few times. */
  private async writeAndVerify(greenPercent: number): Promise<LiveWeights> {
    const { listenerArn, targetGroups, stickinessSeconds } = this.settings;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      await this.aws(() => this.clients.elb.send(new ModifyListenerCommand({
        ListenerArn: listenerArn,
        DefaultActions: [forwardAction(targetGroups, greenPercent, stickinessSeconds)],
      })));
      const live = await this.readLive();
      if (matchesShare(live, greenPercent)) return live;
      this.hooks.log.warn('the weights read back differ from those written; another writer changed them, writing again', { attempt, wrote: greenPercent, read: live.greenPercent });
    }
    throw new Error(`wrote green ${greenPercent} % ${WRITE_ATTEMPTS} times but the listener kept showing other weights; something else writes this listener`);
  }

  private async readLive(): Promise<LiveWeights> {
    const answer = await this.aws(() => this.clients.elb.send(new DescribeListenersCommand({ ListenerArns: [this.settings.listenerArn] })));
    const listener = answer.Listeners?.[0];
    if (!listener) throw new Error(`listener ${this.settings.listenerArn} not found`);
    return readLiveWeights(listener, this.settings.targetGroups);
  }

  private async readState(now: Date): Promise<TrafficState> {
    try {
      const answer = await this.aws(() => this.clients.ssm.send(new GetParameterCommand({ Name: this.settings.stateParameterName })));
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
    await this.aws(() => this.clients.ssm.send(new PutParameterCommand({
      Name: this.settings.stateParameterName,
      Value: JSON.stringify(trimmed),
      Type: 'String',
      Overwrite: true,
    })));
  }

  private async riseEvidence(state: TrafficState, now: Date): Promise<RiseEvidence> {
    const alarmName = this.settings.rollbackAlarmName;
    const [health, alarms, firedDuringBake] = await Promise.all([
      this.aws(() => this.clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: this.settings.targetGroups.green }))),
      this.aws(() => this.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['CompositeAlarm'] }))),
      // At 0 % green has no bake to judge, so its history is not read.
      state.greenPercent > 0 ? this.alarmFiredSince(new Date(state.stepStartedAt), now) : Promise.resolve(false),
    ]);
    const alarm = (alarms.CompositeAlarms ?? []).find((a) => a.AlarmName === alarmName);
    return {
      greenHealthyTargets: (health.TargetHealthDescriptions ?? []).filter((t) => t.TargetHealth?.State === 'healthy').length,
      rollbackAlarmFound: alarm !== undefined,
      rollbackAlarmInAlarm: alarm?.StateValue === 'ALARM',
      rollbackAlarmFiredDuringBake: firedDuringBake,
    };
  }

  /** Whether the rollback alarm entered ALARM between `since` and `until` (its state history). */
  private async alarmFiredSince(since: Date, until: Date): Promise<boolean> {
    let nextToken: string | undefined;
    do {
      const page = await this.aws(() => this.clients.cloudwatch.send(new DescribeAlarmHistoryCommand({
        AlarmName: this.settings.rollbackAlarmName,
        AlarmTypes: ['CompositeAlarm'],
        HistoryItemType: 'StateUpdate',
        StartDate: since,
        EndDate: until,
        NextToken: nextToken,
      })));
      if ((page.AlarmHistoryItems ?? []).some((item) => enteredAlarm(item.HistoryData))) return true;
      nextToken = page.NextToken;
    } while (nextToken);
    return false;
  }

  private async notifyRollback(trigger: RollbackTrigger, from: number | undefined, at: Date, latencyMs: number): Promise<void> {
    const { envName, policy } = this.settings;
    const cause = trigger.trigger === 'manual'
      ? `a manual rollback by ${trigger.by}`
      : `alarm ${trigger.trigger}, in ALARM since ${trigger.triggeredAt.toISOString()}`;
    const message = [
      `All traffic of ${envName} was moved back to blue at ${at.toISOString()} (${latencyMs} ms after the trigger).`,
      `Trigger: ${cause}.`,
      `Why: ${trigger.why}.`,
      `Green had ${from ?? 'an unknown share (the traffic state was unreadable)'}${from === undefined ? '' : ' %'} of traffic; now blue alone serves it, stickiness off.`,
      '',
      'To resume, find and fix what broke green (the alarm\'s description says what to check first), then:',
      `  1. npx cdk deploy -c env=${envName} --parameters GreenPercent=0     (acknowledges this rollback)`,
      `  2. npx cdk deploy -c env=${envName} --parameters GreenPercent=${policy.steps[0]}`,
    ].join('\n');
    await this.aws(() => this.clients.sns.send(new PublishCommand({
      TopicArn: this.settings.criticalTopicArn,
      Subject: `BOOP ${envName}: green rolled back to blue`,
      Message: message,
    })));
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

  private aws<T>(call: () => Promise<T>): Promise<T> {
    return withThrottlingRetry(call, { sleep: this.hooks.sleep });
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
