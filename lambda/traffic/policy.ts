import { ChangeKind, rollbackUnacknowledged, TrafficState } from './state';

/** The configured rollout: green's steps and the bake at each (DESIGN "Weights: one writer"). */
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

/** Facts about green that a rise needs, looked up only when green is to rise. */
export interface RiseEvidence {
  readonly greenHealthyTargets: number;
  /** The rollback alarm exists and its state could be read. */
  readonly rollbackAlarmFound: boolean;
  /** The rollback alarm is in ALARM now. */
  readonly rollbackAlarmInAlarm: boolean;
  /** The rollback alarm entered ALARM at some point since the current step started. */
  readonly rollbackAlarmFiredDuringBake: boolean;
}

export type Decision =
  | { readonly outcome: 'keep'; readonly acknowledgesRollback: boolean }
  | { readonly outcome: 'change'; readonly to: number; readonly kind: ChangeKind; readonly why: string; readonly acknowledgesRollback: boolean }
  | { readonly outcome: 'refuse'; readonly message: string };

/** Which way a deploy moves green, judged against the weight the controller last verified. */
export function direction(state: TrafficState, request: DeployRequest): 'same' | 'fall' | 'rise' {
  if (request.intent === state.greenPercent) return 'same';
  return request.intent < state.greenPercent ? 'fall' : 'rise';
}

/**
 * Decides a deploy's GreenPercent. A fall is always allowed at once. A rise goes only to the next
 * step, after the bake at the current one with no rollback alarm during it, and only to a green
 * with a healthy target while the rollback alarm is readable and not in ALARM; an override skips
 * the step, bake and alarm-history checks, never the last three. After a rollback, green > 0 is
 * refused until a deploy with GreenPercent=0 acknowledges it.
 */
export function decideDeploy(state: TrafficState, request: DeployRequest, policy: RolloutPolicy, now: Date, evidence?: RiseEvidence): Decision {
  const { intent } = request;
  const rolledBack = rollbackUnacknowledged(state) ? state.lastRollback : undefined;
  if (rolledBack && intent > 0) {
    return {
      outcome: 'refuse',
      message: `GreenPercent=${intent} refused: traffic was rolled back to blue at ${rolledBack.at} by ${rolledBack.trigger} (${rolledBack.why}). ` +
        `Nothing moves green again until the rollback is acknowledged: deploy once with --parameters GreenPercent=0, fix green, then start again at GreenPercent=${policy.steps[0]}.`,
    };
  }
  const acknowledgesRollback = rolledBack !== undefined;
  const way = direction(state, request);
  if (way === 'same') return { outcome: 'keep', acknowledgesRollback };
  if (way === 'fall') {
    return { outcome: 'change', to: intent, kind: 'deploy', why: `deploy lowered GreenPercent to ${intent}`, acknowledgesRollback };
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
      message: `GreenPercent=${intent} refused (green stays at ${state.greenPercent} %): ${problems.join('; ')}.${override}`,
    };
  }
  return request.overrideReason
    ? { outcome: 'change', to: intent, kind: 'override', why: `override: ${request.overrideReason}`, acknowledgesRollback }
    : { outcome: 'change', to: intent, kind: 'deploy', why: `rollout step ${state.greenPercent} → ${intent}`, acknowledgesRollback };
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
    if (evidence.rollbackAlarmFiredDuringBake && !evidence.rollbackAlarmInAlarm) {
      problems.push(`the rollback alarm was in ALARM during the bake at ${state.greenPercent} %; find out why before going further (a bake only counts without it)`);
    }
  }
  return problems;
}
