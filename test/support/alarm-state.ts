/**
 * A small model of how CloudWatch moves a metric alarm between states, enough to ask what a
 * sequence of evaluations does: a new alarm starts in INSUFFICIENT_DATA; each evaluation looks at
 * the last EvaluationPeriods data points and goes to ALARM when DatapointsToAlarm of them breach;
 * a window with no data point at all goes where TreatMissingData says (breaching: ALARM,
 * notBreaching: OK, ignore: stays, missing: INSUFFICIENT_DATA); in a window with some data,
 * breaching and notBreaching fill the gaps, missing and ignore leave them out. Actions run only on a
 * change of state, those of the state entered (CloudWatch user guide, "Using Amazon CloudWatch
 * alarms": alarm states, "Configuring how CloudWatch alarms treat missing data"; docs/design.md
 * "Alarms on a fresh stack").
 */
import { Cfn } from './resources';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
/** One period's data point: true breaching, false within the threshold, undefined none. */
export type DataPoint = boolean | undefined;

const ACTIONS: Record<AlarmState, string> = { OK: 'OKActions', ALARM: 'AlarmActions', INSUFFICIENT_DATA: 'InsufficientDataActions' };

export interface Evaluated {
  readonly state: AlarmState;
  /** The actions run at this evaluation (the entered state's), empty without a change of state. */
  readonly actions: readonly Cfn[];
}

/** The alarm's state and actions after each data point of `points` (one evaluation per period). */
export function run(alarm: Cfn, points: readonly DataPoint[]): Evaluated[] {
  const n = Number(alarm.EvaluationPeriods);
  const m = Number(alarm.DatapointsToAlarm ?? n);
  const treat: string = alarm.TreatMissingData ?? 'missing';
  let state: AlarmState = 'INSUFFICIENT_DATA';
  const out: Evaluated[] = [];
  for (let i = 0; i < points.length; i++) {
    const window = points.slice(Math.max(0, i + 1 - n), i + 1);
    const next = judge(window, m, treat, state);
    out.push({ state: next, actions: next === state ? [] : (alarm[ACTIONS[next]] ?? []) });
    state = next;
  }
  return out;
}

function judge(window: readonly DataPoint[], m: number, treat: string, current: AlarmState): AlarmState {
  if (window.every((p) => p === undefined)) {
    const empty: Record<string, AlarmState> = { breaching: 'ALARM', notBreaching: 'OK', ignore: current, missing: 'INSUFFICIENT_DATA' };
    if (!(treat in empty)) throw new Error(`unknown TreatMissingData ${treat}`);
    return empty[treat];
  }
  const filled = window.map((p) => (p !== undefined ? p : treat === 'breaching' ? true : treat === 'notBreaching' ? false : undefined));
  return filled.filter((p) => p === true).length >= m ? 'ALARM' : 'OK';
}
