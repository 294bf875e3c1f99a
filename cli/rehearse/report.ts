/**
 * The rehearsal's report: one verdict per assumption (common/assumptions.ts), the times it measured
 * beside the benchmark's assumed ones, and whether the environment ended where it began; printed,
 * then saved as JSON. It holds names, statuses, times and AWS's answers, never a secret.
 */
import { ALLOWANCES } from '../../benchmark/allowances';
import { ASSUMPTIONS, AssumptionId } from '../../common/assumptions';

export type Outcome = 'held' | 'did not hold' | 'could not be tried';

/** What the rehearsal found out about one assumption, and how: what AWS returned, or why it could not try. */
export interface Verdict {
  readonly id: AssumptionId;
  readonly outcome: Outcome;
  readonly detail: string;
}

/** One stage of the forced alarm's way to blue alone, measured here, beside what the benchmark assumes for it. */
export interface MeasuredTime {
  readonly stage: string;
  /** Measured on the account; absent when it could not be. */
  readonly seconds?: number;
  /** What the benchmark assumes for this stage (benchmark/allowances.ts), in words and seconds. */
  readonly assumed: string;
}

/** Who the forced alarm's page reached: its topic's SNS metrics since the alarm (they arrive minutes late, so a count may be short). */
export interface PageDelivery {
  readonly topicArn: string;
  readonly published: number;
  readonly delivered: number;
  readonly failed: number;
}

export interface RehearsalReport {
  readonly env: string;
  readonly stack: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** One per assumption, in the table's order. */
  readonly assumptions: readonly Verdict[];
  readonly times: readonly MeasuredTime[];
  /** Who the forced alarm's page reached; absent when no action published. */
  readonly page?: PageDelivery;
  /** Why the page's SNS metrics could not be read, when they could not. */
  readonly pageNotRead?: string;
  /** Blue alone, green restored, the stack's parameters as found. */
  readonly endedAsBegan: boolean;
  /** What the rehearsal could not put back, each with what to do. */
  readonly left: readonly string[];
  /** Why the rehearsal stopped before its last step, when it did. */
  readonly stopped?: string;
}

/** A later verdict on the same assumption replaces an earlier one only when it says more: did not hold, then held, then could not be tried. */
const WEIGHT: Record<Outcome, number> = { 'did not hold': 2, 'held': 1, 'could not be tried': 0 };

/** The verdicts gathered along the way; the first of equal weight stays. */
export class Findings {
  private readonly verdicts = new Map<AssumptionId, Verdict>();

  held(id: AssumptionId, detail: string): void {
    this.add({ id, outcome: 'held', detail });
  }

  didNotHold(id: AssumptionId, detail: string): void {
    this.add({ id, outcome: 'did not hold', detail });
  }

  couldNotTry(id: AssumptionId, why: string): void {
    this.add({ id, outcome: 'could not be tried', detail: why });
  }

  has(id: AssumptionId): boolean {
    return this.verdicts.has(id);
  }

  /** Every assumption in the table's order; one the rehearsal never reached could not be tried. */
  all(): Verdict[] {
    return ASSUMPTIONS.map(
      ({ id }) => this.verdicts.get(id) ?? { id, outcome: 'could not be tried', detail: 'the rehearsal stopped before the step that tries it' },
    );
  }

  private add(verdict: Verdict): void {
    const before = this.verdicts.get(verdict.id);
    if (!before || WEIGHT[verdict.outcome] > WEIGHT[before.outcome]) this.verdicts.set(verdict.id, verdict);
  }
}

/** What the benchmark assumes for each stage the forced alarm measures (its allowances, never copied). */
export const ASSUMED = {
  composite: `one evaluation, ${ALLOWANCES.alarmEvaluation.highResolutionSeconds} s at most (${ALLOWANCES.alarmEvaluation.what}, high resolution)`,
  blueAlone: `${ALLOWANCES.eventDelivery.what}, ${ALLOWANCES.eventDelivery.seconds} s, plus the controller's fraction of a second`,
  ingestion: `${ALLOWANCES.metricIngestion.what}, ${ALLOWANCES.metricIngestion.seconds} s: not measured, SetAlarmState skips the metrics`,
} as const;

/** The longest the forced alarm may take from the member's ALARM to blue alone for `time-to-blue-alone` to hold, in seconds. */
export const TIME_TO_BLUE_BOUND_SECONDS = ALLOWANCES.alarmEvaluation.highResolutionSeconds + ALLOWANCES.eventDelivery.seconds;

const OUTCOME_WIDTH = Math.max(...Object.keys(WEIGHT).map((o) => o.length));
const ID_WIDTH = Math.max(...ASSUMPTIONS.map((a) => a.id.length));

/** The report as the terminal shows it. */
export function reportLines(report: RehearsalReport): string[] {
  const time = (t: MeasuredTime) => `  ${t.stage}: ${t.seconds === undefined ? 'not measured' : `${t.seconds.toFixed(1)} s`} (benchmark assumes ${t.assumed})`;
  return [
    `rehearsal of ${report.env} (${report.stack}), ${report.startedAt} to ${report.finishedAt}`,
    ...report.assumptions.map((v) => `  ${v.outcome.padEnd(OUTCOME_WIDTH)}  ${v.id.padEnd(ID_WIDTH)}  ${v.detail}`),
    ...(report.stopped ? [`stopped early: ${report.stopped}`] : []),
    'time to blue alone, measured on this account:',
    ...report.times.map(time),
    ...(report.page
      ? [
          `the page (${report.page.topicArn}): ${report.page.published} published, ${report.page.delivered} delivered, ${report.page.failed} failed (SNS metrics since the alarm; may lag a few minutes)`,
        ]
      : []),
    ...(report.pageNotRead ? [`the page: its SNS metrics could not be read (${report.pageNotRead})`] : []),
    report.endedAsBegan
      ? 'ended where it began: blue alone, green restored, the stack parameters as found'
      : `did NOT end where it began: ${report.left.join('; ')}`,
  ];
}
