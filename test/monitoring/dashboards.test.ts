/**
 * What the dashboards show the people who look at them, and the saved Logs Insights queries:
 * the monitoring guide's executive and operations widgets, blue and green side by side, BOOP's
 * rate limits as lines, every alarm in the status widget, and queries over both slots' logs.
 */
import { SLOTS } from '../../common/slots';
import { BOOP_RATE_LIMITS } from '../../lib/guides';
import { effectiveThresholds, THRESHOLDS } from '../../lib/monitoring/thresholds';
import { DIMENSIONS, NAMESPACES } from '../../common/contract';
import { contractProblems, expectedAlarmNames, parseDashboardBody, ParsedDashboard, Widget, widgetMetrics } from '../support/monitoring';
import { referencedId, resourcesOfType } from '../support/resources';
import { build, Built } from '../support/synth';
import { environmentNames } from '../../common/names';

const SAVED_QUERIES = ['auth-failures-by-error-code-24h', 'slow-requests', 'user-journey'];
const SLOW_ROW = 'AUTH_SLOW_RESPONSE';

function dashboard(built: Built, kind: 'executive' | 'operations'): ParsedDashboard {
  const name = environmentNames(built.config.envName).dashboard(kind);
  const found = resourcesOfType(built, 'AWS::CloudWatch::Dashboard').filter(([, r]) => r.Properties.DashboardName === name);
  expect(found).toHaveLength(1);
  return parseDashboardBody(found[0][1].Properties.DashboardBody);
}

function titled(d: ParsedDashboard, match: (title: string) => boolean): Widget[] {
  return d.body.widgets.filter((w) => typeof w.properties.title === 'string' && match(w.properties.title));
}

function oneTitled(d: ParsedDashboard, title: string | RegExp): Widget {
  const found = titled(d, (t) => (typeof title === 'string' ? t === title : title.test(t)));
  expect({ title: String(title), found: found.length }).toEqual({ title: String(title), found: 1 });
  return found[0];
}

function metricNames(w: Widget): string[] {
  return widgetMetrics(w).metrics.map((m) => m.metricName);
}

function slowRequestsThreshold(built: Built): number {
  const query = resourcesOfType(built, 'AWS::Logs::QueryDefinition').find(
    ([, r]) => r.Properties.Name === environmentNames(built.config.envName).logQuery('slow-requests'),
  );
  const match = /responseTime > (\d+)/.exec(query![1].Properties.QueryString);
  expect(match).not.toBeNull();
  return Number(match![1]);
}

const slowRow = THRESHOLDS.find((r) => r.name === SLOW_ROW)!;
/** An AUTH_SLOW_RESPONSE threshold other than the table's, as `-c alarms.overrides=...` would set it. */
const SLOW_OVERRIDE = slowRow.threshold + 500;

let prod: Built;
let tuned: Built;
let executive: ParsedDashboard;
let operations: ParsedDashboard;
beforeAll(() => {
  prod = build('prod');
  tuned = build('prod', { 'alarms.overrides': JSON.stringify({ [SLOW_ROW]: { threshold: SLOW_OVERRIDE } }) });
  executive = dashboard(prod, 'executive');
  operations = dashboard(prod, 'operations');
});

describe('executive dashboard', () => {
  test.each(['Authentication success rate', 'Payment success rate', 'Revenue (last 24 h)', 'Active users', 'Uptime (7 days)', "Green's share of traffic (%)"])(
    'shows "%s"',
    (title) => {
      const widget = oneTitled(executive, title);
      expect(widget.type).toBe('metric');
      expect(widgetMetrics(widget).metrics.length).toBeGreaterThan(0);
    },
  );

  test('success rates are computed from attempts and failures of each slot', () => {
    for (const [title, attempts, failures] of [
      ['Authentication success rate', 'AuthAttempts', 'AuthFailures'],
      ['Payment success rate', 'PaymentAttempts', 'PaymentFailures'],
    ]) {
      const widget = oneTitled(executive, title);
      expect(metricNames(widget)).toEqual(expect.arrayContaining([attempts, failures]));
      expect(widgetMetrics(widget).expressions).toHaveLength(SLOTS.length);
    }
  });

  test('revenue adds up PaymentValue of both slots', () => {
    const widget = oneTitled(executive, 'Revenue (last 24 h)');
    expect(metricNames(widget)).toEqual(SLOTS.map(() => 'PaymentValue'));
    expect(widget.properties.start).toBe('-PT24H');
  });

  test('uptime reads the BOOP health check over seven days', () => {
    const widget = oneTitled(executive, 'Uptime (7 days)');
    expect(metricNames(widget)).toEqual(['BoopHealthy']);
    expect(widget.properties.start).toBe('-P7D');
  });
});

describe('operations dashboard', () => {
  test('response time p50, p95 and p99 of each slot', () => {
    const widget = oneTitled(operations, /^Response time p50 \/ p95 \/ p99/);
    const stats = widgetMetrics(widget)
      .metrics.filter((m) => m.metricName === 'TargetResponseTime')
      .map((m) => m.stat);
    expect(stats.sort()).toEqual(SLOTS.flatMap(() => ['p50', 'p95', 'p99']).sort());
  });

  test('error rate by type', () => {
    const widget = oneTitled(operations, 'Error rate by type (%)');
    expect(metricNames(widget)).toEqual(expect.arrayContaining(['HTTPCode_Target_5XX_Count', 'AuthFailures', 'PaymentFailures']));
  });

  test('WebSocket connections and failures', () => {
    const widget = oneTitled(operations, /WebSocket connections and failures/);
    expect(metricNames(widget)).toEqual(expect.arrayContaining(['WebSocketConnections', 'WebSocketFailures', 'WebSocketAbnormalClosures']));
  });

  test('BOOP rate-limit usage is drawn against the limits BOOP enforces', () => {
    const widgets = titled(operations, (t) => t.startsWith('BOOP rate-limit usage'));
    const limitByMetric: Record<string, number> = {
      AuthAttempts: BOOP_RATE_LIMITS.authentication.perMinute,
      BoopApiRequests: BOOP_RATE_LIMITS.apiCalls.perMinute,
    };
    const shown = widgets.map((w) => {
      const names = [...new Set(metricNames(w))];
      expect(names).toHaveLength(1);
      const lines = (w.properties.annotations?.horizontal ?? []).map((a: { value: number }) => a.value);
      // A per-minute limit needs per-minute sums.
      for (const m of widgetMetrics(w).metrics) expect({ period: m.period, stat: m.stat }).toEqual({ period: 60, stat: 'Sum' });
      return { metric: names[0], lines };
    });
    expect(shown.sort((a, b) => a.metric.localeCompare(b.metric))).toEqual(
      Object.entries(limitByMetric)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([metric, limit]) => ({ metric, lines: [limit] })),
    );
  });

  test('health-check results: BOOP, the WebSocket and each slot', () => {
    const widget = oneTitled(operations, /^Health-check results/);
    const slotHealth = widgetMetrics(widget)
      .metrics.filter((m) => m.metricName === 'SlotHealthy')
      .map((m) => m.dimensions[DIMENSIONS.slot]);
    expect(metricNames(widget)).toEqual(expect.arrayContaining(['BoopHealthy', 'WebSocketHealthy']));
    expect(slotHealth.sort()).toEqual([...SLOTS].sort());
  });

  test('rollbacks', () => {
    const widget = oneTitled(operations, 'Rollbacks');
    const rollbacks = widgetMetrics(widget).metrics.filter((m) => m.metricName === 'Rollbacks');
    expect(rollbacks.map((m) => m.namespace)).toEqual([NAMESPACES.traffic]);
  });

  test('the alarm status widget lists every alarm and the rollback alarm', () => {
    const widgets = operations.body.widgets.filter((w) => w.type === 'alarm');
    expect(widgets).toHaveLength(1);
    const listed = (widgets[0].properties.alarms as string[]).map((a) => {
      const ref = operations.token(a);
      expect(ref).toEqual({ 'Fn::GetAtt': [referencedId(ref), 'Arn'] });
      return referencedId(ref)!;
    });
    const alarms = resourcesOfType(prod, 'AWS::CloudWatch::Alarm').map(([id]) => id);
    const composites = resourcesOfType(prod, 'AWS::CloudWatch::CompositeAlarm').map(([id]) => id);
    expect(composites).toHaveLength(1);
    expect(listed).toHaveLength(expectedAlarmNames(prod.config.envName, THRESHOLDS).length + 1);
    expect([...listed].sort()).toEqual([...alarms, ...composites].sort());
  });

  test("a text widget names every saved query, and a log widget runs one over both slots' logs", () => {
    const names = resourcesOfType(prod, 'AWS::Logs::QueryDefinition').map(([, r]) => r.Properties.Name as string);
    expect(names).toHaveLength(SAVED_QUERIES.length);
    const text = operations.body.widgets
      .filter((w) => w.type === 'text')
      .map((w) => w.properties.markdown as string)
      .join('\n');
    for (const name of names) expect(text).toContain(name);

    const logs = operations.body.widgets.filter((w) => w.type === 'log');
    expect(logs).toHaveLength(1);
    const query: string = logs[0].properties.query;
    const groups = operations.tokensIn(
      query
        .split(' | ')
        .filter((p) => p.startsWith('SOURCE '))
        .join(' | '),
    );
    expect(groups).toEqual(SLOTS.map((slot) => prod.stack.resolve(prod.stack.service.logGroups[slot].logGroupName)));
    const saved = resourcesOfType(prod, 'AWS::Logs::QueryDefinition').map(([, r]) => r.Properties.QueryString as string);
    expect(saved.some((q) => query.endsWith(` | ${q}`))).toBe(true);
  });
});

describe.each(['executive', 'operations'] as const)('%s dashboard: blue and green side by side', (kind) => {
  const d = () => dashboard(prod, kind);

  test('every graph of a per-slot metric shows both slots', () => {
    const targetGroups = SLOTS.map((slot) => JSON.stringify(prod.stack.resolve(prod.stack.service.targetGroups[slot].targetGroupFullName)));
    const problems: string[] = [];
    let perSlotWidgets = 0;
    for (const widget of d().body.widgets.filter((w) => w.type === 'metric')) {
      const { metrics } = widgetMetrics(widget);
      const slots = new Set(metrics.map((m) => m.dimensions[DIMENSIONS.slot]).filter((s) => s !== undefined));
      const groups = new Set(
        metrics
          .map((m) => m.dimensions.TargetGroup)
          .filter((g) => g !== undefined)
          .map((g) => JSON.stringify(d().token(g))),
      );
      if (slots.size > 0 || groups.size > 0) perSlotWidgets++;
      if (slots.size > 0 && SLOTS.some((s) => !slots.has(s))) problems.push(`${widget.properties.title}: Slot ${[...slots].join(', ')} only`);
      if (groups.size > 0 && targetGroups.some((g) => !groups.has(g))) problems.push(`${widget.properties.title}: not both slots' target groups`);
    }
    expect(perSlotWidgets).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  test('every Boop/* metric shown is in the contract, with its dimensions and this Environment', () => {
    const problems: string[] = [];
    for (const widget of d().body.widgets.filter((w) => w.type === 'metric')) {
      for (const metric of widgetMetrics(widget).metrics.filter((m) => !m.namespace.startsWith('AWS/'))) {
        problems.push(...contractProblems(metric, 'prod').map((p) => `${widget.properties.title}: ${p}`));
      }
    }
    expect(problems).toEqual([]);
  });

  test('expressions only use ids defined in their widget', () => {
    const problems: string[] = [];
    for (const widget of d().body.widgets.filter((w) => w.type === 'metric')) {
      const { metrics, expressions } = widgetMetrics(widget);
      const ids = new Set(metrics.map((m) => m.id).filter((id) => id !== undefined));
      const idList = metrics.map((m) => m.id).filter((id) => id !== undefined);
      if (idList.length !== ids.size) problems.push(`${widget.properties.title}: a metric id used twice`);
      for (const expression of expressions) {
        // Functions (FILL, IF) are upper case; metric ids start lower case.
        for (const name of expression.match(/\b[a-z][A-Za-z0-9_]*\b/g) ?? []) {
          if (!ids.has(name)) problems.push(`${widget.properties.title}: ${expression} uses ${name}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('saved log queries', () => {
  test("three queries, named boop-<env>/..., each over both slots' log groups", () => {
    const queries = resourcesOfType(prod, 'AWS::Logs::QueryDefinition').map(([, r]) => r.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(SAVED_QUERIES.map((q) => environmentNames(prod.config.envName).logQuery(q)).sort());
    const groups = SLOTS.map((slot) => prod.stack.resolve(prod.stack.service.logGroups[slot].logGroupName));
    for (const q of queries) expect(q.LogGroupNames).toEqual(groups);
  });

  test('slow-requests lists what AUTH_SLOW_RESPONSE calls slow, and follows its override', () => {
    expect(slowRequestsThreshold(prod)).toBe(effectiveThresholds(prod.config.alarms.overrides).find((r) => r.name === SLOW_ROW)!.threshold);
    expect(tuned.config.alarms.overrides[SLOW_ROW]).toEqual({ threshold: SLOW_OVERRIDE });
    expect(slowRequestsThreshold(tuned)).toBe(SLOW_OVERRIDE);
    expect(SLOW_OVERRIDE).not.toBe(slowRow.threshold);
  });
});
