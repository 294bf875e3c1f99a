/**
 * The traffic state kept in SSM at /boop/<env>/traffic/state: the audit trail of every change of
 * the live weights (who, when, from, to, why) and the last rollback. Only the controller writes it.
 */

/** How many changes the state keeps; SSM standard parameters hold 4 KB. */
export const CHANGE_HISTORY_LENGTH = 10;

/** What moved green: a deploy's step, an override, putting the recorded share back, CloudFormation's rollback of an update, or a rollback to blue. */
export type ChangeKind = 'deploy' | 'override' | 'reapply' | 'restore' | 'rollback';

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
    Array.isArray(value.changes);
  if (!valid) throw new Error('the traffic state parameter does not have the expected shape (version 1); restore it from its parameter history');
  // Earlier versions kept the last deploy's properties here; nothing reads them any more.
  const state = { ...value } as TrafficState & { lastDeploy?: unknown };
  delete state.lastDeploy;
  return state;
}

/** The state after a verified change of green's weight. */
export function recordChange(state: TrafficState, change: WeightChange, intent: number = state.intent): TrafficState {
  return {
    ...state,
    intent,
    greenPercent: change.to,
    stepStartedAt: change.to === state.greenPercent ? state.stepStartedAt : change.at,
    changes: [change, ...state.changes].slice(0, CHANGE_HISTORY_LENGTH),
  };
}

/** The state after green's traffic went back to blue: the rollback is its last (unacknowledged) and a change to 0 is recorded. */
export function recordRollback(state: TrafficState, rollback: RollbackRecord): TrafficState {
  const { at, by, why, fromGreenPercent: from } = rollback;
  return recordChange({ ...state, lastRollback: rollback }, { at, by, why, from, to: 0, kind: 'rollback' });
}

/** True while an automatic or manual rollback has not been acknowledged by a deploy with GreenPercent=0. */
export function rollbackUnacknowledged(state: TrafficState): boolean {
  return state.lastRollback !== undefined && state.lastRollback.acknowledgedAt === undefined;
}

function isPercent(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100;
}
