/**
 * The release guard: which images a deploy may give the slots, judged before ECS touches a service
 * (design: "Releases"). Green's image changes only while green serves 0 %, so new code reaches users
 * only through the steps; blue, the known-good, changes only by promotion: to the image green has
 * served at 100 % through a clean bake, while blue serves nothing.
 */
import { GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../names';
import { Slot, SLOTS } from '../slots';
import { bakeEndsAt, DeployOrigin, EvidenceQuery, RiseEvidence, RolloutPolicy, startingPoint, unacknowledgedRollbackRefusal } from './policy';
import { addRelease, recordChange, Release, rollbackUnacknowledged, SlotImages, TrafficState, updateCurrentRelease, WeightChange } from './state';
import { LiveWeights } from './weights';

/** What a deploy asks of the slots. */
export interface ReleaseRequest {
  /** The BlueImage and GreenImage parameters. */
  readonly images: SlotImages;
  /** The GreenPercent parameter. */
  readonly intent: number;
  /** `-c rolloutOverride="<reason>"`: lets this one deploy past the release guard. @default none */
  readonly overrideReason?: string;
}

/** Everything the release guard decides from. */
export interface ReleaseFacts {
  /** The record as the controller last left it. */
  readonly stored: TrafficState;
  /** The listener as it is now. */
  readonly live: LiveWeights;
  /** The listener the controller writes; a record of another one belongs to a deleted stack. */
  readonly listenerArn: string;
  readonly request: ReleaseRequest;
  readonly origin: DeployOrigin;
  /** A Create: a new custom resource, perhaps on a new stack. @default false */
  readonly created?: boolean;
  /** rollout.releaseGuard; without it every image change goes through, as with an override, and is recorded. */
  readonly guarded: boolean;
  /** Who asks, for the record: the CloudFormation stack. */
  readonly requestedBy: string;
  readonly now: Date;
}

/** The guard's answer, in the order the controller carries it out: lower green, save the record, answer. */
export type ReleaseDecision =
  | {
      readonly outcome: 'accept';
      /** Write (and verify) green 0 % first: green's image changes with GreenPercent=0 while green serves traffic. */
      readonly lowerGreenFirst?: WeightChange;
      /** The record to save, when it changes. */
      readonly record?: TrafficState;
      /** Scale green's service to zero again: CloudFormation's rollback restored its count while a rollback is unacknowledged. */
      readonly scaleGreenToZero?: boolean;
      /** What happens, in order: for the controller's log and `rollout plan`. */
      readonly steps: readonly string[];
      /** The guard rule an override (or an unguarded environment) let through, for the log and the record. */
      readonly letThrough?: string;
    }
  | { readonly outcome: 'refuse'; readonly message: string };

/** Whether the guard needs the rollback alarm's state and history: only to judge a promotion. */
export function releaseEvidenceNeeded(facts: ReleaseFacts): EvidenceQuery | undefined {
  const { stored, request } = facts;
  const images = startingState(facts).images;
  if (facts.origin !== 'user-deploy' || !facts.guarded || request.overrideReason || !images) return undefined;
  return request.images.blue !== images.blue ? { alarmHistorySince: new Date(stored.stepStartedAt) } : undefined;
}

/**
 * Decides a deploy's images (design: "Releases"). `evidence` answers `releaseEvidenceNeeded`.
 * - CloudFormation's rollback of a failed update puts the previous images back and is never refused.
 * - While a rollback is unacknowledged only GreenPercent=0 passes, so ECS never restarts a green that was emptied.
 * - The first deploy the guard sees (a new stack, or the first after an upgrade) records the images as they are.
 * - Green's image changes only while green serves 0 %; with GreenPercent=0 green is lowered first.
 * - Blue's image changes only to green's, with green at 100 % after a clean bake (promotion); one slot per deploy.
 * - An override, or rollout.releaseGuard off, lets a refused change through and records it.
 */
export function decideRelease(facts: ReleaseFacts, policy: RolloutPolicy, evidence?: RiseEvidence): ReleaseDecision {
  const { request, now } = facts;
  const state = startingState(facts);
  const at = now.toISOString();
  if (facts.origin === 'cloudformation-rollback') {
    const emptyAgain = rollbackUnacknowledged(state) && state.lastRollback?.greenScaledToZeroAt !== undefined;
    const record = { ...state, images: request.images };
    return {
      outcome: 'accept',
      record: sameRecord(record, facts.stored) ? undefined : record,
      scaleGreenToZero: emptyAgain || undefined,
      steps: [
        'CloudFormation rolls a failed deploy back: the previous images return',
        ...(emptyAgain ? ["green's service is scaled to zero again: its rollback is not acknowledged"] : []),
      ],
    };
  }

  const unacknowledged = unacknowledgedRollbackRefusal(state, request.intent, policy);
  if (unacknowledged) return { outcome: 'refuse', message: unacknowledged };

  const current = state.images;
  if (!current) {
    const record = addRelease({ ...state, images: request.images }, { image: request.images.green, releasedAt: at, steps: [] });
    return { outcome: 'accept', record, steps: [`the release guard records what each slot runs: ${describe(request.images)}`] };
  }
  const changed = SLOTS.filter((slot) => request.images[slot] !== current[slot]);
  if (changed.length === 0) {
    return { outcome: 'accept', record: sameRecord(state, facts.stored) ? undefined : state, steps: ['no image changes'] };
  }

  const problem = guardProblem(facts, state, current, changed, policy, evidence);
  const letThrough = problem && (request.overrideReason ? `override: ${request.overrideReason}` : !facts.guarded ? 'rollout.releaseGuard is off' : undefined);
  if (problem && !letThrough) {
    return { outcome: 'refuse', message: `${problem} For an emergency fix, -c rolloutOverride="<reason>" lets one deploy through.` };
  }
  const override = letThrough ? (request.overrideReason ?? letThrough) : undefined;
  return accepted(facts, state, current, changed, override, letThrough ? `${problem} (let through: ${letThrough})` : undefined);
}

/** Green's share as far as the guard is concerned: the higher of the listener's and the record's. */
export function greenShare(state: TrafficState, live: LiveWeights): number {
  return Math.max(live.greenPercent, state.greenPercent);
}

/**
 * The record the guard judges against, as the weights would: a record of another listener (a deleted stack) keeps
 * only its history, and blue alone while the record gives green traffic is a rollback whose record was lost, so a
 * deploy that would give green tasks again (a new count, a new image) is refused like any during an unacknowledged one.
 */
function startingState(facts: ReleaseFacts): TrafficState {
  return startingPoint(facts).state;
}

/** The first guard rule the change breaks, as the start of a refusal; undefined when it breaks none. */
function guardProblem(
  facts: ReleaseFacts,
  state: TrafficState,
  current: SlotImages,
  changed: readonly Slot[],
  policy: RolloutPolicy,
  evidence: RiseEvidence | undefined,
): string | undefined {
  const { request, live } = facts;
  const first = policy.steps[0];
  if (changed.length === 2) {
    return (
      `${IMAGE_PARAMETERS.blue} and ${IMAGE_PARAMETERS.green} refused together: one slot per deploy. ` +
      `Promote first (--parameters ${IMAGE_PARAMETERS.blue}=${current.green} while green serves 100 %), then --parameters ${GREEN_PERCENT_PARAMETER}=0, then release the next image on green.`
    );
  }
  const share = greenShare(state, live);
  if (changed[0] === 'green') {
    if (share === 0 || request.intent === 0) return undefined;
    return (
      `${IMAGE_PARAMETERS.green}=${request.images.green} refused: green serves ${share} %, and its image changes only while it serves 0 %, so new code reaches users only through the steps. ` +
      `Deploy it with --parameters ${IMAGE_PARAMETERS.green}=${request.images.green} --parameters ${GREEN_PERCENT_PARAMETER}=0 (green drops to 0 % first, then ECS replaces its tasks), then start the rollout at ${GREEN_PERCENT_PARAMETER}=${first}.`
    );
  }
  const blueImage = request.images.blue;
  if (blueImage !== current.green) {
    return (
      `${IMAGE_PARAMETERS.blue}=${blueImage} refused: blue is the known-good release and changes only by promotion, to the image green has served at 100 % (green runs ${current.green}). ` +
      `Release ${blueImage} on green first: --parameters ${IMAGE_PARAMETERS.green}=${blueImage} --parameters ${GREEN_PERCENT_PARAMETER}=0, then the steps from ${GREEN_PERCENT_PARAMETER}=${first}.`
    );
  }
  if (live.greenPercent !== 100 || state.greenPercent !== 100) {
    return (
      `${IMAGE_PARAMETERS.blue}=${blueImage} refused: a promotion needs green at 100 % and blue serving nothing, and green serves ${live.greenPercent} %. ` +
      `Finish the rollout to ${GREEN_PERCENT_PARAMETER}=100 and its bake first.`
    );
  }
  const bakeEnds = bakeEndsAt(state, policy);
  if (facts.now < bakeEnds) {
    return `${IMAGE_PARAMETERS.blue}=${blueImage} refused: the bake at 100 % (${policy.bakeTimeHours} h from ${state.stepStartedAt}) is not over; the promotion is allowed from ${bakeEnds.toISOString()}.`;
  }
  if (!evidence) {
    // An override or an unguarded environment lets the promotion through whatever the alarm says, so nothing was read.
    if (request.overrideReason || !facts.guarded) return 'the rollback alarm was not read';
    throw new Error('a promotion needs the evidence about the rollback alarm (see releaseEvidenceNeeded)');
  }
  if (!evidence.rollbackAlarmFound) {
    return `${IMAGE_PARAMETERS.blue}=${blueImage} refused: the rollback alarm cannot be read, so the bake at 100 % cannot be shown clean; check that the stack deployed it, then deploy again.`;
  }
  if (evidence.rollbackAlarmInAlarm || evidence.rollbackAlarmFiredSinceStepStart) {
    const when = evidence.rollbackAlarmInAlarm ? 'is in ALARM now' : `entered ALARM during the bake at 100 % (from ${state.stepStartedAt})`;
    return `${IMAGE_PARAMETERS.blue}=${blueImage} refused: the rollback alarm ${when}; find out why before blue takes this image (a bake only counts without it).`;
  }
  return undefined;
}

/** The accepted change: what to write first, what happens, and the record with the release history. */
function accepted(
  facts: ReleaseFacts,
  state: TrafficState,
  current: SlotImages,
  changed: readonly Slot[],
  override: string | undefined,
  letThrough: string | undefined,
): ReleaseDecision {
  const { request, live, now, requestedBy } = facts;
  const at = now.toISOString();
  const steps: string[] = [];
  let record: TrafficState = { ...state, images: request.images };
  let lowerGreenFirst: WeightChange | undefined;

  if (changed.includes('green')) {
    const image = request.images.green;
    if (live.greenPercent > 0 && request.intent === 0) {
      lowerGreenFirst = {
        at,
        by: requestedBy,
        why: `${IMAGE_PARAMETERS.green} changes to ${image}: green goes to 0 % before ECS replaces its tasks`,
        from: live.greenPercent,
        to: 0,
        kind: 'deploy',
      };
      steps.push(`green ${live.greenPercent} % → 0 %, before its tasks are replaced`);
      // A hands-free target goes with green's traffic: the new image starts again from a deploy of a target.
      record = recordChange({ ...record, intent: 0, ...(record.handsFree ? { handsFree: { target: 0 } } : {}) }, lowerGreenFirst);
    }
    const release: Release = { image, releasedAt: at, steps: [], ...(override ? { override } : {}) };
    record = addRelease(record, release);
    steps.push(`ECS replaces green's tasks: ${current.green} → ${image} (a new release: its rollout starts at the first step)`);
    if (live.greenPercent > 0 && request.intent > 0) {
      // Only an override gets here: the new image serves at once, so its step and bake start now.
      record = updateCurrentRelease({ ...record, stepStartedAt: at }, (r) => ({ ...r, steps: [{ percent: live.greenPercent, at }] }));
      steps.push(`green keeps serving ${live.greenPercent} %, now with ${image}; the bake starts again`);
    }
  }
  if (changed.includes('blue')) {
    const image = request.images.blue;
    const promoted = record.releases?.find((r) => r.image === image);
    record = promoted
      ? { ...record, releases: record.releases!.map((r) => (r === promoted ? { ...r, promotedAt: at, ...(override ? { override } : {}) } : r)) }
      : addRelease(record, { image, releasedAt: at, steps: [], promotedAt: at, ...(override ? { override } : {}) });
    steps.push(`ECS replaces blue's tasks: ${current.blue} → ${image} (promotion: blue, the known-good, now runs what green served at 100 %)`);
  }
  return { outcome: 'accept', lowerGreenFirst, record, steps, letThrough };
}

function describe(images: SlotImages): string {
  return SLOTS.map((slot) => `${slot} ${images[slot]}`).join(', ');
}

function sameRecord(a: TrafficState, b: TrafficState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
