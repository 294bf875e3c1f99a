/**
 * The one table of alarm thresholds (docs/design.md "Thresholds"). Alarms, validation, tests and docs/alarms.md
 * are all made from it; nothing else in the code repeats these numbers.
 *
 * Where the migration guide's `alertThresholds` and the monitoring guide disagree, both are kept:
 * the monitoring guide's stricter success rate is the early `high` alert, and the migration
 * guide's error-rate and response-time numbers are the rollback triggers, judged over five
 * consecutive one-minute periods (its AutoRollbackMonitor `maxFailures = 5`).
 *
 * Sources are BOOP's guides by short name and section: ENV "Environment Configuration", MIG
 * "Migration Overview", MON "Monitoring Overview", API the public API reference (docs/design.md "The guides").
 */

import { HIGH_RESOLUTION_PERIOD_SECONDS } from '../../common/contract';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Who hears about each severity. MON "Alert Severity Levels": critical pages the on-call engineer
 * (and, per MON AlertManager, goes to Slack too); high within 15 minutes by Slack + email; medium
 * within an hour by email; low waits for the next business day on the dashboards.
 */
export const SEVERITY_ROUTING = {
  critical: { pagerDuty: true, slack: true, email: true, notifyOnRecovery: true },
  high: { pagerDuty: false, slack: true, email: true, notifyOnRecovery: true },
  medium: { pagerDuty: false, slack: false, email: true, notifyOnRecovery: false },
  low: { pagerDuty: false, slack: false, email: false, notifyOnRecovery: false },
} as const satisfies Record<Severity, { pagerDuty: boolean; slack: boolean; email: boolean; notifyOnRecovery: boolean }>;

/** The severities that notify someone (low is dashboards only). */
export const NOTIFYING_SEVERITIES = SEVERITIES.filter((s) => SEVERITY_ROUTING[s].email || SEVERITY_ROUTING[s].slack || SEVERITY_ROUTING[s].pagerDuty);
export type NotifyingSeverity = Exclude<Severity, 'low'>;

/** What a threshold measures, which bounds what a configured value may be. */
export type ThresholdUnit = 'percent' | 'milliseconds' | 'count';

/** Which traffic a row is judged on: each slot, all traffic through the ALB, or the stack as a whole. */
export type AlarmScope = 'slot' | 'all' | 'slot-and-all' | 'stack';

/** How a row compares its metric with the threshold. */
export type ThresholdComparison = 'above' | 'at-or-above' | 'below';

/**
 * What a period with no data means for a row. 'missing': with no data in the whole window the alarm
 * is INSUFFICIENT_DATA, which notifies like ALARM; a new alarm starts there without notifying, so
 * silence alerts only once the alarm has seen data. No row is 'breaching': a fresh stack has no data
 * yet, and would alert on creation (docs/design.md "Alarms on a fresh stack").
 */
export type MissingData = 'not-breaching' | 'missing' | 'ignore';

export interface ThresholdRow {
  /** The alert's name in the monitoring guide's words; also the stable part of the alarm name. */
  readonly name: string;
  /** What is measured, in one line. */
  readonly measures: string;
  readonly threshold: number;
  readonly unit: ThresholdUnit;
  readonly comparison: ThresholdComparison;
  /** Length of one evaluation period, minutes. */
  readonly periodMinutes: number;
  /** How many periods are looked at. */
  readonly evaluationPeriods: number;
  /** How many of those must breach ("M of N"). */
  readonly datapointsToAlarm: number;
  readonly severity: Severity;
  /** A green-slot breach of this row rolls traffic back to blue. */
  readonly rollsGreenBack: boolean;
  /**
   * Green is also judged on the service's own high-resolution counts, over the same span in 10 s
   * periods, by an alarm with no actions that only feeds the rollback (fastRollbackOf). @default false
   */
  readonly fastRollback?: boolean;
  readonly scope: AlarmScope;
  /** What an empty period means, and why (one line). */
  readonly missingData: MissingData;
  readonly missingDataWhy: string;
  /** The guide and section the number comes from. */
  readonly source: string;
}

const FIVE_OF_FIVE_MINUTES = { periodMinutes: 1, evaluationPeriods: 5, datapointsToAlarm: 5 } as const;
const ONE_MINUTE = { periodMinutes: 1, evaluationPeriods: 1, datapointsToAlarm: 1 } as const;
const FIVE_MINUTES = { periodMinutes: 5, evaluationPeriods: 1, datapointsToAlarm: 1 } as const;
const ONE_HOUR = { periodMinutes: 60, evaluationPeriods: 1, datapointsToAlarm: 1 } as const;

const NO_TRAFFIC_IS_NOT_A_BREACH = 'no traffic in a period says nothing about errors, so an idle slot never alarms';
const NO_EVENTS_IS_GOOD_NEWS = 'the metric is only emitted when the event happens, so no data means none happened';

const ROWS = [
  {
    name: 'SERVICE_DOWN',
    measures: 'share of 5XX responses',
    threshold: 95,
    unit: 'percent',
    comparison: 'above',
    ...ONE_MINUTE,
    severity: 'critical',
    rollsGreenBack: true,
    // The ALB's 60 s metrics bound this row's detection; the service's 10 s counts see the same minute sooner.
    fastRollback: true,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_TRAFFIC_IS_NOT_A_BREACH,
    source: 'MON "Service Completely Down": errorRate > 95 for > 1 minute, critical',
  },
  {
    name: 'CRITICAL_ERROR_RATE',
    measures: 'share of 5XX responses',
    threshold: 5,
    unit: 'percent',
    comparison: 'above',
    ...FIVE_MINUTES,
    severity: 'critical',
    rollsGreenBack: false,
    scope: 'all',
    missingData: 'not-breaching',
    missingDataWhy: NO_TRAFFIC_IS_NOT_A_BREACH,
    source: 'MON "Alert Severity Levels": critical = > 5% error rate',
  },
  {
    name: 'HIGH_ERROR_RATE',
    measures: 'share of 5XX responses',
    threshold: 1,
    unit: 'percent',
    comparison: 'above',
    ...FIVE_OF_FIVE_MINUTES,
    severity: 'high',
    rollsGreenBack: false,
    scope: 'slot-and-all',
    missingData: 'not-breaching',
    missingDataWhy: NO_TRAFFIC_IS_NOT_A_BREACH,
    source: 'MON "High Error Rate": errorRate > 1 for > 5 minutes, high',
  },
  {
    name: 'SLOW_RESPONSE_TIME',
    measures: 'response time p95',
    threshold: 5000,
    unit: 'milliseconds',
    comparison: 'above',
    ...FIVE_MINUTES,
    severity: 'high',
    rollsGreenBack: false,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: 'no requests means no slow requests',
    source: 'MON "Slow Response Times": p95 > 5 seconds, high',
  },
  {
    name: 'AUTH_ERROR_RATE',
    measures: 'authentication failures / attempts',
    threshold: 1.0,
    unit: 'percent',
    comparison: 'above',
    ...FIVE_OF_FIVE_MINUTES,
    severity: 'high',
    rollsGreenBack: true,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_TRAFFIC_IS_NOT_A_BREACH,
    source: 'MIG alertThresholds.authentication.errorRate = 1.0; AutoRollbackMonitor maxFailures = 5',
  },
  {
    name: 'AUTH_SLOW_RESPONSE',
    measures: 'authentication time p95',
    threshold: 3000,
    unit: 'milliseconds',
    comparison: 'above',
    ...FIVE_OF_FIVE_MINUTES,
    severity: 'medium',
    rollsGreenBack: true,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: 'no authentications means none were slow',
    source: 'MIG alertThresholds.authentication.responseTime = 3000; MON AUTH_SLOW_RESPONSE 3000 ms, medium',
  },
  {
    name: 'AUTH_SUCCESS_RATE_LOW',
    measures: 'authentication success rate',
    threshold: 99.5,
    unit: 'percent',
    comparison: 'below',
    ...FIVE_OF_FIVE_MINUTES,
    severity: 'high',
    rollsGreenBack: false,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_TRAFFIC_IS_NOT_A_BREACH,
    source: 'MON "Authentication Success Rate": alert below 99.5, high',
  },
  {
    name: 'PAYMENT_ERROR_RATE',
    measures: 'payment failures / attempts',
    threshold: 0.1,
    unit: 'percent',
    comparison: 'above',
    ...FIVE_OF_FIVE_MINUTES,
    severity: 'high',
    rollsGreenBack: true,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_TRAFFIC_IS_NOT_A_BREACH,
    source: 'MIG alertThresholds.payments.errorRate = 0.1; AutoRollbackMonitor maxFailures = 5',
  },
  {
    name: 'PAYMENT_SLOW_RESPONSE',
    measures: 'payment time p95',
    threshold: 2000,
    unit: 'milliseconds',
    comparison: 'above',
    ...FIVE_OF_FIVE_MINUTES,
    severity: 'medium',
    rollsGreenBack: true,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: 'no payments means none were slow',
    source: 'MIG alertThresholds.payments.responseTime = 2000',
  },
  {
    name: 'PAYMENT_SUCCESS_RATE_LOW',
    measures: 'payment success rate',
    threshold: 99.9,
    unit: 'percent',
    comparison: 'below',
    ...FIVE_OF_FIVE_MINUTES,
    severity: 'high',
    rollsGreenBack: false,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_TRAFFIC_IS_NOT_A_BREACH,
    source: 'MON "Payment Success Rate": target > 99.9%, PAYMENT_SUCCESS_RATE_LOW',
  },
  {
    name: 'PAYMENT_SYSTEM_FAILURE',
    measures: 'consecutive payment failures',
    threshold: 10,
    unit: 'count',
    comparison: 'above',
    ...ONE_MINUTE,
    severity: 'critical',
    rollsGreenBack: true,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_EVENTS_IS_GOOD_NEWS,
    source: 'MON "Mass Payment Failures": > 10 consecutive payment failures, critical',
  },
  {
    name: 'CONNECTION_FAILURES',
    measures: 'WebSocket failures + abnormal closures per minute',
    threshold: 5,
    unit: 'count',
    comparison: 'above',
    ...ONE_MINUTE,
    severity: 'high',
    rollsGreenBack: false,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_EVENTS_IS_GOOD_NEWS,
    source: 'MIG alertThresholds.infrastructure.connectionFailures = 5 per minute',
  },
  {
    name: 'WEBSOCKET_ABNORMAL_CLOSURE',
    measures: 'WebSocket closures with a code other than 1000',
    threshold: 1,
    unit: 'count',
    comparison: 'at-or-above',
    ...FIVE_MINUTES,
    severity: 'medium',
    rollsGreenBack: false,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_EVENTS_IS_GOOD_NEWS,
    source: 'MON monitorWebSocket: code !== 1000 triggers WEBSOCKET_ABNORMAL_CLOSURE',
  },
  {
    name: 'BOOP_RATE_LIMITED',
    measures: 'BOOP answers 429',
    threshold: 1,
    unit: 'count',
    comparison: 'at-or-above',
    ...FIVE_MINUTES,
    severity: 'medium',
    rollsGreenBack: false,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy: NO_EVENTS_IS_GOOD_NEWS,
    source: 'MON monitorApiCall: response.status === 429 counts rateLimited; API "429 = rate limited"',
  },
  {
    name: 'UPTIME_LOW',
    measures: 'BOOP health-check success',
    threshold: 99.0,
    unit: 'percent',
    comparison: 'below',
    ...ONE_HOUR,
    severity: 'high',
    rollsGreenBack: false,
    scope: 'stack',
    missingData: 'missing',
    missingDataWhy:
      'the health check runs every minute, so an hour of silence means it is down: the alarm goes to INSUFFICIENT_DATA, which notifies the same topic; a fresh stack, before its first run, notifies no one',
    source: 'MIG alertThresholds.infrastructure.uptime = 99.0',
  },
  {
    name: 'SLOT_UNHEALTHY',
    measures: 'slot health check through the ALB',
    threshold: 1,
    unit: 'count',
    comparison: 'below',
    periodMinutes: 1,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    severity: 'high',
    rollsGreenBack: true,
    scope: 'slot',
    missingData: 'not-breaching',
    missingDataWhy:
      'a failed check is reported as 0, so silence means the health check itself is down (UPTIME_LOW says so), or green runs no tasks on purpose after a rollback; rolling green back for either would be a false alarm',
    source: 'ENV "Health Check Endpoint" /health/boop; 3 of 3 minutes (docs/design.md "Thresholds")',
  },
  {
    name: 'PRIMARY_KEY_REJECTED',
    measures: 'health check fell back to the other API key',
    threshold: 1,
    unit: 'count',
    comparison: 'at-or-above',
    ...FIVE_MINUTES,
    severity: 'high',
    rollsGreenBack: false,
    scope: 'stack',
    missingData: 'not-breaching',
    missingDataWhy: NO_EVENTS_IS_GOOD_NEWS,
    source: 'ENV ApiKeyManager: on 401 "Primary key failed, trying secondary key"',
  },
  {
    name: 'KEY_ROTATION_UNREADY',
    measures: 'rotation date near and the secondary key missing',
    threshold: 1,
    unit: 'count',
    comparison: 'at-or-above',
    ...ONE_HOUR,
    severity: 'medium',
    rollsGreenBack: false,
    scope: 'stack',
    missingData: 'not-breaching',
    missingDataWhy: NO_EVENTS_IS_GOOD_NEWS,
    source: 'ENV ApiKeyManager: the secondary key is used from BOOP_KEY_ROTATION_DATE on',
  },
  {
    name: 'ROLLBACK_FAILED',
    measures: "controller errors (its own and Lambda's), throttles and rollback dead-letter queue depth",
    threshold: 1,
    unit: 'count',
    comparison: 'at-or-above',
    ...ONE_MINUTE,
    severity: 'critical',
    rollsGreenBack: false,
    scope: 'stack',
    missingData: 'not-breaching',
    missingDataWhy: NO_EVENTS_IS_GOOD_NEWS,
    source: 'MIG "Automatic Rollback Triggers": a rollback that did not happen must page (docs/design.md "Rollback")',
  },
] as const satisfies readonly ThresholdRow[];

export type ThresholdName = (typeof ROWS)[number]['name'];
export const THRESHOLDS: readonly ThresholdRow[] = ROWS;

/** A rate is only judged with at least this many attempts in the period (docs/design.md "Thresholds"). */
export const DEFAULT_MINIMUM_ATTEMPTS = 10;

/** KEY_ROTATION_UNREADY looks this many days ahead of the rotation date (docs/design.md "Thresholds"). */
export const DEFAULT_KEY_ROTATION_WARNING_DAYS = 7;

/** The numbers of a row that an environment may override. */
export type ThresholdOverride = Partial<Pick<ThresholdRow, 'threshold' | 'periodMinutes' | 'evaluationPeriods' | 'datapointsToAlarm'>>;

const COMPARISON_SYMBOL: Record<ThresholdComparison, string> = { 'above': '>', 'at-or-above': '≥', 'below': '<' };
const UNIT_SUFFIX: Record<ThresholdUnit, string> = { percent: ' %', milliseconds: ' ms', count: '' };

/** When a row fires, in words a person reads: "> 1 %", "≥ 1", "< 99.5 %". */
export function firesWhen(row: ThresholdRow): string {
  return `${COMPARISON_SYMBOL[row.comparison]} ${row.threshold}${UNIT_SUFFIX[row.unit]}`;
}

/** How long a row is judged: "5 min", or "5 of 5 × 1 min" when several periods are looked at. */
export function judgedOver(row: ThresholdRow): string {
  if (row.datapointsToAlarm === 1 && row.evaluationPeriods === 1) return `${row.periodMinutes} min`;
  return `${row.datapointsToAlarm} of ${row.evaluationPeriods} × ${row.periodMinutes} min`;
}

/** The table with an environment's overrides applied. */
export function effectiveThresholds(overrides: Readonly<Record<string, ThresholdOverride>>): ThresholdRow[] {
  return THRESHOLDS.map((row) => ({ ...row, ...(overrides[row.name] ?? {}) }));
}

/** How a row's fast rollback alarm judges green: the row's span, cut into high-resolution periods. */
export interface FastRollbackJudgement {
  /** The stable part of its alarm name: `<ROW>_10S`. */
  readonly name: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /** How many high-resolution periods make one of the row's periods. */
  readonly periodsPerRowPeriod: number;
}

/** The fast rollback alarm of a rollback row that asks for one: M of N row periods become M·k of N·k periods of 10 s. */
export function fastRollbackOf(row: ThresholdRow): FastRollbackJudgement | undefined {
  if (!row.fastRollback || !row.rollsGreenBack) return undefined;
  const k = (row.periodMinutes * 60) / HIGH_RESOLUTION_PERIOD_SECONDS;
  return {
    name: `${row.name}_${HIGH_RESOLUTION_PERIOD_SECONDS}S`,
    periodSeconds: HIGH_RESOLUTION_PERIOD_SECONDS,
    evaluationPeriods: row.evaluationPeriods * k,
    datapointsToAlarm: row.datapointsToAlarm * k,
    periodsPerRowPeriod: k,
  };
}
