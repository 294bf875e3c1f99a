/**
 * docs/cost.md prices what the stack really creates: each line's quantity is what the synthesized
 * template says (the custom metrics what the metric contract says, usage lines the page's own
 * assumptions applied to the template), each monthly figure is quantity × price, each total the sum
 * of its lines, every resource type the template holds is priced, free or left out, and each way to
 * lower dev's bill is a real setting whose saving is the lines it removes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { ContractMetric, DIMENSIONS, HEALTH_CHECK_METRICS, INTEGRATION_METRICS, TRAFFIC_METRICS } from '../common/contract';
import { SLOTS } from '../common/slots';
import { declaredFields, formatPath, valueAt } from '../lib/config/fields';
import { loadConfig } from '../lib/config/load-config';
import { settingsSchema } from '../lib/config/schema';
import { environmentContext, REPO_ROOT } from './support/context';
import { Cfn, CfnResource, logicalIdOf, referencedId, resourcesOfType } from './support/resources';
import { build, Built } from './support/synth';

const COST_FILE = 'docs/cost.md';
const COST = fs.readFileSync(path.join(REPO_ROOT, COST_FILE), 'utf8');
const ENVIRONMENTS = ['dev', 'prod'] as const;
type Environment = (typeof ENVIRONMENTS)[number];

/** The page's month, as AWS bills an hourly price. */
const HOURS_PER_MONTH = 730;
const DAYS_PER_MONTH = 365 / 12;
/** ELB writes an access-log file per load balancer node every 5 minutes. */
const ACCESS_LOG_FILES_PER_HOUR = 12;
/** Below this period an alarm is high resolution and billed as such. */
const STANDARD_RESOLUTION_SECONDS = 60;
const BYTES_PER_GB = 1e9;
const BYTES_PER_KB = 1000;
const MB_PER_GB = 1024;
const PER_MILLION = 1e6;
const PER_THOUSAND = 1000;
/** A CloudFormation resource type written in backticks. */
const RESOURCE_TYPE = /`((?:AWS|Custom)::[A-Za-z0-9]+(?:::[A-Za-z0-9]+)?)`/g;

// ---------------------------------------------------------------------------------------------
// Reading the page.

/** The text of one `## ` section, up to the next `## ` heading. */
function section(title: string): string {
  const start = COST.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`${COST_FILE} has no "## ${title}" section`);
  const end = COST.indexOf('\n## ', start + 1);
  return COST.slice(start, end < 0 ? undefined : end);
}

/** The first markdown table of a text, one object per row keyed by the header's cells. */
function table(text: string): Record<string, string>[] {
  const rows = text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  const [header, , ...body] = rows;
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/** A cell's number, and how many decimals it is written with (its rounding). */
function figure(cell: string, what: string): { readonly value: number; readonly decimals: number } {
  const value = Number(cell);
  if (cell === '' || !Number.isFinite(value)) throw new Error(`${COST_FILE}: ${what} is "${cell}", not a number`);
  return { value, decimals: cell.split('.')[1]?.length ?? 0 };
}

/** Whether a figure written with its decimals is `exact` rounded. */
function roundsTo(written: { readonly value: number; readonly decimals: number }, exact: number): boolean {
  return Math.abs(written.value - exact) <= 0.5 * 10 ** -written.decimals + 1e-9;
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, '');

interface CostLine {
  readonly line: string;
  readonly what: string;
  readonly quantity: ReturnType<typeof figure>;
  readonly unit: string;
  readonly price: number;
  readonly monthly: ReturnType<typeof figure>;
  readonly source: string;
}

function costLines(env: Environment): CostLine[] {
  return table(section(env)).map((row) => {
    const line = unquote(row.line);
    return {
      line,
      what: row.what,
      quantity: figure(row.quantity, `${env} ${line}'s quantity`),
      unit: row.unit,
      price: figure(row['price (USD)'], `${env} ${line}'s price`).value,
      monthly: figure(row['per month (USD)'], `${env} ${line}'s monthly figure`),
      source: row['price source'],
    };
  });
}

/** An hourly price is billed for every hour of the month; any other unit is already per month. */
const hoursBilled = (unit: string) => (unit.endsWith('-hour') ? HOURS_PER_MONTH : 1);

const ASSUMPTIONS = table(section('Assumptions'));
function assumption(env: Environment, name: string): number {
  const row = ASSUMPTIONS.find((r) => unquote(r.assumption) === name);
  if (!row) throw new Error(`${COST_FILE}: the assumption \`${name}\` is missing from "## Assumptions"`);
  return figure(row[env], `assumption ${name} (${env})`).value;
}

/** Resource types the page names as free of their own or left out. */
const ACCEPTED_WITHOUT_A_LINE = new Set([...section('Not counted').matchAll(RESOURCE_TYPE)].map((m) => m[1]));

const REFERENCE_LINKS = new Map([...COST.matchAll(/^\[([a-z0-9-]+)\]: (\S+)$/gm)].map((m) => [m[1], m[2]]));

// ---------------------------------------------------------------------------------------------
// Reading the template.

function ofType(built: Built, type: string): CfnResource[] {
  return resourcesOfType(built, type).map(([, r]) => r);
}

function resource(built: Built, ref: unknown, what: string): CfnResource {
  const id = referencedId(ref);
  const found = id === undefined ? undefined : built.resources[id];
  if (!found) throw new Error(`${what} does not reference a resource of the template`);
  return found;
}

function attribute(loadBalancer: CfnResource, key: string): Cfn {
  return (loadBalancer.Properties.LoadBalancerAttributes as { Key: string; Value: Cfn }[]).find((a) => a.Key === key)?.Value;
}

const internetFacing = (built: Built) => ofType(built, 'AWS::ElasticLoadBalancingV2::LoadBalancer').filter((lb) => lb.Properties.Scheme === 'internet-facing');
/** One node per zone, the least a load balancer runs. */
const nodes = (loadBalancer: CfnResource) => (loadBalancer.Properties.Subnets as unknown[]).length;

/** The metrics an alarm reads, as CloudWatch bills it: one per metric in a metric-math expression. */
function alarmMetrics(alarm: CfnResource): { readonly metrics: number; readonly highResolution: boolean } {
  const queries = alarm.Properties.Metrics as { MetricStat?: { Period: number } }[] | undefined;
  const periods = queries ? queries.flatMap((q) => (q.MetricStat ? [q.MetricStat.Period] : [])) : [alarm.Properties.Period as number];
  return { metrics: periods.length, highResolution: Math.min(...periods) < STANDARD_RESOLUTION_SECONDS };
}
const billedAlarmMetrics = (built: Built, highResolution: boolean) =>
  ofType(built, 'AWS::CloudWatch::Alarm')
    .map(alarmMetrics)
    .filter((a) => a.highResolution === highResolution)
    .reduce((sum, a) => sum + a.metrics, 0);

/** A function an EventBridge schedule runs (the construct's), and how often a month; runs 0 when no schedule runs it. */
function scheduledRuns(built: Built, fn: IConstruct): { readonly fn: CfnResource; readonly runs: number } {
  const id = logicalIdOf(built.stack, fn);
  const schedules = ofType(built, 'AWS::Events::Rule').filter(
    (rule) => rule.Properties.ScheduleExpression !== undefined && rule.Properties.Targets.some((target: Cfn) => referencedId(target.Arn) === id),
  );
  expect(schedules.length).toBeLessThanOrEqual(1);
  if (schedules.length === 0) return { fn: built.resources[id], runs: 0 };
  const schedule = schedules[0].Properties.ScheduleExpression as string;
  const every = /^rate\((\d+) minutes?\)$/.exec(schedule);
  if (!every) throw new Error(`the schedule "${schedule}" of ${id} is not rate(N minutes); count its runs here`);
  return { fn: built.resources[id], runs: (HOURS_PER_MONTH * 60) / Number(every[1]) };
}

/** The health check, which a schedule runs in every stack, and how often a month. */
function healthCheck(built: Built): { readonly fn: CfnResource; readonly runs: number } {
  const runs = scheduledRuns(built, built.stack.healthCheck.function);
  expect(runs.runs).toBeGreaterThan(0);
  return runs;
}

/** The traffic controller's ticks (rollout.autoAdvance): how often a month its schedule runs it, 0 without one. */
const controllerTicks = (built: Built) => scheduledRuns(built, built.stack.trafficControl.controller);

const retentionDays = (built: Built, logGroupRef: unknown, what: string) => resource(built, logGroupRef, what).Properties.RetentionInDays as number;

/** Metric × dimension values a contract family makes in one environment (Environment has one value there). */
function contractCombinations(metrics: Readonly<Record<string, ContractMetric>>): number {
  return Object.values(metrics).reduce((sum, m) => sum + m.dimensions.reduce((n, d) => n * (d === DIMENSIONS.slot ? SLOTS.length : 1), 1), 0);
}

/** What each line of the page counts, from the template, the contract and the page's assumptions. */
const QUANTITIES: Readonly<Record<string, (built: Built, assume: (name: string) => number) => number>> = {
  'alb': (b) => ofType(b, 'AWS::ElasticLoadBalancingV2::LoadBalancer').length,
  'alb-lcu': (b, assume) => ofType(b, 'AWS::ElasticLoadBalancingV2::LoadBalancer').length * assume('alb-lcu'),
  'nat-gateway': (b) => ofType(b, 'AWS::EC2::NatGateway').length,
  'public-ipv4': (b) => ofType(b, 'AWS::EC2::EIP').length + internetFacing(b).reduce((sum, lb) => sum + nodes(lb), 0),
  'waf-web-acl': (b) => ofType(b, 'AWS::WAFv2::WebACL').length,
  'waf-rules': (b) => ofType(b, 'AWS::WAFv2::WebACL').reduce((sum, acl) => sum + (acl.Properties.Rules as unknown[]).length, 0),
  'waf-requests': (b, assume) => ofType(b, 'AWS::WAFv2::WebACL').length * assume('alb-requests'),
  'metric-alarms': (b) => ofType(b, 'AWS::CloudWatch::Alarm').length,
  'alarm-metrics': (b) => billedAlarmMetrics(b, false),
  'alarm-metrics-high-resolution': (b) => billedAlarmMetrics(b, true),
  'composite-alarms': (b) => ofType(b, 'AWS::CloudWatch::CompositeAlarm').length,
  'dashboards': (b) => ofType(b, 'AWS::CloudWatch::Dashboard').length,
  'custom-metrics-integration': () => contractCombinations(INTEGRATION_METRICS),
  'custom-metrics-health-check': () => contractCombinations(HEALTH_CHECK_METRICS),
  'custom-metrics-traffic': () => contractCombinations(TRAFFIC_METRICS),
  'health-check-requests': (b) => healthCheck(b).runs / PER_MILLION,
  'health-check-compute': (b, assume) => {
    const { fn, runs } = healthCheck(b);
    return runs * ((fn.Properties.MemorySize as number) / MB_PER_GB) * assume('health-check-seconds');
  },
  'controller-ticks': (b) => controllerTicks(b).runs / PER_MILLION,
  'other-functions': (b) => ofType(b, 'AWS::Lambda::Function').filter((fn) => fn !== healthCheck(b).fn).length,
  'log-groups': (b) => ofType(b, 'AWS::Logs::LogGroup').length,
  'health-check-logs': (b, assume) => healthCheckLogGb(b, assume),
  'flow-logs': (b, assume) => flowLogsToCloudWatch(b).length * assume('flow-log-gb'),
  'log-storage': (b, assume) => {
    const healthCheckMonths = retentionDays(b, healthCheck(b).fn.Properties.LoggingConfig.LogGroup, "the health check's log group") / DAYS_PER_MONTH;
    const flowLogs = flowLogsToCloudWatch(b).reduce(
      (sum, flowLog) => sum + (assume('flow-log-gb') * retentionDays(b, flowLog.Properties.LogGroupName, 'a flow log')) / DAYS_PER_MONTH,
      0,
    );
    return healthCheckLogGb(b, assume) * healthCheckMonths + flowLogs;
  },
  'kms-keys': (b) => ofType(b, 'AWS::KMS::Key').length,
  'ssm-advanced-parameters': (b, assume) =>
    assume('traffic-state-advanced') + ofType(b, 'AWS::SSM::Parameter').filter((p) => p.Properties.Tier === 'Advanced').length,
  'access-log-puts': (b) => (accessLogged(b).reduce((sum, lb) => sum + nodes(lb), 0) * ACCESS_LOG_FILES_PER_HOUR * HOURS_PER_MONTH) / PER_THOUSAND,
  'access-log-storage': (b, assume) =>
    accessLogged(b).reduce((sum, lb) => {
      const rules = resource(b, attribute(lb, 'access_logs.s3.bucket'), 'the access-log bucket').Properties.LifecycleConfiguration.Rules as {
        ExpirationInDays: number;
      }[];
      expect(rules).toHaveLength(1);
      return sum + (((assume('alb-requests') * PER_MILLION * assume('access-log-bytes')) / BYTES_PER_GB) * rules[0].ExpirationInDays) / DAYS_PER_MONTH;
    }, 0),
  'sns-topics': (b) => ofType(b, 'AWS::SNS::Topic').length,
  'eventbridge-rules': (b) => ofType(b, 'AWS::Events::Rule').length,
  'dead-letter-queue': (b) => ofType(b, 'AWS::SQS::Queue').length,
  'chatbot-channels': (b) => ofType(b, 'AWS::Chatbot::SlackChannelConfiguration').length,
};

function healthCheckLogGb(built: Built, assume: (name: string) => number): number {
  return (healthCheck(built).runs * assume('health-check-log-kb') * BYTES_PER_KB) / BYTES_PER_GB;
}
const flowLogsToCloudWatch = (built: Built) => ofType(built, 'AWS::EC2::FlowLog').filter((f) => f.Properties.LogDestinationType === 'cloud-watch-logs');
const accessLogged = (built: Built) =>
  ofType(built, 'AWS::ElasticLoadBalancingV2::LoadBalancer').filter((lb) => attribute(lb, 'access_logs.s3.enabled') === 'true');

// ---------------------------------------------------------------------------------------------

const built = {} as Record<Environment, Built>;
beforeAll(() => {
  for (const env of ENVIRONMENTS) built[env] = build(env);
});

describe.each(ENVIRONMENTS)('docs/cost.md, %s', (env) => {
  const lines = costLines(env);
  const assume = (name: string) => assumption(env, name);

  it('has each line this test can count, once', () => {
    expect([...lines.map((l) => l.line)].sort()).toEqual(Object.keys(QUANTITIES).sort());
  });

  it('states each quantity as the synthesized stack (or the metric contract, with the assumptions) makes it', () => {
    const wrong = lines.flatMap((l) => {
      const stack = QUANTITIES[l.line]?.(built[env], assume);
      return stack !== undefined && roundsTo(l.quantity, stack) ? [] : [{ line: l.line, page: l.quantity.value, stack: stack ?? 'no such line' }];
    });
    expect(wrong).toEqual([]);
  });

  it('prices each line at quantity × price, an hourly price for every hour of the month', () => {
    const wrong = lines.flatMap((l) => {
      const computed = l.quantity.value * l.price * hoursBilled(l.unit);
      return roundsTo(l.monthly, computed) ? [] : [{ line: l.line, page: l.monthly.value, computed }];
    });
    expect(wrong).toEqual([]);
  });

  it('totals its lines', () => {
    const total = table(section('Totals')).find((row) => row.environment === env);
    expect(total).toBeDefined();
    const sum = lines.reduce((s, l) => s + l.monthly.value, 0);
    expect(roundsTo(figure(total!['per month (USD)'], `${env}'s total`), sum)).toBe(true);
  });

  it('cites each price: an AWS pricing page, the day it was read, and whether the price was read there', () => {
    const uncited = lines
      .filter((l) => l.price > 0)
      .filter((l) => {
        const link = /\[[^\]]+\]\[([a-z0-9-]+)\]/.exec(l.source);
        const url = link ? REFERENCE_LINKS.get(link[1]) : undefined;
        return !url?.startsWith('https://aws.amazon.com/') || !/\b\d{4}-\d{2}-\d{2}\b/.test(l.source) || !/stored copy|last known/.test(l.source);
      })
      .map((l) => l.line);
    expect(uncited).toEqual([]);
  });

  it('prices, calls free or leaves out every resource type the template holds', () => {
    const priced = new Set(lines.flatMap((l) => [...l.what.matchAll(RESOURCE_TYPE)].map((m) => m[1])));
    const types = [...new Set(Object.values(built[env].resources).map((r) => r.Type))].filter((t) => t !== 'AWS::CDK::Metadata');
    expect(types.filter((t) => !priced.has(t) && !ACCEPTED_WITHOUT_A_LINE.has(t))).toEqual([]);
  });

  it("keeps its assumptions consistent with the stack: the health check's own requests reach the load balancer, within its timeout", () => {
    const { fn, runs } = healthCheck(built[env]);
    expect(assume('alb-requests')).toBeGreaterThanOrEqual((SLOTS.length * runs) / PER_MILLION);
    expect(assume('health-check-seconds')).toBeLessThanOrEqual(fn.Properties.Timeout as number);
  });
});

describe("docs/cost.md's ticks line, with rollout.autoAdvance on", () => {
  it("states the runs of the tick's schedule, and what their compute costs at most, should every run take the controller's timeout", () => {
    const onDev = build('dev', { 'rollout.autoAdvance': 'true' });
    const [line, prodLine] = ENVIRONMENTS.map((env) => costLines(env).find((l) => l.line === 'controller-ticks')!);
    expect(prodLine.what).toBe(line.what);
    const { fn, runs } = controllerTicks(onDev);
    expect(runs).toBeGreaterThan(0);
    const stated = (pattern: RegExp) => Number(pattern.exec(line.what)?.[1].replace(/,/g, ''));
    expect(stated(/([\d,]+) runs a month/)).toBe(runs);
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    const armSecondPrice = costLines('dev').find((l) => l.line === 'health-check-compute')!.price;
    const mostCompute = runs * ((fn.Properties.MemorySize as number) / MB_PER_GB) * (fn.Properties.Timeout as number) * armSecondPrice;
    expect(roundsTo(figure(String(stated(/compute at most \$([\d.]+)/)), "the ticks' most compute"), mostCompute)).toBe(true);
    expect([stated(/at its (\d+) MB/), stated(/its (\d+) s timeout/)]).toEqual([fn.Properties.MemorySize, fn.Properties.Timeout]);
  });
});

describe("docs/cost.md's ways to lower dev's bill", () => {
  const levers = table(section('Lowering it for dev'));
  const devLines = costLines('dev');
  const fields = new Map(declaredFields(settingsSchema).map((field) => [formatPath(field.path), field.path]));

  it('lists at least one', () => {
    expect(levers.length).toBeGreaterThan(0);
  });

  it.each(levers.map((lever) => [unquote(lever.setting), lever] as const))(
    '%s is a setting of dev with that value now, and accepts the new one',
    (setting, lever) => {
      const fieldPath = fields.get(setting);
      expect({ setting, declared: fieldPath !== undefined }).toEqual({ setting, declared: true });
      expect(valueAt(built.dev.config, fieldPath!)).toEqual(JSON.parse(lever['dev now']));
      const lowered = loadConfig({ context: environmentContext('dev', { [setting]: lever['set to'] }), cwd: REPO_ROOT });
      expect(valueAt(lowered, fieldPath!)).toEqual(JSON.parse(lever['set to']));
    },
  );

  it.each(levers.map((lever) => [unquote(lever.setting), lever] as const))('%s saves the lines it removes', (setting, lever) => {
    const removed = [...lever['removes lines'].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect(removed.filter((name) => !devLines.some((l) => l.line === name))).toEqual([]);
    const saving = devLines.filter((l) => removed.includes(l.line)).reduce((sum, l) => sum + l.monthly.value, 0);
    expect({ setting, saves: roundsTo(figure(lever['saves per month (USD)'], `${setting}'s saving`), saving) }).toEqual({ setting, saves: true });
  });
});
