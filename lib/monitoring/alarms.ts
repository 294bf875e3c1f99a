import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IntegrationMetricName } from '../../common/contract';
import { environmentNames } from '../../common/names';
import { BoopMetrics } from './boop-metrics';
import { Slot, SLOTS } from '../../common/slots';
import { FastRollbackJudgement, fastRollbackOf, firesWhen, judgedOver, NotifyingSeverity, SEVERITY_ROUTING, ThresholdName, ThresholdRow } from './thresholds';

/** The slot whose breaches roll traffic back. */
const ROLLBACK_SLOT: Slot = 'green';

export interface AlarmsProps {
  /** The environment's name, part of every alarm name. */
  readonly envName: string;
  /** The table with the environment's overrides applied (thresholds.ts effectiveThresholds). */
  readonly thresholds: readonly ThresholdRow[];
  /** A rate or percentile is judged only with at least this many attempts in a period. */
  readonly minimumAttempts: number;
  /** Metrics by their contract names. */
  readonly metrics: BoopMetrics;
  /** Where each severity's alarms notify; low has none (dashboards only). */
  readonly topics: Readonly<Record<NotifyingSeverity, sns.ITopic>>;
  /** The traffic controller's dead-letter queue: a rollback that failed every retry. @default none */
  readonly rollbackDeadLetters?: sqs.IQueue;
  /** The traffic controller function, whose Lambda errors and throttles count as a failed rollback. @default none */
  readonly trafficController?: lambda.IFunction;
  /** The health-check function: UPTIME_LOW counts its runs, so a run that never reported counts as failed. */
  readonly healthCheck: lambda.IFunction;
}

/** One alarm made from one table row, for one slot or for all traffic. */
export interface BoopAlarm {
  readonly row: ThresholdRow;
  /** The slot judged; undefined for all traffic or the stack as a whole. */
  readonly slot?: Slot;
  readonly alarm: cloudwatch.Alarm;
  /** Set on a row's fast rollback alarm: green on high-resolution counts, no actions, GREEN_ROLLBACK only. */
  readonly fastRollback?: FastRollbackJudgement;
}

/**
 * Every row of the thresholds table as a CloudWatch alarm named `boop-<env>-<ALARM>[-<slot>]`,
 * routed by severity; each fast rollback alarm (`boop-<env>-<ALARM>_10S-green`); and the composite
 * alarm that rolls green back.
 */
export class Alarms extends Construct {
  public readonly alarms: readonly BoopAlarm[];
  /** ALARM when any green-slot row marked "rolls green back" breaches; the traffic controller listens to it. */
  public readonly rollbackAlarm: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const alarms: BoopAlarm[] = [];
    for (const row of props.thresholds) {
      for (const slot of slotsJudged(row)) {
        alarms.push({ row, slot, alarm: this.createAlarm(row, slot, props) });
      }
      const fastRollback = fastRollbackOf(row);
      if (fastRollback) alarms.push({ row, slot: ROLLBACK_SLOT, fastRollback, alarm: this.createFastRollbackAlarm(row, fastRollback, props) });
    }
    this.alarms = alarms;

    const rollbackRows = alarms.filter((a) => a.row.rollsGreenBack && a.slot === ROLLBACK_SLOT);
    this.rollbackAlarm = new cloudwatch.CompositeAlarm(this, 'GreenRollback', {
      compositeAlarmName: environmentNames(props.envName).rollbackAlarm,
      alarmDescription:
        'Green is breaching a rollback row (' +
        rollbackRows.map((a) => a.fastRollback?.name ?? a.row.name).join(', ') +
        '). ' +
        'Traffic control moves all traffic to blue and pages; see the member alarm in ALARM for what broke.',
      alarmRule: cloudwatch.AlarmRule.anyOf(...rollbackRows.map((a) => a.alarm)),
    });
  }

  private createAlarm(row: ThresholdRow, slot: Slot | undefined, props: AlarmsProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${row.name}${slot ? `-${slot}` : ''}`, {
      alarmName: environmentNames(props.envName).alarm(row.name, slot),
      alarmDescription: describe(row, slot),
      metric: ROW_METRICS[row.name as ThresholdName]({ row, slot, props, period: Duration.minutes(row.periodMinutes) }),
      threshold: row.threshold,
      comparisonOperator: COMPARISON[row.comparison],
      evaluationPeriods: row.evaluationPeriods,
      datapointsToAlarm: row.datapointsToAlarm,
      treatMissingData: MISSING_DATA[row.missingData],
    });
    if (row.severity !== 'low') {
      const topic = new actions.SnsAction(props.topics[row.severity]);
      alarm.addAlarmAction(topic);
      // The person who was paged or pinged also hears when it is over.
      if (SEVERITY_ROUTING[row.severity].notifyOnRecovery) alarm.addOkAction(topic);
      // Silence after data is this row's outage; a new alarm starts in INSUFFICIENT_DATA without notifying.
      if (row.missingData === 'missing') alarm.addInsufficientDataAction(topic);
    }
    return alarm;
  }

  /** Green's row judged on the service's high-resolution counts. No actions: the row's own alarm is the one that pages. */
  private createFastRollbackAlarm(row: ThresholdRow, fast: FastRollbackJudgement, props: AlarmsProps): cloudwatch.Alarm {
    const metric = FAST_ROLLBACK_METRICS[row.name as ThresholdName];
    if (!metric)
      throw new Error(`${row.name} asks for a fast rollback alarm, but lib/monitoring/alarms.ts FAST_ROLLBACK_METRICS has no high-resolution metric for it`);
    // Each period needs its share of the row's minimum, so a breach covers at least as many attempts as the row's.
    const minimumAttempts = Math.ceil(minimumAttemptsFor(row, props.minimumAttempts) / fast.periodsPerRowPeriod);
    return new cloudwatch.Alarm(this, `${fast.name}-${ROLLBACK_SLOT}`, {
      alarmName: environmentNames(props.envName).alarm(fast.name, ROLLBACK_SLOT),
      alarmDescription: describeFastRollback(row, fast),
      metric: metric({ row, slot: ROLLBACK_SLOT, props, period: Duration.seconds(fast.periodSeconds), minimumAttempts }),
      threshold: row.threshold,
      comparisonOperator: COMPARISON[row.comparison],
      evaluationPeriods: fast.evaluationPeriods,
      datapointsToAlarm: fast.datapointsToAlarm,
      treatMissingData: MISSING_DATA[row.missingData],
    });
  }
}

/** Which slots a row makes an alarm for; undefined stands for all traffic or the whole stack. */
export function slotsJudged(row: ThresholdRow): (Slot | undefined)[] {
  switch (row.scope) {
    case 'slot':
      return [...SLOTS];
    case 'slot-and-all':
      return [...SLOTS, undefined];
    case 'all':
    case 'stack':
      return [undefined];
  }
}

/**
 * Attempts a period needs before a rate or percentile is judged. With a single datapoint to alarm,
 * one bad event alone must never breach: a share above t % needs at least 100/t attempts, a success
 * share below t % at least 100/(100 - t) (one failure costs 100/n points), and a p95 needs over 20
 * samples before one slow request is outside its top 5 %. Rows judged over several consecutive
 * periods already shrug off one event, so the configured minimum holds.
 */
export function minimumAttemptsFor(row: ThresholdRow, configured: number): number {
  if (row.datapointsToAlarm > 1) return configured;
  if (row.unit === 'percent') return Math.max(configured, Math.ceil(100 / (row.comparison === 'below' ? 100 - row.threshold : row.threshold)));
  if (row.unit === 'milliseconds') return Math.max(configured, Math.floor(100 / (100 - LATENCY_PERCENTILE)) + 1);
  return configured;
}

const LATENCY_PERCENTILE = 95;
const PERCENTILE_STATISTIC = `p${LATENCY_PERCENTILE}`;

const COMPARISON: Record<ThresholdRow['comparison'], cloudwatch.ComparisonOperator> = {
  'above': cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  'at-or-above': cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  'below': cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
};

const MISSING_DATA: Record<ThresholdRow['missingData'], cloudwatch.TreatMissingData> = {
  'not-breaching': cloudwatch.TreatMissingData.NOT_BREACHING,
  'missing': cloudwatch.TreatMissingData.MISSING,
  'ignore': cloudwatch.TreatMissingData.IGNORE,
};

interface RowContext {
  readonly row: ThresholdRow;
  readonly slot?: Slot;
  readonly props: AlarmsProps;
  readonly period: Duration;
  /** Attempts a period needs before a rate is judged. @default minimumAttemptsFor the row */
  readonly minimumAttempts?: number;
}

/** What each row measures. Rates and percentiles are guarded: below the minimum traffic they read as healthy. */
const ROW_METRICS: Record<ThresholdName, (c: RowContext) => cloudwatch.IMetric> = {
  SERVICE_DOWN: (c) => serverErrorShare(c),
  CRITICAL_ERROR_RATE: (c) => serverErrorShare(c),
  HIGH_ERROR_RATE: (c) => serverErrorShare(c),
  SLOW_RESPONSE_TIME: (c) => {
    const slot = requireSlot(c);
    return guarded(
      c,
      'slow response p95 (ms)',
      '1000 * latency',
      {
        latency: c.props.metrics.slotResponseTime(slot, { statistic: PERCENTILE_STATISTIC, period: c.period }),
        attempts: c.props.metrics.slotRequests(slot, c.period),
      },
      0,
    );
  },
  AUTH_ERROR_RATE: (c) => failureShare(c, 'AuthAttempts', 'AuthFailures'),
  AUTH_SLOW_RESPONSE: (c) => latencyPercentile(c, 'AuthLatency'),
  AUTH_SUCCESS_RATE_LOW: (c) => successShare(c, 'AuthAttempts', 'AuthFailures'),
  PAYMENT_ERROR_RATE: (c) => failureShare(c, 'PaymentAttempts', 'PaymentFailures'),
  PAYMENT_SLOW_RESPONSE: (c) => latencyPercentile(c, 'PaymentLatency'),
  PAYMENT_SUCCESS_RATE_LOW: (c) => successShare(c, 'PaymentAttempts', 'PaymentFailures'),
  PAYMENT_SYSTEM_FAILURE: (c) => c.props.metrics.integration('ConsecutivePaymentFailures', requireSlot(c), { statistic: 'Maximum', period: c.period }),
  CONNECTION_FAILURES: (c) => {
    const slot = requireSlot(c);
    const sum = { statistic: 'Sum', period: c.period };
    return new cloudwatch.MathExpression({
      label: 'WebSocket failures + abnormal closures',
      expression: 'FILL(failures, 0) + FILL(closures, 0)',
      usingMetrics: {
        failures: c.props.metrics.integration('WebSocketFailures', slot, sum),
        closures: c.props.metrics.integration('WebSocketAbnormalClosures', slot, sum),
      },
      period: c.period,
    });
  },
  WEBSOCKET_ABNORMAL_CLOSURE: (c) => c.props.metrics.integration('WebSocketAbnormalClosures', requireSlot(c), { statistic: 'Sum', period: c.period }),
  BOOP_RATE_LIMITED: (c) => c.props.metrics.integration('BoopApiRateLimited', requireSlot(c), { statistic: 'Sum', period: c.period }),
  UPTIME_LOW: (c) => {
    const passed = c.props.metrics.healthCheck('BoopHealthy', { statistic: 'Sum', period: c.period });
    // Checks passed out of checks run: a run that crashed or timed out before reporting counts as failed; an hour without a run alerts (docs/design.md "Alarms on a fresh stack").
    return new cloudwatch.MathExpression({
      label: 'BOOP health checks passed (%)',
      expression: 'IF(checks > 0, 100 * FILL(passed, 0) / checks, 0)',
      usingMetrics: {
        passed,
        checks: new cloudwatch.MathExpression({
          label: 'health-check runs',
          expression: 'MAX([FILL(reported, 0), FILL(invocations, 0)])',
          usingMetrics: {
            reported: c.props.metrics.healthCheck('BoopHealthy', { statistic: 'SampleCount', period: c.period }),
            invocations: c.props.healthCheck.metricInvocations({ statistic: 'Sum', period: c.period }),
          },
          period: c.period,
        }),
      },
      period: c.period,
    });
  },
  SLOT_UNHEALTHY: (c) => c.props.metrics.healthCheck('SlotHealthy', { statistic: 'Minimum', period: c.period }, requireSlot(c)),
  PRIMARY_KEY_REJECTED: (c) => c.props.metrics.healthCheck('KeyFallbacks', { statistic: 'Sum', period: c.period }),
  KEY_ROTATION_UNREADY: (c) => c.props.metrics.healthCheck('KeyRotationUnready', { statistic: 'Maximum', period: c.period }),
  ROLLBACK_FAILED: (c) => {
    const sum = { statistic: 'Sum', period: c.period };
    const errors = c.props.metrics.traffic('ControllerErrors', sum);
    const inputs: Record<string, cloudwatch.IMetric> = { errors };
    const controller = c.props.trafficController;
    // A timeout, a failed start or a refused invocation writes no ControllerErrors; Lambda counts them.
    if (controller) Object.assign(inputs, { lambdaErrors: controller.metricErrors(sum), throttles: controller.metricThrottles(sum) });
    const queue = c.props.rollbackDeadLetters;
    if (queue) inputs.deadLetters = queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: c.period });
    if (Object.keys(inputs).length === 1) return errors;
    return new cloudwatch.MathExpression({
      label: Object.keys(inputs)
        .map((k) => ROLLBACK_FAILURE_LABELS[k])
        .join(' + '),
      expression: Object.keys(inputs)
        .map((k) => `FILL(${k}, 0)`)
        .join(' + '),
      usingMetrics: inputs,
      period: c.period,
    });
  },
};

/** What a fast rollback alarm reads: the row's measure from the service's own high-resolution counts (common/contract.ts). */
const FAST_ROLLBACK_METRICS: Partial<Record<ThresholdName, (c: RowContext) => cloudwatch.IMetric>> = {
  SERVICE_DOWN: (c) => failureShare(c, 'HttpRequests', 'HttpServerErrors'),
};

/** What each input of ROLLBACK_FAILED counts, for the graph's legend. */
const ROLLBACK_FAILURE_LABELS: Record<string, string> = {
  errors: 'controller errors',
  lambdaErrors: 'controller Lambda errors',
  throttles: 'controller throttles',
  deadLetters: 'failed rollbacks in the dead-letter queue',
};

/**
 * Share of requests answered 5XX, of one slot or of all traffic. A slot with no registered target
 * gets no requests counted at all (the ALB rejects them before choosing it); SLOT_UNHEALTHY catches that.
 */
function serverErrorShare(c: RowContext): cloudwatch.IMetric {
  const m = c.props.metrics;
  const errors = c.slot ? m.slotServerErrors(c.slot, c.period) : m.allServerErrors(c.period);
  const attempts = c.slot
    ? m.slotRequests(c.slot, c.period)
    : new cloudwatch.MathExpression({
        label: 'requests, including those rejected before a target',
        expression: 'requests + FILL(rejected, 0)',
        usingMetrics: { requests: m.allRequests(c.period), rejected: m.rejectedBeforeTarget(c.period) },
        period: c.period,
      });
  const sum = Object.keys(errors)
    .map((k) => `FILL(${k}, 0)`)
    .join(' + ');
  return guarded(c, '5XX share (%)', `100 * (${sum}) / attempts`, { ...errors, attempts }, 0);
}

function failureShare(c: RowContext, attemptsName: IntegrationMetricName, failuresName: IntegrationMetricName): cloudwatch.IMetric {
  return guarded(c, `${failuresName} / ${attemptsName} (%)`, '100 * FILL(failures, 0) / attempts', slotCounts(c, attemptsName, failuresName), 0);
}

function successShare(c: RowContext, attemptsName: IntegrationMetricName, failuresName: IntegrationMetricName): cloudwatch.IMetric {
  return guarded(c, `${attemptsName} succeeded (%)`, '100 * (attempts - FILL(failures, 0)) / attempts', slotCounts(c, attemptsName, failuresName), 100);
}

function latencyPercentile(c: RowContext, name: IntegrationMetricName): cloudwatch.IMetric {
  const slot = requireSlot(c);
  return guarded(
    c,
    `${name} ${PERCENTILE_STATISTIC} (ms)`,
    'latency',
    {
      latency: c.props.metrics.integration(name, slot, { statistic: PERCENTILE_STATISTIC, period: c.period }),
      attempts: c.props.metrics.integration(name, slot, { statistic: 'SampleCount', period: c.period }),
    },
    0,
  );
}

function slotCounts(c: RowContext, attemptsName: IntegrationMetricName, failuresName: IntegrationMetricName) {
  const slot = requireSlot(c);
  const sum = { statistic: 'Sum', period: c.period };
  return { attempts: c.props.metrics.integration(attemptsName, slot, sum), failures: c.props.metrics.integration(failuresName, slot, sum) };
}

/** `value` where `attempts` reaches the row's minimum, else `healthy`: too little traffic is never a breach. */
function guarded(c: RowContext, label: string, value: string, usingMetrics: Record<string, cloudwatch.IMetric>, healthy: number): cloudwatch.IMetric {
  const minimum = c.minimumAttempts ?? minimumAttemptsFor(c.row, c.props.minimumAttempts);
  return new cloudwatch.MathExpression({
    label,
    expression: `IF(attempts >= ${minimum}, ${value}, ${healthy})`,
    usingMetrics,
    period: c.period,
  });
}

function requireSlot(c: RowContext): Slot {
  if (!c.slot) throw new Error(`${c.row.name} is judged per slot but was given none`);
  return c.slot;
}

/** What the person on call reads first: what it means, then what to check (monitoring guide playbooks). */
const FIRST_CHECKS: Record<ThresholdName, string> = {
  SERVICE_DOWN: "Nearly every request fails. Check the slot's ECS tasks (stopped reasons, circuit breaker), its target health, then BOOP /health.",
  CRITICAL_ERROR_RATE: "Many requests fail across both slots. Check BOOP /health and status first, then which slot's HIGH_ERROR_RATE is firing.",
  HIGH_ERROR_RATE: 'Check the error code distribution in the slot\'s logs (saved query "auth failures by error code"), BOOP status, then recent deploys.',
  SLOW_RESPONSE_TIME: 'Check network latency to BOOP, the connection pool (BOOP_CONNECTION_POOL_SIZE), task CPU/memory, then the slow-requests saved query.',
  AUTH_ERROR_RATE: 'Check the error code distribution, BOOP service health, a known good user, network connectivity, then the API credentials.',
  AUTH_SLOW_RESPONSE: 'Authentications take over the limit. Check latency to BOOP servers, connection pooling, request sizes and task resources.',
  AUTH_SUCCESS_RATE_LOW: 'Fewer authentications succeed. Common causes: network issues, user registration problems, biometric recognition failures, overload.',
  PAYMENT_ERROR_RATE: 'Payments fail. Check user balances, transaction id calculation, payment context data and duplicate transactions.',
  PAYMENT_SLOW_RESPONSE: 'Payments are slow. Check latency to BOOP, connection pooling and task resources; then the slow-requests saved query.',
  PAYMENT_SUCCESS_RATE_LOW: 'Fewer payments succeed. Check the failure reasons in the logs, user balances, and BOOP status.',
  PAYMENT_SYSTEM_FAILURE: "Payments fail one after another. Treat as an outage: check BOOP /health, API keys (401s), then the slot's logs.",
  CONNECTION_FAILURES: 'The vendor WebSocket keeps failing. Check BOOP /health, the heartbeat (ping every 30 s), and network egress (NAT).',
  WEBSOCKET_ABNORMAL_CLOSURE: 'A WebSocket closed with a code other than 1000. Check the close codes in the logs and BOOP status.',
  BOOP_RATE_LIMITED: "BOOP answered 429. Compare usage with BOOP's limits on the operations dashboard; back off and batch requests.",
  UPTIME_LOW:
    'BOOP /health failed too often in the last hour; in INSUFFICIENT_DATA, the health check has reported nothing for an hour (it is not running). Check BOOP status, then the health-check function.',
  SLOT_UNHEALTHY: "The slot's /health/boop has failed through the ALB for 3 minutes. Check its target health, tasks and logs.",
  PRIMARY_KEY_REJECTED: 'BOOP rejected the current API key and the other one worked. Rotate: put a new key with `npm run keys`, then check the rotation date.',
  KEY_ROTATION_UNREADY: 'The key rotation date is near and no secondary key is stored. Put it with `npm run keys -- put --slot secondary`.',
  ROLLBACK_FAILED:
    "The traffic controller failed: a rollback, its record or page, or a deploy's weights. Run `npm run rollout -- status`; if green still gets traffic, roll back now (`npm run rollout -- rollback`), then read the controller's logs (a timeout or throttle shows only in its Lambda metrics) and its dead-letter queue.",
};

function describe(row: ThresholdRow, slot: Slot | undefined): string {
  const where = slot ? `${slot} slot` : row.scope === 'stack' ? 'environment' : 'all traffic';
  const rollback = row.rollsGreenBack && slot === ROLLBACK_SLOT ? ' Rolls traffic back to blue.' : '';
  return (
    `${row.name} (${where}, ${row.severity}): ${row.measures} ${firesWhen(row)} over ${judgedOver(row)}.${rollback} ` +
    `First: ${FIRST_CHECKS[row.name as ThresholdName]} Source: ${row.source}.`
  );
}

function describeFastRollback(row: ThresholdRow, fast: FastRollbackJudgement): string {
  return (
    `${fast.name} (green slot, no notifications): ${row.name}'s ${row.measures} ${firesWhen(row)} from the service's own counts, ` +
    `${fast.datapointsToAlarm} of ${fast.evaluationPeriods} × ${fast.periodSeconds} s. Rolls traffic back to blue sooner than ${row.name}, ` +
    `which still pages. First: ${FIRST_CHECKS[row.name as ThresholdName]} Source: ${row.source}.`
  );
}
