/**
 * The hands-free rollout (rollout.autoAdvance, docs/design.md "Hands-free rollout"): a deploy's
 * GreenPercent is a target, and a schedule's tick moves green one step toward it whenever a deploy
 * of that step would be accepted now. Every decision is the rollout policy's (policy.ts).
 */
import { bakeEndsAt, decideDeploy, DeployFacts, evidenceNeeded, EvidenceQuery, nextStep, RiseEvidence, RolloutPolicy } from './policy';
import { HandsFree, recordChange, rollbackUnacknowledged, TrafficState, WeightChange } from './state';
import { LiveWeights, matchesShare } from './weights';

/** How often the schedule ticks: a step waits at most this long after its bake is over. */
export const TICK_INTERVAL_MINUTES = 15;

/** Who moves green at a tick, in the record. */
export const HANDS_FREE_BY = 'hands-free rollout (schedule)';

/** What a tick reads besides the record and the listener. */
export interface TickFacts {
  readonly stored: TrafficState;
  readonly live: LiveWeights;
  readonly listenerArn: string;
  /** The stack's status as CloudFormation reports it: an update in progress makes a tick wait, a failed one stops it. */
  readonly stackStatus: string;
  readonly now: Date;
}

/**
 * A tick's decision: nothing to do; wait (nothing failed: the bake, a deploy in progress); advance
 * green one step; or stop, because a check a deploy of the next step would fail did fail. `record`,
 * when present, is saved (a wait records its reason only when it changes).
 */
export type TickDecision =
  | { readonly outcome: 'nothing'; readonly why: string }
  | { readonly outcome: 'wait'; readonly why: string; readonly record?: TrafficState }
  | { readonly outcome: 'advance'; readonly change: WeightChange; readonly record: TrafficState }
  | { readonly outcome: 'stop'; readonly why: string; readonly record: TrafficState };

/** The manual deploy a tick stands in for: the next step toward the target, as a deploy of that step would ask. */
function nextStepDeploy(facts: TickFacts, next: number): DeployFacts {
  const { stored, live, listenerArn, now } = facts;
  return { stored, live, listenerArn, now, request: { intent: next }, origin: 'user-deploy', requestedBy: HANDS_FREE_BY };
}

/** The step a tick would take, or why it takes none before looking at any evidence. */
function candidate(
  facts: TickFacts,
  policy: RolloutPolicy,
): { readonly next: number; readonly target: number } | { readonly idle: string; readonly wait?: boolean } {
  const { stored: state, live } = facts;
  const handsFree = state.handsFree;
  if (!policy.autoAdvance || handsFree === undefined || handsFree.target <= state.greenPercent) {
    return { idle: `no target above green's ${state.greenPercent} %` };
  }
  if (rollbackUnacknowledged(state)) return { idle: 'a rollback waits for its acknowledgement (a deploy with GreenPercent=0); the target is void until then' };
  if (handsFree.stopped) return { idle: `stopped: ${handsFree.stopped.why} (npm run rollout -- resume)` };
  // A record of another listener belongs to a deleted stack: this stack's first deploy starts afresh (policy.ts forThisListener).
  if (state.listenerArn !== undefined && state.listenerArn !== facts.listenerArn) return { idle: "the record belongs to another stack's listener" };
  if (/_FAILED$/.test(facts.stackStatus)) return { idle: `the stack is ${facts.stackStatus}; a deploy that completes comes first` };
  if (/_IN_PROGRESS$/.test(facts.stackStatus)) return { idle: 'a deploy is in progress', wait: true };
  if (!matchesShare(live, state.greenPercent)) {
    return {
      idle: `the listener gives green ${live.greenPercent} % but the record says ${state.greenPercent} %; the next deploy puts the record's share back`,
      wait: true,
    };
  }
  const next = nextStep(state.greenPercent, policy)!;
  // The steps changed under a walk (a deploy that did not run the weights): never past the target.
  if (next > handsFree.target) return { idle: `the next step, ${next} %, is above the target ${handsFree.target} %; deploy a target that is one of the steps` };
  return { next, target: handsFree.target };
}

/** What a tick must look up before deciding, as a deploy of the next step would; undefined when it will not look. */
export function tickEvidenceNeeded(facts: TickFacts, policy: RolloutPolicy): EvidenceQuery | undefined {
  const step = candidate(facts, policy);
  return 'next' in step ? evidenceNeeded(nextStepDeploy(facts, step.next)) : undefined;
}

/**
 * A tick (design: "Hands-free rollout"): green moves one step toward the target exactly when the
 * rollout policy would accept a deploy of that step now (decideDeploy, without the target's rules),
 * so a duplicated, late or forged tick can move nothing a deploy could not. A bake not yet over is
 * a wait; any other refusal stops the walk until `rollout resume` or a deploy raises the target.
 */
export function decideTick(facts: TickFacts, policy: RolloutPolicy, evidence?: RiseEvidence): TickDecision {
  const { stored: state, now } = facts;
  const step = candidate(facts, policy);
  const at = now.toISOString();
  if ('idle' in step) {
    if (!step.wait) return { outcome: 'nothing', why: step.idle };
    return waiting(state, step.idle, at);
  }
  const { next, target } = step;
  const decision = decideDeploy(nextStepDeploy(facts, next), { ...policy, autoAdvance: false }, evidence);
  if (decision.outcome === 'change' && decision.change.to === next) {
    const change: WeightChange = {
      ...decision.change,
      by: HANDS_FREE_BY,
      kind: 'advance',
      why: `hands-free rollout: step ${state.greenPercent} → ${next} % (target ${target} %); ${evidenceInWords(state, policy, evidence)}`,
    };
    const handsFree: HandsFree = { target };
    return { outcome: 'advance', change, record: recordChange({ ...state, listenerArn: facts.listenerArn, handsFree }, change) };
  }
  const refusal =
    decision.outcome === 'refuse'
      ? decision.message.replace(/ To skip the step, bake and alarm-history checks once, .*$/, '')
      : `the policy answered ${decision.outcome === 'keep' ? decision.why : `a change to ${decision.change.to} %`}`;
  const bakeEnds = bakeEndsAt(state, policy);
  const clean =
    evidence !== undefined &&
    evidence.greenHealthyTargets > 0 &&
    evidence.rollbackAlarmFound &&
    !evidence.rollbackAlarmInAlarm &&
    !evidence.rollbackAlarmFiredSinceStepStart;
  if (state.greenPercent > 0 && now < bakeEnds && clean) {
    return waiting(state, `the bake at ${state.greenPercent} % is over at ${bakeEnds.toISOString()}; then green moves to ${next} %`, at);
  }
  const why = `the step to ${next} % would be refused: ${refusal}`;
  return { outcome: 'stop', why, record: { ...state, handsFree: { target, stopped: { at, by: HANDS_FREE_BY, why } } } };
}

/** The evidence an advance used, as the record keeps it. */
function evidenceInWords(state: TrafficState, policy: RolloutPolicy, evidence: RiseEvidence | undefined): string {
  const bake = state.greenPercent > 0 ? `bake over at ${bakeEndsAt(state, policy).toISOString()}` : 'no bake at 0 %';
  const quiet = state.greenPercent > 0 ? `, quiet since ${state.stepStartedAt}` : '';
  return `${bake}, ${evidence?.greenHealthyTargets ?? 0} healthy green targets, rollback alarm readable and not in ALARM${quiet}`;
}

/** A wait, recorded only when its reason is new (a tick every few minutes must not rewrite the record). */
function waiting(state: TrafficState, why: string, at: string): TickDecision {
  const handsFree = state.handsFree!;
  if (handsFree.waiting?.why === why) return { outcome: 'wait', why };
  return { outcome: 'wait', why, record: { ...state, handsFree: { ...handsFree, waiting: { at, by: HANDS_FREE_BY, why } } } };
}

/** A pause (`rollout pause`): the walk stops where it is until `rollout resume`; nothing else changes. */
export function pause(state: TrafficState, by: string, reason: string, now: Date): TrafficState | undefined {
  const handsFree = state.handsFree;
  // Already stopped: the first stop's reason stays, as it says what to fix.
  if (!handsFree || handsFree.target <= state.greenPercent || handsFree.stopped) return undefined;
  return { ...state, handsFree: { target: handsFree.target, stopped: { at: now.toISOString(), by, why: `paused: ${reason}` } } };
}

/** A resume (`rollout resume`): the walk goes on at the next tick, whose checks are a deploy's. */
export function resume(state: TrafficState): TrafficState | undefined {
  const handsFree = state.handsFree;
  // A walk that only waits (the bake) goes on by itself.
  if (!handsFree?.stopped) return undefined;
  return { ...state, handsFree: { target: handsFree.target } };
}
