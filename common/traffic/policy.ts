/**
 * The rollout policy: every decision about green's share, as a pure function of what the controller
 * read (the record, the live listener, green's health and the rollback alarm) and what a deploy asks.
 * The controller only reads, asks `decideDeploy`, writes and records (design: "Weights: one writer").
 */
import { ChangeKind, HandsFree, initialState, recordChange, recordRollback, rollbackUnacknowledged, TrafficState, WeightChange } from './state';
import { LiveWeights, matchesShare } from './weights';

const HOUR_MS = 3_600_000;
/** The rollback trigger recorded when a deploy finds green's traffic gone without a record. */
export const FOUND_BY_A_DEPLOY = 'found by a deploy';

/** The configured rollout: green's steps and the bake at each (design: "Weights: one writer"). */
export interface RolloutPolicy {
  /** Green shares, strictly rising, ending at 100. */
  readonly steps: readonly number[];
  /** How long green serves a step, without the rollback alarm, before the next step is allowed. */
  readonly bakeTimeHours: number;
  /** rollout.autoAdvance: a deploy's GreenPercent is a target the controller walks green to, a step at a time (hands-free.ts). @default false */
  readonly autoAdvance?: boolean;
}

/** What a deploy asks for. */
export interface DeployRequest {
  /** The GreenPercent parameter. */
  readonly intent: number;
  /** `-c rolloutOverride="<reason>"`: skips the step, bake and alarm-history checks for this deploy only. @default none */
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
  /** Green's targets that pass the health check now. */
  readonly greenHealthyTargets: number;
  /** The rollback alarm exists and its state could be read. */
  readonly rollbackAlarmFound: boolean;
  /** The rollback alarm is in ALARM now. */
  readonly rollbackAlarmInAlarm: boolean;
  /** The rollback alarm entered ALARM at some point since EvidenceQuery.alarmHistorySince. */
  readonly rollbackAlarmFiredSinceStepStart: boolean;
}

/** Everything a deploy is decided from: what the controller read, and who asks for what. */
export interface DeployFacts {
  /** The record as the controller last left it (the initial state when there is none). */
  readonly stored: TrafficState;
  /** The listener as it is now. */
  readonly live: LiveWeights;
  /** The listener the controller writes; a record of another one belongs to a deleted stack. */
  readonly listenerArn: string;
  readonly request: DeployRequest;
  readonly origin: DeployOrigin;
  /** A Create: a new custom resource, perhaps on a new stack. @default false */
  readonly created?: boolean;
  /** Who asks, for the record: the CloudFormation stack. */
  readonly requestedBy: string;
  /** When the controller read the facts; the bake is measured to here and changes are stamped with it. */
  readonly now: Date;
}

/** What to look up before deciding: green's health and the rollback alarm's state, and its history from here. */
export interface EvidenceQuery {
  /** Whether the rollback alarm entered ALARM from here to now counts; absent at 0 %, where green has served nothing. */
  readonly alarmHistorySince?: Date;
}

/**
 * A deploy's decision, in the order the controller carries it out: write the listener (and read it
 * back), then save the record, then answer. `foundRollback` says why green's traffic was found taken
 * away without a record, when the decision records that as a rollback.
 */
export type DeployDecision =
  /** The listener stays as it is; `record` when the record changes all the same (an acknowledgement, a new listener). */
  | { readonly outcome: 'keep'; readonly why: string; readonly record?: TrafficState; readonly foundRollback?: string }
  /** Write green's share `change.to`, verify it, then save `record`. */
  | { readonly outcome: 'change'; readonly change: WeightChange; readonly record: TrafficState; readonly foundRollback?: string }
  /** Refused with `message`; with `putBlueAlone` blue alone is written first; then `record`, if any, is saved. */
  | { readonly outcome: 'refuse'; readonly message: string; readonly putBlueAlone: boolean; readonly record?: TrafficState; readonly foundRollback?: string };

/** A change the rollout policy refused; its message says what, why and how to proceed. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** The record a deploy is judged against, and whether a rollback nobody recorded was found on the way. */
export interface StartingPoint {
  readonly state: TrafficState;
  readonly foundRollback?: string;
}

/** What the starting record depends on: the same for the weights and the release guard. */
export type StartingFacts = Pick<DeployFacts, 'stored' | 'live' | 'listenerArn' | 'origin' | 'created' | 'requestedBy' | 'now'>;

/** The policy's verdict before it becomes a plan of writes and records. */
type Verdict =
  | { readonly outcome: 'keep'; readonly why: string; readonly acknowledgesRollback: boolean }
  | { readonly outcome: 'change'; readonly to: number; readonly kind: ChangeKind; readonly why: string; readonly acknowledgesRollback: boolean }
  /** With `rollBack`, green's traffic was taken away without a record: blue alone stays and is recorded as a rollback. */
  | { readonly outcome: 'refuse'; readonly message: string; readonly rollBack?: string };

/**
 * Whether the decision needs RiseEvidence, and from when the alarm's history counts: a rise past the
 * record, or any raise of the live share after it fell below the record. Falls, restores and
 * deploys after a rollback never need it.
 */
export function evidenceNeeded(facts: DeployFacts): EvidenceQuery | undefined {
  const { state } = startingPoint(facts);
  const { live, request } = facts;
  if (facts.origin === 'cloudformation-rollback' || rollbackUnacknowledged(state)) return undefined;
  const rise = request.intent > state.greenPercent;
  const raisesLive = live.greenPercent < state.greenPercent && request.intent > live.greenPercent;
  if (!rise && !raisesLive) return undefined;
  // At 0 % green has served nothing, so no alarm history counts against it.
  return state.greenPercent > 0 ? { alarmHistorySince: new Date(state.stepStartedAt) } : {};
}

/**
 * Decides a deploy's GreenPercent (design: "Weights: one writer"). `evidence` answers `evidenceNeeded`.
 * - A new custom resource on a listener the record does not know (a new stack) starts a new rollout, keeping the history.
 * - CloudFormation's rollback of a failed update may lower green, never raise it, and never fails.
 * - A user's deploy that finds blue alone while the record gives green traffic records a rollback nobody recorded.
 * - After a rollback, green > 0 is refused until a deploy with GreenPercent=0 acknowledges it.
 * - A fall is allowed at once. A rise goes only to the next step, after the bake at the current one
 *   with no rollback alarm during it, and only to a green with a healthy target while the rollback
 *   alarm is readable and not in ALARM; an override skips step, bake and alarm history, never the rest.
 * - Putting back a share the listener lost (a reset, another writer) raises live traffic too: it needs
 *   a readable rollback alarm that is not in ALARM and did not fire since the share began; if it did,
 *   green lost its traffic to a rollback nobody recorded, and blue alone stays.
 */
export function decideDeploy(facts: DeployFacts, policy: RolloutPolicy, evidence?: RiseEvidence): DeployDecision {
  const start = startingPoint(facts);
  return plan(judge(start.state, facts, policy, evidence), start, facts, policy);
}

/**
 * Why a GreenPercent above 0 is refused while a rollback is unacknowledged (the release guard says
 * it before ECS touches a service, the weights again after); undefined when nothing is refused.
 */
export function unacknowledgedRollbackRefusal(state: TrafficState, intent: number, policy: RolloutPolicy): string | undefined {
  const rolledBack = rollbackUnacknowledged(state) ? state.lastRollback : undefined;
  if (!rolledBack || intent === 0) return undefined;
  return (
    `GreenPercent=${intent} refused: traffic was rolled back to blue at ${rolledBack.at} by ${rolledBack.trigger} (${rolledBack.why}). ` +
    `Nothing moves green again until the rollback is acknowledged: deploy once with --parameters GreenPercent=0, fix green, then start again at GreenPercent=${policy.steps[0]}.`
  );
}

/**
 * The record as it stands for this listener: a new custom resource on a listener the record does
 * not know (a new stack after a deleted one) starts afresh, keeping only the history of changes.
 */
export function forThisListener(stored: TrafficState, listenerArn: string, created: boolean, now: Date): TrafficState {
  return created && stored.listenerArn !== listenerArn ? { ...initialState(now), changes: stored.changes } : stored;
}

/** When the bake at the current step is over. */
export function bakeEndsAt(state: TrafficState, policy: RolloutPolicy): Date {
  return new Date(Date.parse(state.stepStartedAt) + policy.bakeTimeHours * HOUR_MS);
}

/** The step after green's current share, or undefined at the last one. */
export function nextStep(current: number, policy: RolloutPolicy): number | undefined {
  return policy.steps.find((step) => step > current);
}

/**
 * Whether an alarm's event belongs to an episode that already rolled back (a duplicate or late
 * event); a manual rollback always runs. The event's time is compared with the last episode's own
 * (both CloudWatch's clock), not with when the function recorded it, so no clock skew can hide a new episode.
 */
export function alreadyRolledBack(state: TrafficState, trigger: string, triggeredAt: Date): boolean {
  const last = state.lastRollback;
  return last !== undefined && trigger !== 'manual' && triggeredAt.getTime() <= Date.parse(last.triggeredAt);
}

/**
 * The record a deploy is judged against. A new custom resource on a listener the record does not
 * know (a new stack after a deleted one) starts a new rollout, keeping only the history; on the same
 * listener (a renamed resource) everything is kept, an unacknowledged rollback included. A user's
 * deploy that finds blue alone while the record gives green traffic (the rollback's save failed, or
 * an operator ran `aws elbv2 modify-listener`) records that as a rollback first.
 */
export function startingPoint(facts: StartingFacts): StartingPoint {
  const { stored, live, now } = facts;
  const state = forThisListener(stored, facts.listenerArn, facts.created === true, now);
  if (facts.origin !== 'user-deploy' || !live.blueAlone || state.greenPercent === 0 || rollbackUnacknowledged(state)) return { state };
  const why = `the listener sent blue alone while the record said green ${state.greenPercent} %: a rollback that was not recorded`;
  return { state: foundRollback(state, facts, why, state.greenPercent), foundRollback: why };
}

/** What the policy allows, judged against the starting record. */
function judge(state: TrafficState, facts: DeployFacts, policy: RolloutPolicy, evidence: RiseEvidence | undefined): Verdict {
  const { live, request } = facts;
  const { intent } = request;

  if (facts.origin === 'cloudformation-rollback') {
    return intent < live.greenPercent
      ? {
          outcome: 'change',
          to: intent,
          kind: 'restore',
          why: `CloudFormation rolled a failed deploy back to GreenPercent=${intent}`,
          acknowledgesRollback: false,
        }
      : {
          outcome: 'keep',
          why: `CloudFormation rolled a failed deploy back; that never raises green, which stays at ${live.greenPercent} %`,
          acknowledgesRollback: false,
        };
  }

  if (rollbackUnacknowledged(state)) {
    const refusal = unacknowledgedRollbackRefusal(state, intent, policy);
    if (refusal) return { outcome: 'refuse', message: refusal };
    return matchesShare(live, 0)
      ? { outcome: 'keep', why: 'acknowledges the rollback; blue alone stays', acknowledgesRollback: true }
      : { outcome: 'change', to: 0, kind: 'deploy', why: 'acknowledges the rollback', acknowledgesRollback: true };
  }

  const raisesLive = intent > live.greenPercent && live.greenPercent < state.greenPercent;
  if (raisesLive) {
    const refusal = reapplyRefusal(state, facts, policy, requireEvidence(evidence, 'putting traffic back on green'));
    if (refusal) return refusal;
  }

  if (policy.autoAdvance && intent > state.greenPercent) return towardTarget(state, facts, policy, requireEvidence(evidence, 'a rise'));

  if (intent === state.greenPercent) {
    return matchesShare(live, state.greenPercent)
      ? { outcome: 'keep', why: `green stays at ${state.greenPercent} %`, acknowledgesRollback: false }
      : // CloudFormation rewrote the listener's action (aws/aws-cdk#36649), or something else wrote it: put the recorded weights back.
        {
          outcome: 'change',
          to: state.greenPercent,
          kind: 'reapply',
          why: `the listener showed green ${live.greenPercent} %; re-applied the recorded ${state.greenPercent} %`,
          acknowledgesRollback: false,
        };
  }
  if (intent < state.greenPercent) {
    return { outcome: 'change', to: intent, kind: 'deploy', why: `deploy lowered GreenPercent to ${intent}`, acknowledgesRollback: false };
  }
  return rise(state, facts, policy, requireEvidence(evidence, 'a rise'));
}

/**
 * The re-apply guard: putting back a share the listener lost raises live traffic, so the rollback
 * alarm must be readable, not in ALARM and not have fired since the share began; if it fired, the
 * share went to a rollback nobody recorded and blue alone stays. Undefined when the raise may go on.
 */
function reapplyRefusal(state: TrafficState, facts: DeployFacts, policy: RolloutPolicy, evidence: RiseEvidence): Verdict | undefined {
  const {
    live,
    request: { intent },
  } = facts;
  const lost = `the listener gives green ${live.greenPercent} % but the record says ${state.greenPercent} %`;
  if (!evidence.rollbackAlarmFound) {
    return {
      outcome: 'refuse',
      message: `GreenPercent=${intent} refused (green stays at ${live.greenPercent} %): ${lost}, and the rollback alarm cannot be read, so nothing would roll green back; check that the stack deployed it, then deploy again.`,
    };
  }
  if (!evidence.rollbackAlarmInAlarm && !evidence.rollbackAlarmFiredSinceStepStart) return undefined;
  const when = evidence.rollbackAlarmInAlarm ? 'is in ALARM' : `entered ALARM since green's share began (${state.stepStartedAt})`;
  return {
    outcome: 'refuse',
    rollBack: `${lost} and the rollback alarm ${when}: a rollback that was not recorded`,
    message:
      `GreenPercent=${intent} refused: ${lost} and the rollback alarm ${when}, so green lost its traffic to a rollback that was not recorded; ` +
      `blue alone stays. Find out why (the controller's logs, ROLLBACK_FAILED), deploy once with --parameters GreenPercent=0, then start again at GreenPercent=${policy.steps[0]}.`,
  };
}

/** A rise past the record: the next step after a clean bake, or anything with an override; never to an unhealthy green or past a firing alarm. */
function rise(state: TrafficState, facts: DeployFacts, policy: RolloutPolicy, evidence: RiseEvidence): Verdict {
  const { live, request } = facts;
  const { intent, overrideReason } = request;
  const problems: string[] = overrideReason ? [] : stepProblems(state, intent, policy, facts.now, evidence);
  // These hold even with an override: no traffic to a green that cannot serve it, or past a rollback alarm that is firing.
  if (evidence.greenHealthyTargets < 1) {
    problems.push("green has no healthy target: check the green service's tasks and its /health/boop before sending it traffic");
  }
  if (!evidence.rollbackAlarmFound) problems.push('the rollback alarm cannot be read, so nothing would roll green back; check that the stack deployed it');
  if (evidence.rollbackAlarmInAlarm) problems.push('the rollback alarm is in ALARM now');
  if (problems.length > 0) {
    const override = overrideReason ? '' : ' To skip the step, bake and alarm-history checks once, deploy with -c rolloutOverride="<reason>".';
    return { outcome: 'refuse', message: `GreenPercent=${intent} refused (green stays at ${live.greenPercent} %): ${problems.join('; ')}.${override}` };
  }
  return overrideReason
    ? { outcome: 'change', to: intent, kind: 'override', why: `override: ${overrideReason}`, acknowledgesRollback: false }
    : { outcome: 'change', to: intent, kind: 'deploy', why: `rollout step ${state.greenPercent} → ${intent}`, acknowledgesRollback: false };
}

/**
 * A deploy's GreenPercent as a hands-free rollout's target (rollout.autoAdvance): one of the steps.
 * The target the record already has leaves green where the ticks put it; a new one is accepted when
 * its first step is (the same rise as a deploy of that step), which green then serves. An override
 * goes to the target at once, as it goes to any share.
 */
function towardTarget(state: TrafficState, facts: DeployFacts, policy: RolloutPolicy, evidence: RiseEvidence): Verdict {
  const { live, request } = facts;
  const { intent, overrideReason } = request;
  if (!policy.steps.includes(intent)) {
    return {
      outcome: 'refuse',
      message: `GreenPercent=${intent} refused (green stays at ${live.greenPercent} %): with rollout.autoAdvance it is the target green is walked to, one of the steps (${policy.steps.join(', ')}).`,
    };
  }
  if (intent < (state.handsFree?.target ?? 0) && !overrideReason) {
    // A lower target stops the walk where green is (targetSet records why); it never moves green up, and puts back a share the listener lost.
    const stops = `the target is lowered to ${intent} %; green stays at ${state.greenPercent} % and the hands-free rollout stops`;
    return matchesShare(live, state.greenPercent)
      ? { outcome: 'keep', why: stops, acknowledgesRollback: false }
      : {
          outcome: 'change',
          to: state.greenPercent,
          kind: 'reapply',
          why: `${stops}; re-applied the recorded ${state.greenPercent} %`,
          acknowledgesRollback: false,
        };
  }
  if (intent === state.handsFree?.target && !overrideReason) {
    const walking = `the target stays at ${intent} %; green serves ${state.greenPercent} % and the hands-free rollout walks on`;
    return matchesShare(live, state.greenPercent)
      ? { outcome: 'keep', why: walking, acknowledgesRollback: false }
      : // The listener lost the recorded share (a listener update, another writer): put it back, as a deploy of that share would.
        {
          outcome: 'change',
          to: state.greenPercent,
          kind: 'reapply',
          why: `${walking}; re-applied the recorded ${state.greenPercent} %`,
          acknowledgesRollback: false,
        };
  }
  const first = overrideReason ? intent : nextStep(state.greenPercent, policy)!;
  const verdict = rise(state, { ...facts, request: { ...request, intent: first } }, policy, evidence);
  if (verdict.outcome !== 'refuse' || first === intent) return verdict;
  // rise()'s override hint would send green to the target at once: say how to let the one step through instead.
  const refusal = verdict.message.replace(
    / To skip the step, bake and alarm-history checks once, .*$/,
    ` To let this one step through once, deploy GreenPercent=${first} with -c rolloutOverride="<reason>", then, once that step's bake is over, the target again (an override with the target itself goes straight to ${intent} %).`,
  );
  return { ...verdict, message: `GreenPercent=${intent} is a target (rollout.autoAdvance), and its first step is refused: ${refusal}` };
}

/** What an override skips: one step at a time, the bake, and a bake without the rollback alarm. */
function stepProblems(state: TrafficState, intent: number, policy: RolloutPolicy, now: Date, evidence: RiseEvidence): string[] {
  const problems: string[] = [];
  const next = nextStep(state.greenPercent, policy);
  if (intent !== next) {
    problems.push(`green rises one step at a time (steps ${policy.steps.join(', ')}); from ${state.greenPercent} % the next step is ${next ?? 'none'}`);
  }
  // At 0 % green has served nothing, so there is no bake to wait for.
  if (state.greenPercent > 0) {
    const bakeEnds = bakeEndsAt(state, policy);
    if (now < bakeEnds) {
      problems.push(
        `the bake at ${state.greenPercent} % (${policy.bakeTimeHours} h from ${state.stepStartedAt}) is not over; the next step is allowed from ${bakeEnds.toISOString()}`,
      );
    }
    if (evidence.rollbackAlarmFiredSinceStepStart && !evidence.rollbackAlarmInAlarm) {
      problems.push(
        `the rollback alarm was in ALARM during the bake at ${state.greenPercent} %; find out why before going further (a bake only counts without it)`,
      );
    }
  }
  return problems;
}

/**
 * A hands-free rollout after a deploy that asked for `target` and left green at `share`: a higher
 * target starts afresh (its stop and wait cleared), the same one changes nothing, a lower one above
 * green's share stops the walk until `rollout resume`; one green already serves leaves nothing to walk.
 */
function targetSet(handsFree: HandsFree | undefined, target: number, share: number, by: string, at: string): HandsFree {
  const before = handsFree?.target ?? 0;
  if (target > before || handsFree === undefined || target <= share) return { target };
  if (target === before) return handsFree;
  return { target, stopped: { at, by, why: `a deploy lowered the target from ${before} % to ${target} %` } };
}

/** The verdict as the controller carries it out: what to write, then what to record. */
function plan(verdict: Verdict, start: StartingPoint, facts: DeployFacts, policy: RolloutPolicy): DeployDecision {
  const { stored, live, request, listenerArn, requestedBy: by, now } = facts;
  const { state, foundRollback: found } = start;
  if (verdict.outcome === 'refuse') {
    if (verdict.rollBack) {
      return {
        outcome: 'refuse',
        message: verdict.message,
        putBlueAlone: !matchesShare(live, 0),
        record: foundRollback(state, facts, verdict.rollBack, live.greenPercent),
        foundRollback: verdict.rollBack,
      };
    }
    return { outcome: 'refuse', message: verdict.message, putBlueAlone: false, record: state === stored ? undefined : state, foundRollback: found };
  }
  const at = now.toISOString();
  let next: TrafficState = { ...state, intent: request.intent, listenerArn };
  if (policy.autoAdvance && facts.origin === 'user-deploy') {
    const share = verdict.outcome === 'change' ? verdict.to : state.greenPercent;
    next = { ...next, handsFree: targetSet(state.handsFree, request.intent, share, by, at) };
  } else if (policy.autoAdvance && next.handsFree && request.intent < next.handsFree.target) {
    // CloudFormation's rollback of a failed deploy puts the previous GreenPercent back, never a higher target than the record's;
    // what the failed deploy started stops until the operator says to walk on.
    const stopped = { at, by, why: `CloudFormation rolled a failed deploy back to GreenPercent=${request.intent}` };
    next = { ...next, handsFree: request.intent > state.greenPercent ? { target: request.intent, stopped } : { target: request.intent } };
  } else if (!policy.autoAdvance && next.handsFree) {
    // A deploy without rollout.autoAdvance drops a target left from when it was on, so turning it on again never revives one.
    next = { ...next, handsFree: undefined };
  }
  if (verdict.acknowledgesRollback && next.lastRollback) next = { ...next, lastRollback: { ...next.lastRollback, acknowledgedAt: at } };
  if (verdict.outcome === 'change') {
    const change: WeightChange = { at, by, why: verdict.why, from: live.greenPercent, to: verdict.to, kind: verdict.kind };
    return { outcome: 'change', change, record: recordChange(next, change), foundRollback: found };
  }
  const unchanged = JSON.stringify(next) === JSON.stringify(stored);
  return { outcome: 'keep', why: verdict.why, record: unchanged ? undefined : next, foundRollback: found };
}

/** The record after a deploy found green's traffic gone to a rollback nobody recorded. */
function foundRollback(state: TrafficState, facts: StartingFacts, why: string, fromGreenPercent: number): TrafficState {
  const at = facts.now.toISOString();
  return recordRollback(state, { trigger: FOUND_BY_A_DEPLOY, why, by: facts.requestedBy, fromGreenPercent, at, triggeredAt: at });
}

function requireEvidence(evidence: RiseEvidence | undefined, what: string): RiseEvidence {
  // A programming error, not a user's: evidenceNeeded says when the controller must look.
  if (!evidence) throw new Error(`${what} needs the evidence about green and the rollback alarm (see evidenceNeeded)`);
  return evidence;
}
