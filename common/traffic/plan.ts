/**
 * `rollout plan`: what a deploy would do, judged by the same policy code the controller runs at the
 * two points of a deploy (the release guard before ECS, the weights after), on what is live now.
 */
import { GREEN_PERCENT_PARAMETER } from '../names';
import { decideDeploy, DeployFacts, evidenceNeeded, EvidenceQuery, RiseEvidence, RolloutPolicy } from './policy';
import { decideRelease, ReleaseRequest } from './release';
import { rollbackUnacknowledged, TrafficState } from './state';
import { LiveWeights } from './weights';

/** Who a plan's decisions are stamped with; nothing is saved. */
const PLANNER = 'rollout plan';

/** What a plan is made from: the record, the listener and the evidence, as the controller would read them now. */
export interface PlanFacts {
  readonly stored: TrafficState;
  readonly live: LiveWeights;
  readonly listenerArn: string;
  /** The deploy: images (the current ones where it names none), GreenPercent and override. */
  readonly request: ReleaseRequest;
  /** rollout.releaseGuard of the deployed stack. */
  readonly guarded: boolean;
  readonly now: Date;
  /** Read with `planEvidenceQuery`. */
  readonly evidence: RiseEvidence;
}

/** A deploy's plan: accepted or not, what happens in order, and the refusal the deploy would get. */
export interface DeployPlan {
  readonly accepted: boolean;
  readonly steps: readonly string[];
  /** The refusal, word for word as the deploy would fail with it. */
  readonly refusal?: string;
}

/** The evidence a plan needs: everything either decision could ask for. */
export function planEvidenceQuery(stored: TrafficState): EvidenceQuery {
  return stored.greenPercent > 0 ? { alarmHistorySince: new Date(stored.stepStartedAt) } : {};
}

/** What the deploy would do: the release guard's decision, then the weights' on the record the guard leaves. */
export function planDeploy(facts: PlanFacts, policy: RolloutPolicy): DeployPlan {
  const { stored, live, listenerArn, request, guarded, now, evidence } = facts;
  const release = decideRelease({ stored, live, listenerArn, request, origin: 'user-deploy', guarded, requestedBy: PLANNER, now }, policy, evidence);
  if (release.outcome === 'refuse') {
    return { accepted: false, steps: ['the release guard refuses the deploy before ECS touches a service; nothing changes'], refusal: release.message };
  }
  const steps = [...release.steps];
  const greenReplaced = stored.images !== undefined && request.images.green !== stored.images.green;
  const afterRelease: DeployFacts = {
    stored: release.record ?? stored,
    live: release.lowerGreenFirst ? { greenPercent: 0, blueAlone: true, stickinessEnabled: false } : live,
    listenerArn,
    request: { intent: request.intent, overrideReason: request.overrideReason },
    origin: 'user-deploy',
    requestedBy: PLANNER,
    now,
  };
  // Green's new tasks do not exist yet: a rise is judged as if they pass their health check, which the deploy then requires.
  const afterEvidence = greenReplaced ? { ...evidence, greenHealthyTargets: Math.max(1, evidence.greenHealthyTargets) } : evidence;
  const decision = decideDeploy(afterRelease, policy, evidenceNeeded(afterRelease) ? afterEvidence : undefined);
  if (decision.outcome === 'refuse') {
    const undo = release.steps.some((step) => step.startsWith('ECS')) ? '; CloudFormation then rolls the deploy back, images included' : '';
    return {
      accepted: false,
      steps: [...steps, `${GREEN_PERCENT_PARAMETER}=${request.intent} is refused${decision.putBlueAlone ? ' and blue alone is written' : ''}${undo}`],
      refusal: decision.message,
    };
  }
  if (decision.outcome === 'change') {
    const { from, to, why } = decision.change;
    const wait = greenReplaced && to > from ? ", once green's new tasks pass their health check" : '';
    steps.push(`green ${from} % → ${to} % (${why})${wait}`);
  } else {
    steps.push(`${GREEN_PERCENT_PARAMETER}=${request.intent}: ${decision.why}`);
  }
  const walk = walkAfter(decision.record ?? afterRelease.stored, policy);
  return { accepted: true, steps: walk ? [...steps, walk] : steps };
}

/** What the ticks do after the deploy (rollout.autoAdvance): walk green on to the target, or nothing while the walk is stopped. */
function walkAfter(record: TrafficState, policy: RolloutPolicy): string | undefined {
  const handsFree = record.handsFree;
  if (!policy.autoAdvance || !handsFree || handsFree.target <= record.greenPercent || rollbackUnacknowledged(record)) return undefined;
  if (handsFree.stopped) {
    return `the hands-free rollout stays stopped at ${record.greenPercent} % (${handsFree.stopped.why}) until npm run rollout -- resume`;
  }
  return `then the ticks walk green on to ${handsFree.target} %, a step at a time, each once a deploy of that step would be accepted (its bake over, the same checks)`;
}
