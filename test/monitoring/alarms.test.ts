/**
 * The alarms a user relies on, checked row by row against the thresholds table (lib/monitoring/thresholds.ts):
 * one alarm per judged slot with the row's numbers, routed to its severity's topic, the rollback
 * composite made of exactly the green rollback rows, rates guarded against thin traffic, metrics
 * read exactly as the contract (common/contract.ts) says they are written, and config that
 * really changes the alarms.
 */
import fc from 'fast-check';
import { numRuns } from '../support/properties';
import { minimumAttemptsFor, slotsJudged } from '../../lib/monitoring/alarms';
import { SLOTS } from '../../common/slots';
import { effectiveThresholds, fastRollbackOf, SEVERITY_ROUTING, ThresholdOverride, ThresholdRow, THRESHOLDS } from '../../lib/monitoring/thresholds';
import {
  ContractMetric,
  DIMENSIONS,
  HEALTH_CHECK_INTERVAL_MINUTES,
  HIGH_RESOLUTION_PERIOD_SECONDS,
  INTEGRATION_METRICS,
  NAMESPACES,
} from '../../common/contract';
import { alarmInputs, contractProblems, expectedAlarmNames, MathRead, uptimeOf } from '../support/monitoring';
import { evaluate } from '../support/metric-math';
import { deployedRollbackAlarms, timesToBlue } from '../../benchmark/time-to-blue';
import { Cfn, CfnResource, logicalIdOf, referencedId, resourcesOfType } from '../support/resources';
import { build, Built } from '../support/synth';
import { environmentNames } from '../../common/names';

const COMPARISON_OPERATOR: Record<ThresholdRow['comparison'], string> = {
  'above': 'GreaterThanThreshold',
  'at-or-above': 'GreaterThanOrEqualToThreshold',
  'below': 'LessThanThreshold',
};

const TREAT_MISSING_DATA: Record<ThresholdRow['missingData'], string> = {
  'not-breaching': 'notBreaching',
  'missing': 'missing',
  'ignore': 'ignore',
};

const ALB_NAMESPACE = 'AWS/ApplicationELB';
const GUARD = /^IF\(attempts >= (\d+), (.+), (-?[\d.]+)\)$/;

/** A rate or percentile judged on traffic: it reads as healthy below the minimum number of attempts. */
function isGuarded(row: ThresholdRow): boolean {
  return (row.unit === 'percent' || row.unit === 'milliseconds') && row.missingData !== 'missing';
}

function breaches(row: ThresholdRow, value: number): boolean {
  switch (row.comparison) {
    case 'above':
      return value > row.threshold;
    case 'at-or-above':
      return value >= row.threshold;
    case 'below':
      return value < row.threshold;
  }
}

function alarmName(envName: string, row: ThresholdRow, slot: string | undefined): string {
  return environmentNames(envName).alarm(row.name, slot);
}

/** Every metric alarm of a build by its AlarmName (throws on duplicates, which the count test reports). */
function alarmsByName(built: Built): Map<string, { id: string; props: Record<string, Cfn> }[]> {
  const byName = new Map<string, { id: string; props: Record<string, Cfn> }[]>();
  for (const [id, r] of resourcesOfType(built, 'AWS::CloudWatch::Alarm')) {
    const list = byName.get(r.Properties.AlarmName) ?? [];
    list.push({ id, props: r.Properties });
    byName.set(r.Properties.AlarmName, list);
  }
  return byName;
}

/** The one alarm of a row and slot. */
function alarmOf(built: Built, row: ThresholdRow, slot: string | undefined): Record<string, Cfn> {
  const found = alarmsByName(built).get(alarmName(built.config.envName, row, slot)) ?? [];
  expect(found).toHaveLength(1);
  return found[0].props;
}

/** Each alarm of the build with its row (effective numbers) and slot. */
function judgedAlarms(built: Built): { row: ThresholdRow; slot: string | undefined; props: Record<string, Cfn> }[] {
  return effectiveThresholds(built.config.alarms.overrides).flatMap((row) => slotsJudged(row).map((slot) => ({ row, slot, props: alarmOf(built, row, slot) })));
}

function returnedExpression(props: Record<string, Cfn>): MathRead | undefined {
  const returned = alarmInputs(props).expressions.filter((e) => e.returnData);
  expect(returned.length).toBeLessThanOrEqual(1);
  return returned[0];
}

/** The N of `IF(attempts >= N, ...)`, with the value the alarm reads below it. */
function guardOf(props: Record<string, Cfn>): { minimum: number; healthy: number } | undefined {
  const expression = returnedExpression(props)?.expression;
  const match = expression ? GUARD.exec(expression) : null;
  return match ? { minimum: Number(match[1]), healthy: Number(match[3]) } : undefined;
}

function topicNameOf(built: Built, ref: unknown): string | undefined {
  const id = referencedId(ref);
  const topic: CfnResource | undefined = id ? built.resources[id] : undefined;
  return topic?.Type === 'AWS::SNS::Topic' ? topic.Properties.TopicName : undefined;
}

/** What the table expects of a row's alarm, side by side with what the template holds. */
function numbersOf(props: Record<string, Cfn>) {
  const { metrics, expressions } = alarmInputs(props);
  return {
    Threshold: props.Threshold,
    EvaluationPeriods: props.EvaluationPeriods,
    DatapointsToAlarm: props.DatapointsToAlarm,
    ComparisonOperator: props.ComparisonOperator,
    TreatMissingData: props.TreatMissingData,
    periods: [...new Set([...metrics.map((m) => m.period), ...expressions.map((e) => e.period).filter((p) => p !== undefined)])],
  };
}

function expectedNumbers(row: ThresholdRow) {
  return {
    Threshold: row.threshold,
    EvaluationPeriods: row.evaluationPeriods,
    DatapointsToAlarm: row.datapointsToAlarm,
    ComparisonOperator: COMPARISON_OPERATOR[row.comparison],
    TreatMissingData: TREAT_MISSING_DATA[row.missingData],
    periods: [row.periodMinutes * 60],
  };
}

/** Per-deploy overrides, as `-c alarms.overrides='{...}' -c alarms.minimumAttempts=50` would pass them. */
const TUNED_MINIMUM_ATTEMPTS = 50;
const SINGLE_PERIOD_SUCCESS_ROW = THRESHOLDS.find((r) => isGuarded(r) && r.unit === 'percent' && r.comparison === 'below' && r.datapointsToAlarm > 1);
const OVERRIDES: Record<string, ThresholdOverride> = {
  HIGH_ERROR_RATE: { threshold: 2, evaluationPeriods: 10, datapointsToAlarm: 8 },
  // A row with a fast rollback alarm: the fast alarm must follow it.
  SERVICE_DOWN: { threshold: 90, evaluationPeriods: 3, datapointsToAlarm: 2 },
  // A success-rate row made to alarm on a single period: one failure must still not be enough.
  ...(SINGLE_PERIOD_SUCCESS_ROW ? { [SINGLE_PERIOD_SUCCESS_ROW.name]: { datapointsToAlarm: 1 } } : {}),
};

const builds: Record<'prod' | 'dev' | 'tuned', Built> = {} as never;
beforeAll(() => {
  builds.prod = build('prod');
  builds.dev = build('dev');
  builds.tuned = build('prod', {
    'alarms.overrides': JSON.stringify(OVERRIDES),
    'alarms.minimumAttempts': String(TUNED_MINIMUM_ATTEMPTS),
  });
});

describe.each(['prod', 'dev'] as const)('%s: the thresholds table as alarms', (which) => {
  const built = () => builds[which];

  test.each(THRESHOLDS.map((row) => [row.name, row] as const))("%s: one alarm per judged slot, with the row's numbers", (_name, row) => {
    for (const slot of slotsJudged(row)) {
      const props = alarmOf(built(), row, slot);
      expect({ alarm: props.AlarmName, ...numbersOf(props) }).toEqual({ alarm: alarmName(built().config.envName, row, slot), ...expectedNumbers(row) });
    }
  });

  test('no alarm outside the table, and no name twice', () => {
    const expected = expectedAlarmNames(built().config.envName, THRESHOLDS);
    const actual = resourcesOfType(built(), 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties.AlarmName as string);
    expect(actual).toHaveLength(expected.length);
    expect([...actual].sort()).toEqual([...expected].sort());
  });

  test.each(THRESHOLDS.map((row) => [row.name, row] as const))(
    "%s: notifies its severity's topic, on recovery where the severity asks for it, and on silence where silence is the outage",
    (_name, row) => {
      const env = built().config.envName;
      const topic = environmentNames(env).alertTopic(row.severity);
      const notifies = row.severity !== 'low';
      for (const slot of slotsJudged(row)) {
        const props = alarmOf(built(), row, slot);
        expect({
          alarm: (props.AlarmActions ?? []).map((a: unknown) => topicNameOf(built(), a)),
          ok: (props.OKActions ?? []).map((a: unknown) => topicNameOf(built(), a)),
          silence: (props.InsufficientDataActions ?? []).map((a: unknown) => topicNameOf(built(), a)),
        }).toEqual({
          alarm: notifies ? [topic] : [],
          ok: notifies && SEVERITY_ROUTING[row.severity].notifyOnRecovery ? [topic] : [],
          silence: notifies && row.missingData === 'missing' ? [topic] : [],
        });
      }
    },
  );

  test('the rollback composite alarm is ANY of exactly the green alarms of rows that roll green back, fast ones included', () => {
    const composites = resourcesOfType(built(), 'AWS::CloudWatch::CompositeAlarm');
    expect(composites).toHaveLength(1);
    const props = composites[0][1].Properties;
    expect(props.AlarmName).toBe(environmentNames(built().config.envName).rollbackAlarm);

    const [separator, parts] = props.AlarmRule['Fn::Join'] as [string, unknown[]];
    const members = parts
      .filter((p) => typeof p !== 'string')
      .map((p) => {
        const member = built().resources[referencedId(p)!];
        expect(member.Type).toBe('AWS::CloudWatch::Alarm');
        expect(p).toEqual({ 'Fn::GetAtt': [referencedId(p), 'Arn'] });
        return member.Properties.AlarmName as string;
      });
    // Only ALARM(...) terms joined by OR: any one member in ALARM rolls back.
    const shape = parts.map((p) => (typeof p === 'string' ? p : '#')).join(separator);
    expect(shape).toMatch(/^\(ALARM\("#"\)( OR ALARM\("#"\))*\)$/);

    const names = environmentNames(built().config.envName);
    const expected = THRESHOLDS.filter((row) => row.rollsGreenBack && slotsJudged(row).includes('green')).flatMap((row) => {
      const fast = fastRollbackOf(row);
      return [names.alarm(row.name, 'green'), ...(fast ? [names.alarm(fast.name, 'green')] : [])];
    });
    expect(expected.length).toBeGreaterThan(0);
    expect([...members].sort()).toEqual([...expected].sort());
  });

  test("every Boop/* metric an alarm reads is in the contract, with its dimensions, this Environment and the alarm's Slot", () => {
    const problems: string[] = [];
    let read = 0;
    for (const { row, slot, props } of judgedAlarms(built())) {
      for (const metric of alarmInputs(props).metrics) {
        // AWS's own metrics (the ALB's, a queue's) are not part of the contract.
        if (metric.namespace.startsWith('AWS/')) continue;
        read++;
        problems.push(...contractProblems(metric, which, slot).map((p) => `${props.AlarmName} (${row.name}): ${p}`));
      }
    }
    expect(read).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  test("a slot's alarm reads only that slot; an all-traffic or stack alarm reads no single slot", () => {
    const problems: string[] = [];
    const { stack } = built();
    const targetGroup = Object.fromEntries(SLOTS.map((s) => [s, stack.resolve(stack.service.targetGroups[s].targetGroupFullName)]));
    const loadBalancer = stack.resolve(stack.service.loadBalancer.loadBalancerFullName);
    for (const { slot, props } of judgedAlarms(built())) {
      for (const metric of alarmInputs(props).metrics) {
        const where = `${props.AlarmName}: ${metric.namespace} ${metric.metricName}`;
        if (metric.namespace === ALB_NAMESPACE) {
          const tg = metric.dimensions.TargetGroup;
          if (slot && JSON.stringify(tg) !== JSON.stringify(targetGroup[slot])) problems.push(`${where}: not ${slot}'s target group`);
          if (!slot && tg !== undefined) problems.push(`${where}: a target group's metric on an all-traffic alarm`);
          if (!slot && JSON.stringify(metric.dimensions.LoadBalancer) !== JSON.stringify(loadBalancer))
            problems.push(`${where}: not the load balancer's metric`);
        } else if (slot && !(DIMENSIONS.slot in metric.dimensions)) {
          problems.push(`${where}: the same for both slots`);
        } else if (!slot && DIMENSIONS.slot in metric.dimensions) {
          problems.push(`${where}: one slot's metric on an all-traffic alarm`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

/** A metric alarm of a build by its AlarmName. */
function alarmNamed(built: Built, name: string): Record<string, Cfn> {
  const found = alarmsByName(built).get(name) ?? [];
  expect({ name, alarms: found.length }).toEqual({ name, alarms: 1 });
  return found[0].props;
}

/** Each fast rollback alarm of a build, with its row's effective numbers. */
function fastRollbackAlarms(built: Built) {
  const names = environmentNames(built.config.envName);
  return effectiveThresholds(built.config.alarms.overrides).flatMap((row) => {
    const fast = fastRollbackOf(row);
    return fast ? [{ row, props: alarmNamed(built, names.alarm(fast.name, 'green')) }] : [];
  });
}

/** High-resolution periods in one of the row's periods, from the row's numbers and the contract's period alone. */
const periodsPerRowPeriod = (row: ThresholdRow) => (row.periodMinutes * 60) / HIGH_RESOLUTION_PERIOD_SECONDS;

describe("fast rollback: green leaves on the service's own 10 s counts, and only the row's own alarm pages", () => {
  test("every rollback row whose green alarm reads the ALB's 60 s metrics has a fast rollback alarm", () => {
    const albBound = THRESHOLDS.filter((row) => row.rollsGreenBack).filter((row) =>
      alarmInputs(alarmOf(builds.prod, row, 'green')).metrics.some((m) => m.namespace === ALB_NAMESPACE && m.period === 60),
    );
    expect(albBound.length).toBeGreaterThan(0);
    for (const row of albBound) expect({ row: row.name, fast: fastRollbackOf(row) !== undefined }).toEqual({ row: row.name, fast: true });
    expect(fastRollbackAlarms(builds.prod).map((a) => a.row.name)).toEqual(albBound.map((row) => row.name));
  });

  test.each(['prod', 'dev', 'tuned'] as const)("%s: the row's threshold over the row's span, cut into 10 s periods", (which) => {
    const built = builds[which];
    const fast = fastRollbackAlarms(built);
    expect(fast.length).toBeGreaterThan(0);
    for (const { row, props } of fast) {
      const k = periodsPerRowPeriod(row);
      expect({ alarm: props.AlarmName, ...numbersOf(props) }).toEqual({
        alarm: props.AlarmName,
        ...expectedNumbers(row),
        EvaluationPeriods: row.evaluationPeriods * k,
        DatapointsToAlarm: row.datapointsToAlarm * k,
        periods: [HIGH_RESOLUTION_PERIOD_SECONDS],
      });
      // Over each of the row's periods, a breach needs at least as many attempts as the row's own alarm.
      const minimum = guardOf(props)!.minimum;
      expect(minimum * k).toBeGreaterThanOrEqual(minimumAttemptsFor(row, built.config.alarms.minimumAttempts));
      expect((minimum - 1) * k).toBeLessThan(minimumAttemptsFor(row, built.config.alarms.minimumAttempts));
    }
  });

  test.each(['prod', 'dev'] as const)("%s: it reads only green's high-resolution contract metrics", (which) => {
    for (const { props } of fastRollbackAlarms(builds[which])) {
      const { metrics } = alarmInputs(props);
      expect(metrics.length).toBeGreaterThan(0);
      for (const m of metrics) {
        const contract: ContractMetric | undefined = (INTEGRATION_METRICS as Record<string, ContractMetric>)[m.metricName];
        expect({ metric: m.metricName, namespace: m.namespace, highResolution: contract?.storageResolutionSeconds === 1 }).toEqual({
          metric: m.metricName,
          namespace: NAMESPACES.integration,
          highResolution: true,
        });
        expect(contractProblems(m, which, 'green')).toEqual([]);
      }
    }
  });

  test.each(['prod', 'dev'] as const)('%s: a green outage both alarms see notifies once: the fast alarm and the composite have no actions', (which) => {
    const built = builds[which];
    const names = environmentNames(built.config.envName);
    const composite = resourcesOfType(built, 'AWS::CloudWatch::CompositeAlarm')[0][1].Properties;
    for (const { row, props: fast } of fastRollbackAlarms(built)) {
      const own = alarmOf(built, row, 'green');
      const notified = [own, fast, composite].flatMap((p) =>
        ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap((list) => (p[list] ?? []).map((a: unknown) => `${list}:${topicNameOf(built, a)}`)),
      );
      const topic = names.alertTopic(row.severity);
      expect(notified).toEqual([`AlarmActions:${topic}`, ...(SEVERITY_ROUTING[row.severity].notifyOnRecovery ? [`OKActions:${topic}`] : [])]);
    }
  });

  test("prod: by the bench's own reckoning (benchmark/time-to-blue.ts), it raises ALARM sooner than its row's alarm, within the guide's detection target", () => {
    const times = timesToBlue(deployedRollbackAlarms(builds.prod), 0);
    const fast = fastRollbackAlarms(builds.prod);
    expect(fast.length).toBeGreaterThan(0);
    for (const { row } of fast) {
      const [own, quick] = [row.name, fastRollbackOf(row)!.name].map((name) => times.find((t) => t.alarm.row === name)!);
      expect({
        row: row.name,
        sooner: quick.detectSeconds < own.detectSeconds,
        detection: quick.meetsDetection,
        failures: quick.meetsConsecutiveFailures,
      }).toEqual({
        row: row.name,
        sooner: true,
        detection: true,
        failures: true,
      });
    }
  });

  describe.each(['prod', 'dev'] as const)('%s: over any run of 10 s periods', (which) => {
    type Period = { attempts: number; errors: number } | undefined;
    // Mostly failing periods, often with very few requests, so whole failing windows (and the guard) are exercised.
    const attempts = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 }));
    const period: fc.Arbitrary<Period> = fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 6, arbitrary: attempts.map((a) => ({ attempts: a, errors: a })) },
      { weight: 2, arbitrary: attempts.map((a) => ({ attempts: a, errors: Math.max(0, a - 1) })) },
      { weight: 1, arbitrary: attempts.chain((a) => fc.integer({ min: 0, max: a }).map((errors) => ({ attempts: a, errors }))) },
    );

    test('it fires exactly when every period of the span had enough requests and too many failed, and then the whole span broke the row', () => {
      const built = builds[which];
      for (const { row, props } of fastRollbackAlarms(built)) {
        const k = periodsPerRowPeriod(row);
        const span = row.datapointsToAlarm * k;
        expect(row.evaluationPeriods * k).toBe(span); // consecutive periods: the guide's "for > 1 minute"
        const expression = returnedExpression(props)!.expression;
        const idOf = Object.fromEntries(alarmInputs(props).metrics.map((m) => [m.metricName, m.id!]));
        const perPeriodMinimum = guardOf(props)!.minimum;
        const rowMinimum = minimumAttemptsFor(row, built.config.alarms.minimumAttempts);
        const bad = (p: Period) => p !== undefined && p.attempts >= perPeriodMinimum && breaches(row, (100 * p.errors) / p.attempts);
        let fired = 0;
        fc.assert(
          fc.property(fc.array(period, { minLength: span, maxLength: span * 3 }), (periods) => {
            // What CloudWatch sees each period: the expression on the counts, nothing for a silent period (not breaching).
            const breaching = periods.map((p) => {
              if (p === undefined) return false;
              const value = evaluate(expression, { [idOf.HttpRequests]: p.attempts, [idOf.HttpServerErrors]: p.errors });
              return value !== undefined && breaches(row, value);
            });
            for (let end = span; end <= periods.length; end++) {
              const window = periods.slice(end - span, end);
              const fires = breaching.slice(end - span, end).filter(Boolean).length >= row.datapointsToAlarm * k;
              expect(fires).toBe(window.every(bad));
              if (fires) {
                fired++;
                const attempts = window.reduce((n, p) => n + p!.attempts, 0);
                const errors = window.reduce((n, p) => n + p!.errors, 0);
                expect(attempts).toBeGreaterThanOrEqual(rowMinimum);
                expect(breaches(row, (100 * errors) / attempts)).toBe(true);
              }
            }
          }),
          { numRuns: numRuns(300) },
        );
        expect(fired).toBeGreaterThan(0);
      }
    });
  });
});

describe('5XX share rows read the ALB', () => {
  const rows = THRESHOLDS.filter((row) => row.measures.includes('5XX'));

  test('the table has 5XX rows judged per slot and on all traffic', () => {
    const slots = rows.flatMap((row) => slotsJudged(row));
    expect(slots).toEqual(expect.arrayContaining(['blue', 'green', undefined]));
  });

  test.each(rows.map((row) => [row.name, row] as const))(
    '%s: HTTPCode_Target_5XX_Count over RequestCount, per target group or for the whole load balancer',
    (_name, row) => {
      const { stack } = builds.prod;
      for (const slot of slotsJudged(row)) {
        const { metrics } = alarmInputs(alarmOf(builds.prod, row, slot));
        expect(metrics.every((m) => m.namespace === ALB_NAMESPACE)).toBe(true);
        expect(metrics.map((m) => m.metricName)).toEqual(expect.arrayContaining(['HTTPCode_Target_5XX_Count', 'RequestCount']));
        const expectedDimensions = slot ? ['LoadBalancer', 'TargetGroup'] : ['LoadBalancer'];
        for (const m of metrics) {
          expect(Object.keys(m.dimensions).sort()).toEqual(expectedDimensions);
          if (slot) expect(m.dimensions.TargetGroup).toEqual(stack.resolve(stack.service.targetGroups[slot].targetGroupFullName));
          else expect(m.dimensions.LoadBalancer).toEqual(stack.resolve(stack.service.loadBalancer.loadBalancerFullName));
        }
      }
    },
  );
});

describe('outages the plain ALB counts would miss', () => {
  test('all-traffic 5XX rows count the 503s the ALB gave before choosing a target in both the errors and the attempts', () => {
    for (const row of THRESHOLDS.filter((r) => r.measures.includes('5XX') && slotsJudged(r).includes(undefined))) {
      const inputs = alarmInputs(alarmOf(builds.prod, row, undefined));
      const names = inputs.metrics.map((m) => `${m.id}:${m.metricName}`);
      expect(names).toEqual(expect.arrayContaining(['elb5xx:HTTPCode_ELB_5XX_Count', 'rejected:HTTPCode_ELB_503_Count', 'requests:RequestCount']));
      expect(inputs.expressions.find((e) => e.id === 'attempts')?.expression).toBe('requests + FILL(rejected, 0)');
    }
  });

  describe('UPTIME_LOW counts checks passed out of checks run, so a run that never reported is a failure', () => {
    const row = THRESHOLDS.find((r) => r.name === 'UPTIME_LOW')!;
    const checksAnHour = row.periodMinutes / HEALTH_CHECK_INTERVAL_MINUTES;

    test("it reads BoopHealthy (Sum and SampleCount) and the health-check function's own Lambda invocations", () => {
      const { stack } = builds.prod;
      const { metrics } = alarmInputs(alarmOf(builds.prod, row, undefined));
      expect(metrics.map((m) => [m.id, m.metricName, m.stat])).toEqual(
        expect.arrayContaining([
          ['passed', 'BoopHealthy', 'Sum'],
          ['reported', 'BoopHealthy', 'SampleCount'],
          ['invocations', 'Invocations', 'Sum'],
        ]),
      );
      const invocations = metrics.find((m) => m.id === 'invocations')!;
      expect(invocations.namespace).toBe('AWS/Lambda');
      expect(invocations.dimensions.FunctionName).toEqual(stack.resolve(stack.healthCheck.function.functionName));
    });

    test.each([
      ['a healthy hour', checksAnHour, checksAnHour, checksAnHour, false],
      ['the first minutes after the first deploy, every check passing', 3, 3, 3, false],
      ['one failed check in the hour', checksAnHour - 1, checksAnHour, checksAnHour, true],
      ['a run that crashed before reporting', checksAnHour - 1, checksAnHour - 1, checksAnHour, true],
      ['an hour without a single run (the checker is down)', undefined, undefined, undefined, true],
    ])('%s: alerts %s', (_case, passed, reported, invocations, breach) => {
      const value = uptimeOf(alarmOf(builds.prod, row, undefined), { passed, reported, invocations });
      // No data point at all, after the alarm has seen data, is INSUFFICIENT_DATA, which notifies like ALARM (test/monitoring/fresh-stack.test.ts).
      const breached = value === undefined ? row.missingData === 'missing' : breaches(row, value);
      expect(breached).toBe(breach);
    });

    test('over any hour of runs (passed, failed, crashed before reporting, or none), it alerts exactly when the passed share of runs is below the row', () => {
      const minute = fc.constantFrom('passed', 'failed', 'crashed', 'no run');
      fc.assert(
        fc.property(fc.array(minute, { minLength: checksAnHour, maxLength: checksAnHour }), (hour) => {
          const count = (...kinds: string[]) => hour.filter((m) => kinds.includes(m)).length;
          const [passed, reported, invocations] = [count('passed'), count('passed', 'failed'), count('passed', 'failed', 'crashed')];
          // The metrics have no data point at all when nothing was written in the hour.
          const value = uptimeOf(alarmOf(builds.prod, row, undefined), {
            passed: reported > 0 ? passed : undefined,
            reported: reported > 0 ? reported : undefined,
            invocations: invocations > 0 ? invocations : undefined,
          });
          const breached = value === undefined ? row.missingData === 'missing' : breaches(row, value);
          // The model: uptime is the passed share of the runs that happened; an hour without a run is down.
          expect(breached).toBe(invocations === 0 || breaches(row, (100 * passed) / invocations));
        }),
        { numRuns: numRuns(200) },
      );
    });
  });
});

/** The value of a sum of `FILL(input, fill)` terms, each input at its given value or missing (0 inputs are silent). */
function sumOfFilled(expression: string, values: Record<string, number>): number {
  const terms = expression.split(' + ').map((term) => /^FILL\((\w+), (-?[\d.]+)\)$/.exec(term));
  if (terms.some((m) => m === null)) throw new Error(`not a sum of FILL terms: ${expression}`);
  return terms.reduce((total, m) => total + (values[m![1]] ?? Number(m![2])), 0);
}

describe('ROLLBACK_FAILED counts every way the traffic controller fails', () => {
  const row = THRESHOLDS.find((r) => r.name === 'ROLLBACK_FAILED')!;
  const LAMBDA_NAMESPACE = 'AWS/Lambda';

  test.each(['prod', 'dev'] as const)(
    "%s: it reads the controller function's own Lambda Errors and Throttles (a timeout or a failed start writes no metric of its own)",
    (which) => {
      const { stack } = builds[which];
      const controller = { Ref: logicalIdOf(stack, stack.trafficControl.controller) };
      const { metrics } = alarmInputs(alarmOf(builds[which], row, undefined));
      const lambda = metrics
        .filter((m) => m.namespace === LAMBDA_NAMESPACE)
        .map((m) => ({ metric: m.metricName, dimensions: m.dimensions, stat: m.stat, period: m.period }))
        .sort((a, b) => a.metric.localeCompare(b.metric));
      const expected = (metric: string) => ({ metric, dimensions: { FunctionName: controller }, stat: 'Sum', period: row.periodMinutes * 60 });
      expect(lambda).toEqual([expected('Errors'), expected('Throttles')]);
    },
  );

  test.each(['prod', 'dev'] as const)('%s: any one of its inputs alone, every other silent, pages', (which) => {
    const props = alarmOf(builds[which], row, undefined);
    const { metrics } = alarmInputs(props);
    const expression = returnedExpression(props)!.expression;
    expect(metrics.map((m) => m.metricName)).toEqual(expect.arrayContaining(['Errors', 'Throttles']));
    expect(breaches(row, sumOfFilled(expression, {}))).toBe(false);
    for (const input of metrics) {
      expect({ input: input.metricName, breaches: breaches(row, sumOfFilled(expression, { [input.id!]: 1 })) }).toEqual({
        input: input.metricName,
        breaches: true,
      });
    }
  });
});

describe('rates and percentiles are judged only with enough traffic', () => {
  const guardedRows = THRESHOLDS.filter(isGuarded);

  test.each(['prod', 'tuned'] as const)('%s: every guarded row reads IF(attempts >= N, ...) with N from minimumAttemptsFor, healthy below N', (which) => {
    const built = builds[which];
    const seen: Record<string, number> = {};
    for (const { row, slot, props } of judgedAlarms(built).filter((a) => isGuarded(a.row))) {
      const guard = guardOf(props);
      expect({ alarm: props.AlarmName, guarded: guard !== undefined }).toEqual({ alarm: props.AlarmName, guarded: true });
      expect({ alarm: props.AlarmName, minimum: guard!.minimum }).toEqual({
        alarm: props.AlarmName,
        minimum: minimumAttemptsFor(row, built.config.alarms.minimumAttempts),
      });
      // Thin traffic must read as healthy, never as a breach.
      expect({ alarm: props.AlarmName, breachesWhenThin: breaches(row, guard!.healthy) }).toEqual({ alarm: props.AlarmName, breachesWhenThin: false });
      // The guard's input is a metric, or an expression over metrics (all traffic adds the ALB's early 503s).
      const inputs = alarmInputs(props);
      expect([...inputs.metrics, ...inputs.expressions].map((m) => m.id)).toContain('attempts');
      seen[alarmName(built.config.envName, row, slot)] = guard!.minimum;
    }
    expect(Object.keys(seen).length).toBe(guardedRows.reduce((n, row) => n + slotsJudged(row).length, 0));
  });

  test('rows where silence means down are not guarded (a guard would read an outage as healthy)', () => {
    const rows = THRESHOLDS.filter((row) => (row.unit === 'percent' || row.unit === 'milliseconds') && row.missingData === 'missing');
    for (const row of rows) {
      for (const slot of slotsJudged(row)) expect(guardOf(alarmOf(builds.prod, row, slot))).toBeUndefined();
    }
  });

  test('alarms.minimumAttempts reaches every guard', () => {
    expect(builds.tuned.config.alarms.minimumAttempts).toBe(TUNED_MINIMUM_ATTEMPTS);
    expect(builds.prod.config.alarms.minimumAttempts).not.toBe(TUNED_MINIMUM_ATTEMPTS);
    for (const row of guardedRows) {
      for (const slot of slotsJudged(row)) {
        expect(guardOf(alarmOf(builds.tuned, row, slot))!.minimum).toBeGreaterThanOrEqual(TUNED_MINIMUM_ATTEMPTS);
      }
    }
  });

  test.each(['prod', 'dev', 'tuned'] as const)('%s: with a single datapoint to alarm, one bad event alone never breaches', (which) => {
    const built = builds[which];
    const single = judgedAlarms(built).filter((a) => isGuarded(a.row) && a.row.datapointsToAlarm === 1);
    expect(single.map((a) => a.row.unit)).toEqual(expect.arrayContaining(['percent', 'milliseconds']));
    for (const { row, props } of single) {
      const n = guardOf(props)!.minimum;
      if (row.unit === 'percent') {
        // One failure among n attempts: its failure share, or the success share it leaves.
        const oneFailure = row.comparison === 'below' ? (100 * (n - 1)) / n : 100 / n;
        expect({ alarm: props.AlarmName, n, breaches: breaches(row, oneFailure) }).toEqual({ alarm: props.AlarmName, n, breaches: false });
      } else {
        // One slow sample among n must lie outside the percentile's top (100 - p) %.
        const stat = alarmInputs(props)
          .metrics.map((m) => m.stat)
          .find((s) => /^p\d+(\.\d+)?$/.test(s ?? ''))!;
        const percentile = Number(stat.slice(1));
        expect({ alarm: props.AlarmName, n, outsideTop: (n * (100 - percentile)) / 100 > 1 }).toEqual({ alarm: props.AlarmName, n, outsideTop: true });
      }
    }
  });
});

describe('config changes the alarms', () => {
  const overridden = Object.keys(OVERRIDES);

  test('the overrides differ from the table (or this test would prove nothing)', () => {
    for (const [name, override] of Object.entries(OVERRIDES)) {
      const row = THRESHOLDS.find((r) => r.name === name)!;
      for (const [key, value] of Object.entries(override)) expect({ name, key, value }).not.toEqual({ name, key, value: row[key as keyof ThresholdOverride] });
    }
  });

  test.each(THRESHOLDS.map((row) => [row.name, row] as const))('%s: the alarm carries the effective numbers', (name, row) => {
    const effective = effectiveThresholds(OVERRIDES).find((r) => r.name === name)!;
    for (const slot of slotsJudged(row)) {
      const tuned = numbersOf(alarmOf(builds.tuned, row, slot));
      expect(tuned).toEqual(expectedNumbers(effective));
      const before = numbersOf(alarmOf(builds.prod, row, slot));
      if (overridden.includes(name)) expect(tuned).not.toEqual(before);
      else expect(tuned).toEqual(before);
    }
  });

  test('HIGH_ERROR_RATE takes the -c alarms.overrides numbers', () => {
    const row = THRESHOLDS.find((r) => r.name === 'HIGH_ERROR_RATE')!;
    for (const slot of slotsJudged(row)) {
      const props = alarmOf(builds.tuned, row, slot);
      expect({ t: props.Threshold, e: props.EvaluationPeriods, d: props.DatapointsToAlarm }).toEqual({
        t: OVERRIDES.HIGH_ERROR_RATE.threshold,
        e: OVERRIDES.HIGH_ERROR_RATE.evaluationPeriods,
        d: OVERRIDES.HIGH_ERROR_RATE.datapointsToAlarm,
      });
    }
  });
});

describe('what the person on call reads', () => {
  test.each(THRESHOLDS.map((row) => [row.name, row] as const))(
    '%s: the description names the row, says what to check first, and fits CloudWatch',
    (_name, row) => {
      for (const slot of slotsJudged(row)) {
        const description: string = alarmOf(builds.prod, row, slot).AlarmDescription;
        expect(description.length).toBeLessThanOrEqual(1024);
        expect(description).toContain(row.name);
        expect(description).toMatch(/First: \S/);
        if (slot) expect(description).toContain(slot);
      }
    },
  );

  test('a fast rollback alarm says it notifies nobody, names its row and what to check first, and fits CloudWatch', () => {
    for (const { row, props } of fastRollbackAlarms(builds.prod)) {
      const description: string = props.AlarmDescription;
      expect(description.length).toBeLessThanOrEqual(1024);
      expect(description).toContain(`${row.name}'s`);
      expect(description).toContain('no notifications');
      expect(description).toMatch(/First: \S/);
    }
  });

  test("the rollback alarm's description fits CloudWatch and names every rollback row", () => {
    const description: string = resourcesOfType(builds.prod, 'AWS::CloudWatch::CompositeAlarm')[0][1].Properties.AlarmDescription;
    expect(description.length).toBeLessThanOrEqual(1024);
    for (const row of THRESHOLDS.filter((r) => r.rollsGreenBack)) expect(description).toContain(row.name);
    for (const { props } of fastRollbackAlarms(builds.prod)) expect(description).toContain(props.AlarmName.replace(/^boop-prod-|-green$/g, ''));
  });
});
