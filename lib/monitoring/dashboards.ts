import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { HEALTH_CHECK_INTERVAL_MINUTES } from '../../common/contract';
import { environmentNames } from '../../common/names';
import { BoopAlarm } from './alarms';
import { BoopMetrics } from './boop-metrics';
import { Slot, SLOTS } from '../../common/slots';
import { BOOP_RATE_LIMITS } from '../guides';
import { SavedQuery } from './log-queries';

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
const FULL_WIDTH = 24;
const HALF_WIDTH = 12;
const THIRD_WIDTH = 8;
const HEIGHT = 6;
const UPTIME_WINDOW = Duration.days(7);
/** Slot colours, the same on every graph. */
const SLOT_COLOR: Readonly<Record<Slot, string>> = { blue: cloudwatch.Color.BLUE, green: cloudwatch.Color.GREEN };

export interface DashboardsProps {
  /** The environment's name; dashboards are `boop-<env>-executive` and `boop-<env>-operations`. */
  readonly envName: string;
  /** Metrics by their contract names. */
  readonly metrics: BoopMetrics;
  /** Every alarm, for the status widget. */
  readonly alarms: readonly BoopAlarm[];
  /** The composite alarm that rolls green back. */
  readonly rollbackAlarm: cloudwatch.IAlarm;
  /** The saved Logs Insights queries to link. */
  readonly savedQueries: readonly SavedQuery[];
  /** The services' log group names, for the embedded query. */
  readonly logGroupNames: readonly string[];
}

/** The monitoring guide's executive and operations dashboards, blue and green side by side. */
export class Dashboards extends Construct {
  public readonly executive: cloudwatch.Dashboard;
  public readonly operations: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardsProps) {
    super(scope, id);
    const m = props.metrics;
    const names = environmentNames(props.envName);

    this.executive = new cloudwatch.Dashboard(this, 'Executive', {
      dashboardName: names.dashboard('executive'),
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.SingleValueWidget({
            title: 'Authentication success rate',
            metrics: SLOTS.map((slot) => successRate(m, slot, 'AuthAttempts', 'AuthFailures')),
            setPeriodToTimeRange: true,
            width: THIRD_WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.SingleValueWidget({
            title: 'Payment success rate',
            metrics: SLOTS.map((slot) => successRate(m, slot, 'PaymentAttempts', 'PaymentFailures')),
            setPeriodToTimeRange: true,
            width: THIRD_WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.SingleValueWidget({
            title: 'Revenue (last 24 h)',
            metrics: [revenue(m)],
            start: '-PT24H',
            setPeriodToTimeRange: true,
            width: THIRD_WIDTH,
            height: HEIGHT,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Active users',
            left: SLOTS.map((slot) =>
              m.integration('ActiveUsers', slot, { statistic: 'Maximum', period: FIVE_MINUTES }).with({ label: slot, color: SLOT_COLOR[slot] }),
            ),
            width: THIRD_WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.SingleValueWidget({
            title: 'Uptime (7 days)',
            metrics: [uptime(m, UPTIME_WINDOW)],
            start: '-P7D',
            setPeriodToTimeRange: true,
            width: THIRD_WIDTH,
            height: HEIGHT,
          }),
          greenShareWidget(m, THIRD_WIDTH),
        ],
      ],
    });

    this.operations = new cloudwatch.Dashboard(this, 'Operations', {
      dashboardName: names.dashboard('operations'),
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Response time p50 / p95 / p99 (ALB, seconds)',
            left: SLOTS.flatMap((slot) =>
              ['p50', 'p95', 'p99'].map((statistic) =>
                m.slotResponseTime(slot, { statistic, period: MINUTE }).with({ label: `${slot} ${statistic}`, color: SLOT_COLOR[slot] }),
              ),
            ),
            width: HALF_WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.GraphWidget({
            title: 'Authentication and payment time p50 / p95 / p99 (ms)',
            left: SLOTS.flatMap((slot) =>
              (['AuthLatency', 'PaymentLatency'] as const).flatMap((name) =>
                ['p50', 'p95', 'p99'].map((statistic) =>
                  m.integration(name, slot, { statistic, period: MINUTE }).with({ label: `${slot} ${name} ${statistic}`, color: SLOT_COLOR[slot] }),
                ),
              ),
            ),
            width: HALF_WIDTH,
            height: HEIGHT,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Error rate by type (%)',
            left: SLOTS.flatMap((slot) => errorRates(m, slot)),
            leftYAxis: { min: 0, label: '%', showUnits: false },
            width: HALF_WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.GraphWidget({
            title: 'BOOP API errors, timeouts and 429s',
            left: SLOTS.flatMap((slot) =>
              (['BoopApiErrors', 'BoopApiTimeouts', 'BoopApiRateLimited'] as const).map((name) =>
                m.integration(name, slot, { statistic: 'Sum', period: MINUTE }).with({ label: `${slot} ${name}`, color: SLOT_COLOR[slot] }),
              ),
            ),
            width: HALF_WIDTH,
            height: HEIGHT,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'WebSocket connections and failures',
            left: SLOTS.map((slot) =>
              m.integration('WebSocketConnections', slot, { statistic: 'Maximum', period: MINUTE }).with({ label: `${slot} open`, color: SLOT_COLOR[slot] }),
            ),
            right: SLOTS.flatMap((slot) =>
              (['WebSocketFailures', 'WebSocketAbnormalClosures'] as const).map((name) =>
                m.integration(name, slot, { statistic: 'Sum', period: MINUTE }).with({ label: `${slot} ${name}` }),
              ),
            ),
            width: HALF_WIDTH,
            height: HEIGHT,
          }),
          rateLimitWidget(m, 'BOOP rate-limit usage: authentications per minute', 'AuthAttempts', BOOP_RATE_LIMITS.authentication.perMinute),
        ],
        [
          rateLimitWidget(m, 'BOOP rate-limit usage: API calls per minute', 'BoopApiRequests', BOOP_RATE_LIMITS.apiCalls.perMinute),
          new cloudwatch.GraphWidget({
            title: 'Health-check results (1 = passed)',
            left: [
              m.healthCheck('BoopHealthy', { statistic: 'Minimum', period: MINUTE }).with({ label: 'BOOP /health' }),
              m.healthCheck('WebSocketHealthy', { statistic: 'Minimum', period: MINUTE }).with({ label: 'vendor WebSocket' }),
              ...SLOTS.map((slot) =>
                m.healthCheck('SlotHealthy', { statistic: 'Minimum', period: MINUTE }, slot).with({ label: `${slot} /health/boop`, color: SLOT_COLOR[slot] }),
              ),
            ],
            leftYAxis: { min: 0, max: 1 },
            width: HALF_WIDTH,
            height: HEIGHT,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Rollbacks',
            left: [m.traffic('Rollbacks', { statistic: 'Sum', period: MINUTE }).with({ label: 'rollbacks' })],
            right: [m.traffic('RollbackLatency', { statistic: 'Maximum', period: MINUTE }).with({ label: 'alarm to blue alone (ms)' })],
            width: HALF_WIDTH,
            height: HEIGHT,
          }),
          greenShareWidget(m, HALF_WIDTH),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: [props.rollbackAlarm, ...props.alarms.map((a) => a.alarm)],
            sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
            width: FULL_WIDTH,
            height: HEIGHT + 2,
          }),
        ],
        [
          new cloudwatch.TextWidget({
            markdown: savedQueriesMarkdown(this, props.savedQueries),
            width: THIRD_WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.LogQueryWidget({
            title: props.savedQueries[0].title,
            logGroupNames: [...props.logGroupNames],
            queryString: props.savedQueries[0].queryString,
            view: cloudwatch.LogQueryVisualizationType.TABLE,
            width: FULL_WIDTH - THIRD_WIDTH,
            height: HEIGHT,
          }),
        ],
      ],
    });
  }
}

/** BOOP health checks passed out of checks expected over the window; a check that never reported counts as failed. */
function uptime(m: BoopMetrics, window: Duration) {
  const expected = window.toMinutes() / HEALTH_CHECK_INTERVAL_MINUTES;
  return new cloudwatch.MathExpression({
    label: 'BOOP health checks passed (%)',
    expression: `IF(passed >= ${expected}, 100, 100 * passed / ${expected})`,
    usingMetrics: { passed: m.healthCheck('BoopHealthy', { statistic: 'Sum', period: window }) },
    period: window,
  });
}

function successRate(m: BoopMetrics, slot: Slot, attemptsName: 'AuthAttempts' | 'PaymentAttempts', failuresName: 'AuthFailures' | 'PaymentFailures') {
  const sum = { statistic: 'Sum', period: FIVE_MINUTES };
  // Ids carry the slot: expressions sharing a widget must not reuse a metric id.
  const [attempts, failures] = [`${slot}_attempts`, `${slot}_failures`];
  return new cloudwatch.MathExpression({
    label: `${slot} (%)`,
    expression: `100 * (${attempts} - FILL(${failures}, 0)) / ${attempts}`,
    usingMetrics: { [attempts]: m.integration(attemptsName, slot, sum), [failures]: m.integration(failuresName, slot, sum) },
    period: FIVE_MINUTES,
    color: SLOT_COLOR[slot],
  });
}

/** PaymentValue is in cents; the widget shows currency units. */
function revenue(m: BoopMetrics) {
  const usingMetrics = Object.fromEntries(SLOTS.map((slot) => [slot, m.integration('PaymentValue', slot, { statistic: 'Sum', period: Duration.days(1) })]));
  return new cloudwatch.MathExpression({
    label: 'revenue, both slots',
    expression: `(${SLOTS.map((slot) => `FILL(${slot}, 0)`).join(' + ')}) / 100`,
    usingMetrics,
    period: Duration.days(1),
  });
}

/** The controller's intended green share next to the share green actually served. */
function greenShareWidget(m: BoopMetrics, width: number) {
  const requests = Object.fromEntries(SLOTS.map((slot) => [slot, m.slotRequests(slot, FIVE_MINUTES)]));
  return new cloudwatch.GraphWidget({
    title: "Green's share of traffic (%)",
    left: [
      m.traffic('GreenPercent', { statistic: 'Maximum', period: FIVE_MINUTES }).with({ label: 'green weight (controller)', color: SLOT_COLOR.green }),
      new cloudwatch.MathExpression({
        label: 'green share served (ALB)',
        expression: '100 * FILL(green, 0) / (FILL(blue, 0) + FILL(green, 0))',
        usingMetrics: requests,
        period: FIVE_MINUTES,
      }),
    ],
    leftYAxis: { min: 0, max: 100 },
    width,
    height: HEIGHT,
  });
}

function errorRates(m: BoopMetrics, slot: Slot): cloudwatch.IMetric[] {
  const sum = { statistic: 'Sum', period: MINUTE };
  // Ids carry slot and kind: expressions sharing a widget must not reuse a metric id.
  const share = (kind: string, failures: Record<string, cloudwatch.IMetric>, attempts: cloudwatch.IMetric) => {
    const id = (name: string) => `${slot}_${kind}_${name}`;
    const failed = Object.keys(failures)
      .map((k) => `FILL(${id(k)}, 0)`)
      .join(' + ');
    return new cloudwatch.MathExpression({
      label: `${slot} ${kind.replace('_', ' ')}`,
      expression: `100 * (${failed}) / ${id('attempts')}`,
      usingMetrics: { ...Object.fromEntries(Object.entries(failures).map(([k, v]) => [id(k), v])), [id('attempts')]: attempts },
      period: MINUTE,
      color: SLOT_COLOR[slot],
    });
  };
  return [
    share('5XX', m.slotServerErrors(slot, MINUTE), m.slotRequests(slot, MINUTE)),
    share('auth_failures', { failures: m.integration('AuthFailures', slot, sum) }, m.integration('AuthAttempts', slot, sum)),
    share('payment_failures', { failures: m.integration('PaymentFailures', slot, sum) }, m.integration('PaymentAttempts', slot, sum)),
  ];
}

/** Per-minute use of a BOOP limit by each slot and both together, against the limit BOOP enforces. */
function rateLimitWidget(m: BoopMetrics, title: string, name: 'AuthAttempts' | 'BoopApiRequests', limitPerMinute: number) {
  const usingMetrics = Object.fromEntries(SLOTS.map((slot) => [slot, m.integration(name, slot, { statistic: 'Sum', period: MINUTE })]));
  return new cloudwatch.GraphWidget({
    title,
    left: [
      ...SLOTS.map((slot) => (usingMetrics[slot] as cloudwatch.Metric).with({ label: slot, color: SLOT_COLOR[slot] })),
      new cloudwatch.MathExpression({ label: 'both slots', expression: SLOTS.map((slot) => `FILL(${slot}, 0)`).join(' + '), usingMetrics, period: MINUTE }),
    ],
    leftAnnotations: [{ value: limitPerMinute, label: `BOOP limit ${limitPerMinute}/min`, color: cloudwatch.Color.RED }],
    width: HALF_WIDTH,
    height: HEIGHT,
  });
}

function savedQueriesMarkdown(scope: Construct, queries: readonly SavedQuery[]): string {
  const region = Stack.of(scope).region;
  const insights = `https://console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:logs-insights`;
  return [
    '### Saved log queries',
    `Open [Logs Insights](${insights}), then **Queries** → **Saved queries**:`,
    ...queries.map((q) => `- ${q.title}: \`${q.name}\``),
  ].join('\n');
}
