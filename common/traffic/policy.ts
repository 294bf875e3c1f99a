import { ChangeKind, rollbackUnacknowledged, TrafficState } from './state';
import { LiveWeights, matchesShare } from './weights';

/** The configured rollout: green's steps and the bake at each (design: "Weights: one writer"). */
export interface RolloutPolicy {
  /** Green shares, strictly rising, ending at 100. */
  readonly steps: readonly number[];
  readonly bakeTimeHours: number;
}

/** What a deploy asks for. */
export interface DeployRequest {
  /** The GreenPercent parameter. */
  readonly intent: number;
  /** `-c rolloutOverride="<reason>"`: skips the step, bake and alarm-history checks for this deploy only. */
  readonly overrideReason?: string;
}

/**
 * Who sends a deploy event, as CloudFormation reports its own stack during the update: the user's
 * deploy (CREATE_IN_PROGRESS / UPDATE_IN_PROGRESS) or CloudFormation rolling a failed update back
 * (UPDATE_ROLLBACK_IN_PROGRESS), which puts the previous properties back.
 */
export type DeployOrigin = 'user-deploy' | 'cloudformation-rollback';

/** Facts about green and the rollback alarm, looked up only when green's live share is to rise. */
export interface RiseEvidence {
  readonly greenHealthyTargets: number;
  /** The rollback alarm exists and its state could be read. */
  readonly rollbackAlarmFound: boolean;
  /** The rollback alarm is in ALARM now. */
  readonly rollbackAlarmInAlarm: boolean;
  /** The rollback alarm entered ALARM at some point since green's current share began (stepStartedAt). */
  readonly rollbackAlarmFiredSinceStepStart: boolean;
}

/** Everything a deploy decision is made from. */
export interface DeployFacts {
  /** The record, as the controller last left it. */
  readonly state: TrafficState;
  /** The listener as it is now. */
  readonly live: LiveWeights;
  readonly request: DeployRequest;
  readonly origin: DeployOrigin;
}

export type Decision =
  | { readonly outcome: 'keep'; readonly why: string; readonly acknowledgesRollback: boolean }
  | { readonly outcome: 'change'; readonly to: number; readonly kind: ChangeKind; readonly why: string; readonly acknowledgesRollback: boolean }
  /** Refused; with `rollBack`, green's traffic was taken away without a record, so blue alone is written and recorded as a rollback. */
  | { readonly outcome: 'refuse'; readonly message: string; readonly rollBack?: string };

/** A change the rollout policy refused; its message says what, why and how to proceed. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** Which way a deploy moves green, judged against the share the controller last recorded. */
function direction(state: TrafficState, request: DeployRequest): 'same' | 'fall' | 'rise' {
  if (request.intent === state.greenPercent) return 'same';
  return request.intent < state.greenPercent ? 'fall' : 'rise';
}

/**
 * A rollback nobody recorded: the listener sends blue alone while the record gives green traffic
 * (the rollback's save failed, or an operator ran the manual `aws elbv2 modify-listener`).
 */
export function unrecordedRollback(state: TrafficState, live: LiveWeights): boolean {
  return live.blueAlone && state.greenPercent > 0 && !rollbackUnacknowledged(state);
}

/** True when the live listener gives green less than the record: a reset by CloudFormation, another writer, or a rollback. */
function liveBelowRecord(facts: DeployFacts): boolean {
  return facts.live.greenPercent < facts.state.greenPercent;
}

/** Whether the decision needs RiseEvidence: a rise past the record, or any raise of the live share after it fell below the record. */
export function needsEvidence(facts: DeployFacts): boolean {
  if (facts.origin === 'cloudformation-rollback' || rollbackUnacknowledged(facts.state)) return false;
  if (direction(facts.state, facts.request) === 'rise') return true;
  return liveBelowRecord(facts) && facts.request.intent > facts.live.greenPercent;
}

/**
 * Decides a deploy's GreenPercent (design: "Weights: one writer").
 * - CloudFormation's rollback of a failed update may lower green, never raise it, and never fails.
 * - After a rollback, green > 0 is refused until a deploy with GreenPercent=0 acknowledges it.
 * - A fall is allowed at once. A rise goes only to the next step, after the bake at the current one
 *   with no rollback alarm during it, and only to a green with a healthy target while the rollback
 *   alarm is readable and not in ALARM; an override skips step, bake and alarm history, never the rest.
 * - Putting back a share the listener lost (a reset, another writer) raises live traffic too: it needs
 *   a readable rollback alarm that is not in ALARM and did not fire since the share began; if it did,
 *   green lost its traffic to a rollback nobody recorded, and blue alone stays.
 */
export function decideDeploy(facts: DeployFacts, policy: RolloutPolicy, now: Date, evidence?: RiseEvidence): Decision {
  const { state, live, request } = facts;
  const { intent } = request;

  if (facts.origin === 'cloudformation-rollback') {
    return intent < live.greenPercent
      ? { outcome: 'change', to: intent, kind: 'restore', why: `CloudFormation rolled a failed deploy back to GreenPercent=${intent}`, acknowledgesRollback: false }
      : { outcome: 'keep', why: `CloudFormation rolled a failed deploy back; that never raises green, which stays at ${live.greenPercent} %`, acknowledgesRollback: false };
  }

  const rolledBack = rollbackUnacknowledged(state) ? state.lastRollback : undefined;
  if (rolledBack) {
    if (intent > 0) {
      return {
        outcome: 'refuse',
        message: `GreenPercent=${intent} refused: traffic was rolled back to blue at ${rolledBack.at} by ${rolledBack.trigger} (${rolledBack.why}). ` +
          `Nothing moves green again until the rollback is acknowledged: deploy once with --parameters GreenPercent=0, fix green, then start again at GreenPercent=${policy.steps[0]}.`,
      };
    }
    return matchesShare(live, 0)
      ? { outcome: 'keep', why: 'acknowledges the rollback; blue alone stays', acknowledgesRollback: true }
      : { outcome: 'change', to: 0, kind: 'deploy', why: 'acknowledges the rollback', acknowledgesRollback: true };
  }

  const way = direction(state, request);
  const raisesLive = intent > live.greenPercent && liveBelowRecord(facts);
  if (raisesLive) {
    if (!evidence) throw new Error('putting traffic back on green needs the evidence about the rollback alarm');
    const lost = `the listener gives green ${live.greenPercent} % but the record says ${state.greenPercent} %`;
    if (!evidence.rollbackAlarmFound) {
      return { outcome: 'refuse', message: `GreenPercent=${intent} refused (green stays at ${live.greenPercent} %): ${lost}, and the rollback alarm cannot be read, so nothing would roll green back; check that the stack deployed it, then deploy again.` };
    }
    if (evidence.rollbackAlarmInAlarm || evidence.rollbackAlarmFiredSinceStepStart) {
      const when = evidence.rollbackAlarmInAlarm ? 'is in ALARM' : `entered ALARM since green's share began (${state.stepStartedAt})`;
      return {
        outcome: 'refuse',
        rollBack: `${lost} and the rollback alarm ${when}: a rollback that was not recorded`,
        message: `GreenPercent=${intent} refused: ${lost} and the rollback alarm ${when}, so green lost its traffic to a rollback that was not recorded; ` +
          `blue alone stays. Find out why (the controller's logs, ROLLBACK_FAILED), deploy once with --parameters GreenPercent=0, then start again at GreenPercent=${policy.steps[0]}.`,
      };
    }
  }

  if (way === 'same') {
    return matchesShare(live, state.greenPercent)
      ? { outcome: 'keep', why: `green stays at ${state.greenPercent} %`, acknowledgesRollback: false }
      // CloudFormation rewrote the listener's action (aws/aws-cdk#36649), or something else wrote it: put the recorded weights back.
      : { outcome: 'change', to: state.greenPercent, kind: 'reapply', why: `the listener showed green ${live.greenPercent} %; re-applied the recorded ${state.greenPercent} %`, acknowledgesRollback: false };
  }
  if (way === 'fall') {
    return { outcome: 'change', to: intent, kind: 'deploy', why: `deploy lowered GreenPercent to ${intent}`, acknowledgesRollback: false };
  }

  if (!evidence) throw new Error('a rise needs the evidence about green');
  const problems: string[] = [];
  if (!request.overrideReason) problems.push(...riseProblems(state, intent, policy, now, evidence));
  // These hold even with an override: no traffic to a green that cannot serve it, or past a rollback alarm that is firing.
  if (evidence.greenHealthyTargets < 1) {
    problems.push('green has no healthy target: check the green service\'s tasks and its /health/boop before sending it traffic');
  }
  if (!evidence.rollbackAlarmFound) problems.push('the rollback alarm cannot be read, so nothing would roll green back; check that the stack deployed it');
  if (evidence.rollbackAlarmInAlarm) problems.push('the rollback alarm is in ALARM now');
  if (problems.length > 0) {
    const override = request.overrideReason ? '' : ' To skip the step, bake and alarm-history checks once, deploy with -c rolloutOverride="<reason>".';
    return {
      outcome: 'refuse',
      message: `GreenPercent=${intent} refused (green stays at ${live.greenPercent} %): ${problems.join('; ')}.${override}`,
    };
  }
  return request.overrideReason
    ? { outcome: 'change', to: intent, kind: 'override', why: `override: ${request.overrideReason}`, acknowledgesRollback: false }
    : { outcome: 'change', to: intent, kind: 'deploy', why: `rollout step ${state.greenPercent} → ${intent}`, acknowledgesRollback: false };
}

/** When the bake at the current step is over. */
export function bakeEndsAt(state: TrafficState, policy: RolloutPolicy): Date {
  return new Date(Date.parse(state.stepStartedAt) + policy.bakeTimeHours * 3_600_000);
}

/** The step after green's current share, or undefined at the last one. */
export function nextStep(current: number, policy: RolloutPolicy): number | undefined {
  return policy.steps.find((step) => step > current);
}

function riseProblems(state: TrafficState, intent: number, policy: RolloutPolicy, now: Date, evidence: RiseEvidence): string[] {
  const problems: string[] = [];
  const next = nextStep(state.greenPercent, policy);
  if (intent !== next) {
    problems.push(`green rises one step at a time (steps ${policy.steps.join(', ')}); from ${state.greenPercent} % the next step is ${next ?? 'none'}`);
  }
  // At 0 % green has served nothing, so there is no bake to wait for.
  if (state.greenPercent > 0) {
    const bakeEnds = bakeEndsAt(state, policy);
    if (now < bakeEnds) {
      problems.push(`the bake at ${state.greenPercent} % (${policy.bakeTimeHours} h from ${state.stepStartedAt}) is not over; the next step is allowed from ${bakeEnds.toISOString()}`);
    }
    if (evidence.rollbackAlarmFiredSinceStepStart && !evidence.rollbackAlarmInAlarm) {
      problems.push(`the rollback alarm was in ALARM during the bake at ${state.greenPercent} %; find out why before going further (a bake only counts without it)`);
    }
  }
  return problems;
}
