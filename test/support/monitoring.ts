/**
 * Shared by the monitoring tests (alarms, alerting, dashboards): reads the alarms' and dashboards'
 * metrics from a synthesized template (test/support/synth.ts) and checks them against the metric contract.
 */
import { ContractMetric, DIMENSIONS, HEALTH_CHECK_METRICS, INTEGRATION_METRICS, NAMESPACES, TRAFFIC_METRICS } from '../../common/contract';
import { environmentNames } from '../../common/names';
import { slotsJudged } from '../../lib/monitoring/alarms';
import { fastRollbackOf, ThresholdRow } from '../../lib/monitoring/thresholds';
import { evaluate } from './metric-math';
import { Cfn } from './resources';

/** One metric an alarm or widget reads, with its dimensions as name → (possibly unresolved) value. */
export interface MetricRead {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, unknown>>;
  readonly period?: number;
  readonly stat?: string;
  readonly id?: string;
}

export interface MathRead {
  readonly id: string;
  readonly expression: string;
  readonly period?: number;
  readonly returnData: boolean;
}

/** The metrics and expressions of an AWS::CloudWatch::Alarm, in either of its two shapes. */
export function alarmInputs(props: Record<string, Cfn>): { metrics: MetricRead[]; expressions: MathRead[] } {
  const dims = (list: { Name: string; Value: unknown }[] | undefined) => Object.fromEntries((list ?? []).map((d) => [d.Name, d.Value]));
  if (!props.Metrics) {
    return {
      metrics: [
        {
          namespace: props.Namespace,
          metricName: props.MetricName,
          dimensions: dims(props.Dimensions),
          period: props.Period,
          stat: props.Statistic ?? props.ExtendedStatistic,
        },
      ],
      expressions: [],
    };
  }
  const metrics: MetricRead[] = [];
  const expressions: MathRead[] = [];
  for (const q of props.Metrics as Record<string, Cfn>[]) {
    if (q.MetricStat) {
      metrics.push({
        id: q.Id,
        namespace: q.MetricStat.Metric.Namespace,
        metricName: q.MetricStat.Metric.MetricName,
        dimensions: dims(q.MetricStat.Metric.Dimensions),
        period: q.MetricStat.Period,
        stat: q.MetricStat.Stat,
      });
    } else {
      expressions.push({ id: q.Id, expression: q.Expression, period: q.Period, returnData: q.ReturnData !== false });
    }
  }
  return { metrics, expressions };
}

/** A dashboard body with every CloudFormation token replaced by a placeholder that `token()` turns back. */
export interface ParsedDashboard {
  readonly body: { widgets: Widget[] };
  /** The intrinsic a placeholder stands for, or the text itself when it is not a whole placeholder. */
  token(text: unknown): unknown;
  /** Every intrinsic found inside a text (e.g. `SOURCE '<token>' | ...`). */
  tokensIn(text: string): unknown[];
}

export interface Widget {
  readonly type: string;
  readonly properties: Record<string, Cfn>;
}

const PLACEHOLDER = /__CFN_TOKEN_(\d+)__/g;

export function parseDashboardBody(body: unknown): ParsedDashboard {
  const tokens: unknown[] = [];
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    const [separator, parts] = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    text = parts.map((p) => (typeof p === 'string' ? p : `__CFN_TOKEN_${tokens.push(p) - 1}__`)).join(separator);
  }
  return {
    body: JSON.parse(text),
    token: (value) => {
      const m = typeof value === 'string' ? /^__CFN_TOKEN_(\d+)__$/.exec(value) : null;
      return m ? tokens[Number(m[1])] : value;
    },
    tokensIn: (value) => [...value.matchAll(PLACEHOLDER)].map((m) => tokens[Number(m[1])]),
  };
}

/** The metrics a metric widget plots or uses (expressions' inputs included), with placeholders left in. */
export function widgetMetrics(widget: Widget): { metrics: MetricRead[]; expressions: string[] } {
  const metrics: MetricRead[] = [];
  const expressions: string[] = [];
  for (const entry of (widget.properties.metrics ?? []) as unknown[][]) {
    const last = entry[entry.length - 1];
    const options = (typeof last === 'object' && last !== null ? last : {}) as Record<string, Cfn>;
    if (typeof entry[0] !== 'string') {
      expressions.push(options.expression);
      continue;
    }
    const plain = entry.filter((e) => typeof e === 'string') as string[];
    const [namespace, metricName, ...pairs] = plain;
    const dimensions: Record<string, string> = {};
    for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
    metrics.push({ namespace, metricName, dimensions, period: options.period, stat: options.stat, id: options.id });
  }
  return { metrics, expressions };
}

/** The metric contract (common/contract.ts) by namespace. */
export const CONTRACT_BY_NAMESPACE: Readonly<Record<string, Readonly<Record<string, ContractMetric>>>> = {
  [NAMESPACES.integration]: INTEGRATION_METRICS,
  [NAMESPACES.healthCheck]: HEALTH_CHECK_METRICS,
  [NAMESPACES.traffic]: TRAFFIC_METRICS,
};

/** The Environment dimension's value per environment: the guide's BOOP_ENV. */
export const METRIC_ENVIRONMENT: Readonly<Record<'dev' | 'prod', string>> = { dev: 'development', prod: 'production' };

/**
 * What is wrong with a Boop/* metric as read by an alarm or widget: a name outside the contract,
 * other dimensions than the contract's, the wrong Environment, or (when `slot` is given) the wrong Slot.
 */
export function contractProblems(metric: MetricRead, envName: 'dev' | 'prod', slot?: string): string[] {
  const where = `${metric.namespace} ${metric.metricName}`;
  const family = CONTRACT_BY_NAMESPACE[metric.namespace];
  if (!family) return [`${where}: namespace not in the contract`];
  const contract = family[metric.metricName];
  if (!contract) return [`${where}: metric not in the contract`];
  const problems: string[] = [];
  const names = Object.keys(metric.dimensions).sort();
  const expected = [...contract.dimensions].sort();
  if (JSON.stringify(names) !== JSON.stringify(expected)) problems.push(`${where}: dimensions ${names.join(',')}, contract says ${expected.join(',')}`);
  if (metric.dimensions[DIMENSIONS.environment] !== METRIC_ENVIRONMENT[envName]) {
    problems.push(`${where}: ${DIMENSIONS.environment}=${String(metric.dimensions[DIMENSIONS.environment])}, expected ${METRIC_ENVIRONMENT[envName]}`);
  }
  if (slot !== undefined && DIMENSIONS.slot in metric.dimensions && metric.dimensions[DIMENSIONS.slot] !== slot) {
    problems.push(`${where}: ${DIMENSIONS.slot}=${String(metric.dimensions[DIMENSIONS.slot])}, expected ${slot}`);
  }
  return problems;
}

/** What an UPTIME_LOW alarm computes for one period from the hour's counts (undefined: no data point). */
export function uptimeOf(alarm: Record<string, Cfn>, counts: Record<'passed' | 'reported' | 'invocations', number | undefined>): number | undefined {
  const { metrics, expressions } = alarmInputs(alarm);
  const inputs = Object.fromEntries(metrics.map((m) => [m.id!, counts[m.id as keyof typeof counts]]));
  const byId = Object.fromEntries(expressions.map((e) => [e.id, e.expression]));
  return evaluate(expressions.find((e) => e.returnData)!.expression, inputs, byId);
}

/**
 * The metric alarm names a table makes: one per row and judged slot, and green's fast rollback
 * alarm for each rollback row that asks for one.
 */
export function expectedAlarmNames(envName: string, thresholds: readonly ThresholdRow[]): string[] {
  const names = environmentNames(envName);
  return thresholds.flatMap((row) => {
    const fast = fastRollbackOf(row);
    return [...slotsJudged(row).map((slot) => names.alarm(row.name, slot)), ...(fast ? [names.alarm(fast.name, 'green')] : [])];
  });
}
