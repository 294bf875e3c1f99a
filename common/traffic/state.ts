/**
 * The traffic state kept in SSM at /boop/<env>/traffic/state: the audit trail of every change of
 * the live weights (who, when, from, to, why) and the last rollback. Only the controller writes it.
 */

import type { Slot } from '../slots';

/** How many changes the state keeps. */
export const CHANGE_HISTORY_LENGTH = 10;
/** How many releases the state keeps, newest first. */
export const RELEASE_HISTORY_LENGTH = 5;

/** What moved green: a deploy's step, an override, putting the recorded share back, CloudFormation's rollback of an update, a rollback to blue, or a hands-free rollout's step. */
export type ChangeKind = 'deploy' | 'override' | 'reapply' | 'restore' | 'rollback' | 'advance';

/** Why a hands-free rollout does not move, and since when. */
export interface HandsFreeNote {
  readonly at: string;
  /** Who stopped it: the operator's identity, or the hands-free rollout itself when a check failed. */
  readonly by: string;
  readonly why: string;
}

/** A hands-free rollout (rollout.autoAdvance): where the last deploy asked green to go, and why it is not moving. */
export interface HandsFree {
  /** The GreenPercent the last deploy asked for: the share the controller walks green to, one step at a time. */
  readonly target: number;
  /** Set by `rollout pause`, by a deploy that lowers the target, or when a check failed; cleared by `rollout resume` and by a deploy that raises the target. */
  readonly stopped?: HandsFreeNote;
  /** Why the last tick moved nothing though nothing failed (the bake, a deploy in progress); cleared by a step. */
  readonly waiting?: HandsFreeNote;
}

/** One verified change of green's live share. */
export interface WeightChange {
  /** When the change was verified on the listener (ISO 8601). */
  readonly at: string;
  /** Who asked: the CloudFormation stack, the alarm, or the operator's identity. */
  readonly by: string;
  /** Why, in words: the step, the override's reason, the alarm's reason. */
  readonly why: string;
  /** Green's live share before. */
  readonly from: number;
  /** Green's live share after. */
  readonly to: number;
  readonly kind: ChangeKind;
}

/** The last time green's traffic went back to blue. */
export interface RollbackRecord {
  /** The alarm that fired, "manual", or "found by a deploy". */
  readonly trigger: string;
  /** Why, in words: the alarm's reason or the operator's. */
  readonly why: string;
  /** Who rolled back: the automatic rollback, the operator's identity, or the deploy that found it. */
  readonly by: string;
  /** Green's live share before the rollback. */
  readonly fromGreenPercent: number;
  /** When blue alone was verified on the listener (ISO 8601). */
  readonly at: string;
  /** When the alarm entered ALARM (the event's state time); for a manual rollback, when it was asked. */
  readonly triggeredAt: string;
  /** Set by the first deploy with GreenPercent=0 after the rollback. */
  readonly acknowledgedAt?: string;
  /** When green's service was asked to run no tasks, after blue alone was verified; absent when it was not. */
  readonly greenScaledToZeroAt?: string;
}

/** Each slot's container image, as the last deploy the release guard accepted left it. */
export type SlotImages = Readonly<Record<Slot, string>>;

/** One share green served a release at, and from when. */
export interface ReleaseStep {
  readonly percent: number;
  /** When the share was verified on the listener (ISO 8601). */
  readonly at: string;
}

/** One image's way through green: each step it entered, and whether it was promoted to blue or rolled back. */
export interface Release {
  readonly image: string;
  /** When the release guard let green run it (ISO 8601). */
  readonly releasedAt: string;
  /** Every share above 0 green served it at, oldest first. */
  readonly steps: readonly ReleaseStep[];
  /** When blue took this image: the promotion that made it the known-good. */
  readonly promotedAt?: string;
  /** When traffic went back to blue while green ran it. */
  readonly rolledBackAt?: string;
  /** The `-c rolloutOverride` reason that let it past the release guard. */
  readonly override?: string;
}

/** The record: the last deploy's intent, green's verified share, its bake clock and history. */
export interface TrafficState {
  /** The record's format. */
  readonly version: 1;
  /** The last GreenPercent a deploy asked for. */
  readonly intent: number;
  /** Green's live weight as last written and verified by the controller. */
  readonly greenPercent: number;
  /** When green's weight took its current value; the bake runs from here. */
  readonly stepStartedAt: string;
  /** The last CHANGE_HISTORY_LENGTH changes, newest first. */
  readonly changes: readonly WeightChange[];
  /** The last rollback, acknowledged or not; absent until the first. */
  readonly lastRollback?: RollbackRecord;
  /** The listener these weights belong to; a new stack has another. */
  readonly listenerArn?: string;
  /** What each slot runs; absent until the release guard first sees a deploy. */
  readonly images?: SlotImages;
  /** The last RELEASE_HISTORY_LENGTH images green ran, newest first. */
  readonly releases?: readonly Release[];
  /** The hands-free rollout's target and pause; absent unless rollout.autoAdvance is on. */
  readonly handsFree?: HandsFree;
}

/** The state before the controller ever ran: all traffic on blue, as the template has it. */
export function initialState(now: Date): TrafficState {
  return { version: 1, intent: 0, greenPercent: 0, stepStartedAt: now.toISOString(), changes: [] };
}

/** Parses the stored JSON; a missing parameter is the initial state, a corrupt one is an error naming it. */
export function parseState(text: string | undefined, now: Date): TrafficState {
  if (text === undefined) return initialState(now);
  let value: Partial<TrafficState>;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the traffic state parameter is not JSON; restore it from its parameter history before changing weights');
  }
  const valid =
    value &&
    value.version === 1 &&
    isPercent(value.intent) &&
    isPercent(value.greenPercent) &&
    typeof value.stepStartedAt === 'string' &&
    Array.isArray(value.changes) &&
    (value.images === undefined || (typeof value.images?.blue === 'string' && typeof value.images?.green === 'string')) &&
    (value.releases === undefined || Array.isArray(value.releases)) &&
    (value.handsFree === undefined || isPercent(value.handsFree?.target));
  if (!valid) throw new Error('the traffic state parameter does not have the expected shape (version 1); restore it from its parameter history');
  // Earlier versions kept the last deploy's properties and green's service (as a deploy event named it) here; nothing reads them any more.
  const state = { ...value } as TrafficState & { lastDeploy?: unknown; greenService?: unknown };
  delete state.lastDeploy;
  delete state.greenService;
  return state;
}

/** The state after a verified change of green's weight; a new share above 0 is a step of green's current release. */
export function recordChange(state: TrafficState, change: WeightChange, intent: number = state.intent): TrafficState {
  const newShare = change.to !== state.greenPercent;
  const withStep =
    newShare && change.to > 0 ? updateCurrentRelease(state, (r) => ({ ...r, steps: [...r.steps, { percent: change.to, at: change.at }] })) : state;
  return {
    ...withStep,
    intent,
    greenPercent: change.to,
    stepStartedAt: newShare ? change.at : state.stepStartedAt,
    changes: [change, ...state.changes].slice(0, CHANGE_HISTORY_LENGTH),
  };
}

/** The state after green's traffic went back to blue: the rollback is its last (unacknowledged), a change to 0 is recorded, and green's release is marked. */
export function recordRollback(state: TrafficState, rollback: RollbackRecord): TrafficState {
  const { at, by, why, fromGreenPercent: from } = rollback;
  const marked = from > 0 ? updateCurrentRelease(state, (r) => ({ ...r, rolledBackAt: at })) : state;
  return recordChange({ ...marked, lastRollback: rollback }, { at, by, why, from, to: 0, kind: 'rollback' });
}

/** The release green runs now: the newest one of green's image. */
export function currentRelease(state: TrafficState): Release | undefined {
  return state.releases?.find((release) => release.image === state.images?.green);
}

/** The state with green's current release changed by `update`; unchanged when green's release is not known. */
export function updateCurrentRelease(state: TrafficState, update: (release: Release) => Release): TrafficState {
  const current = currentRelease(state);
  if (!current || !state.releases) return state;
  return { ...state, releases: state.releases.map((release) => (release === current ? update(release) : release)) };
}

/** The state with a new release at the head of the history. */
export function addRelease(state: TrafficState, release: Release): TrafficState {
  return { ...state, releases: [release, ...(state.releases ?? [])].slice(0, RELEASE_HISTORY_LENGTH) };
}

/** True while an automatic or manual rollback has not been acknowledged by a deploy with GreenPercent=0. */
export function rollbackUnacknowledged(state: TrafficState): boolean {
  return state.lastRollback !== undefined && state.lastRollback.acknowledgedAt === undefined;
}

function isPercent(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100;
}
