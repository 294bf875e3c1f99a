/**
 * A whole health-check run against real local servers (test/support/boop-world.ts): every check at
 * once, every result a data point, the run bounded when everything hangs, the rotation's readiness,
 * and green left out (no data point) while its service is scaled to zero after a rollback.
 */
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParametersCommand, Parameter, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { HEALTH_CHECK_METRICS, HealthCheckMetricName } from '../../common/contract';
import { DAY_MS } from '../../common/keys/api-keys';
import { environmentNames } from '../../common/names';
import { SLOTS } from '../../common/slots';
import { ABORT_GRACE_MS, HealthReport, MetricPoint, runHealthChecks } from '../../lambda/health-check/run';
import { runLogLine } from '../../lambda/health-check/run-log';
import { HealthCheckSettings } from '../../lambda/health-check/settings';
import { DEFAULT_KEY_ROTATION_WARNING_DAYS } from '../../lib/monitoring/thresholds';
import { VendorSocketCheck } from '../../lambda/health-check/vendor-socket';
import {
  ANSWER_BOUND_MS,
  BoopWorld,
  BoopWorldOptions,
  SETTLE_BOUND_MS,
  settleAfterAbort,
  soon,
  startBoopWorld,
  TEST_BOOP_VERSION,
  TEST_HOST_NAME,
} from '../support/boop-world';

const PRIMARY = 'sk_test_primary_not_real';
const SECONDARY = 'sk_test_secondary_not_real';
const NAMES = environmentNames('prod').parameters;
const NOW = new Date('2026-11-21T12:00:00Z');
const GREEN_SERVICE = { cluster: 'boop-prod', service: 'arn:aws:ecs:eu-west-1:111122223333:service/boop-prod/boop-prod-green' };
/** Green's task count when nothing scaled it down. */
const RUNNING = 2;

const worlds: BoopWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((world) => world.close()));
});

async function world(options: BoopWorldOptions = {}): Promise<BoopWorld> {
  const started = await startBoopWorld(options);
  worlds.push(started);
  return started;
}

function settingsFor(w: BoopWorld, overrides: Partial<HealthCheckSettings> = {}): HealthCheckSettings {
  return {
    metricEnvironment: 'production',
    boopBaseUrl: w.boopBaseUrl,
    wsEndpoint: w.wsEndpoint,
    vendorId: 'ven_live_health_check_test',
    slotTarget: w.slotTarget,
    // Every test that expects answers gets them; the hanging tests end the run with a deadline of their own.
    checkTimeoutMs: ANSWER_BOUND_MS,
    keyParameters: { primary: NAMES.primaryApiKey, secondary: NAMES.secondaryApiKey, rotationDate: NAMES.keyRotationDate },
    keyRotationWarningDays: DEFAULT_KEY_ROTATION_WARNING_DAYS,
    greenService: GREEN_SERVICE,
    ...overrides,
  };
}

/** An AWS call that never answers; `asked` resolves once it has been made. */
class NeverAnswers {
  private called = () => {};
  readonly asked = new Promise<void>((resolve) => (this.called = resolve));
  readonly answer = (): Promise<never> => {
    this.called();
    return new Promise(() => {});
  };
}

/** An SSM client answering GetParameters with these keys (absent ones are InvalidParameters), or never. */
function ssmWith(keys: { primary?: string; secondary?: string } | NeverAnswers | Error): SSMClient {
  const ssm = new SSMClient({ region: 'eu-west-1' });
  const mock = mockClient(ssm).on(GetParametersCommand);
  if (keys instanceof NeverAnswers) mock.callsFake(keys.answer);
  else if (keys instanceof Error) mock.rejects(keys);
  else {
    const parameters: Parameter[] = [];
    if (keys.primary) parameters.push({ Name: NAMES.primaryApiKey, Value: keys.primary });
    if (keys.secondary) parameters.push({ Name: NAMES.secondaryApiKey, Value: keys.secondary });
    mock.resolves({ Parameters: parameters });
  }
  return ssm;
}

/** An ECS client answering DescribeServices with green's service wanting this many tasks, or failing, or never answering. */
function ecsWith(green: number | NeverAnswers | 'missing' | Error): ECSClient {
  const ecs = new ECSClient({ region: 'eu-west-1' });
  const mock = mockClient(ecs).on(DescribeServicesCommand);
  if (green instanceof NeverAnswers) mock.callsFake(green.answer);
  else if (green === 'missing') mock.resolves({ services: [], failures: [{ arn: GREEN_SERVICE.service, reason: 'MISSING' }] });
  else if (green instanceof Error) mock.rejects(green);
  else mock.resolves({ services: [{ serviceArn: GREEN_SERVICE.service, status: 'ACTIVE', desiredCount: green, runningCount: green }] });
  return ecs;
}

async function run(
  w: BoopWorld,
  options: { ssm?: SSMClient; ecs?: ECSClient; settings?: Partial<HealthCheckSettings>; deadline?: AbortSignal } = {},
): Promise<HealthReport> {
  const settings = settingsFor(w, options.settings);
  return runHealthChecks(settings, {
    ssm: options.ssm ?? ssmWith({ primary: PRIMARY, secondary: SECONDARY }),
    ecs: options.ecs ?? ecsWith(RUNNING),
    vendorSocket: new VendorSocketCheck({ endpoint: settings.wsEndpoint, vendorId: settings.vendorId }),
    now: () => NOW,
    ca: w.ca,
    deadline: options.deadline,
  });
}

/** The data points by name (and slot), e.g. `SlotHealthy/green`. */
function points(report: HealthReport): Record<string, number> {
  return Object.fromEntries(report.metrics.map((p: MetricPoint) => [p.slot ? `${p.name}/${p.slot}` : p.name, p.value]));
}

/** Every metric of the contract, per slot where it is per slot, except the latency (written only when BOOP answered). */
const ALWAYS_WRITTEN = (Object.keys(HEALTH_CHECK_METRICS) as HealthCheckMetricName[])
  .filter((name) => name !== 'BoopHealthLatency')
  .flatMap((name) => (HEALTH_CHECK_METRICS[name].dimensions.length > 1 ? SLOTS.map((slot) => `${name}/${slot}`) : [name]))
  .sort();

test("all healthy: every check passes, each metric is written once, and the log line names BOOP's version and no key", async () => {
  const w = await world();
  const report = await run(w);
  expect(points(report)).toEqual({
    'BoopHealthy': 1,
    'BoopHealthLatency': expect.any(Number),
    'WebSocketHealthy': 1,
    'KeyFallbacks': 0,
    'KeyRotationUnready': 0,
    'SlotHealthy/blue': 1,
    'SlotHealthy/green': 1,
  });
  expect(report.results.boopApi.version).toBe(TEST_BOOP_VERSION);
  // Each slot was asked by name, over TLS to the configured host name.
  expect(w.slotRequests.map((r) => r.slot).sort()).toEqual([...SLOTS]);
  expect(w.slotRequests.every((r) => r.servername === TEST_HOST_NAME && r.host === TEST_HOST_NAME)).toBe(true);
  const line = JSON.stringify(runLogLine(report));
  expect(line).toContain(TEST_BOOP_VERSION);
  expect(line).not.toContain(PRIMARY);
  expect(runLogLine(report).healthy).toBe(true);
});

test.each([
  ['BOOP answers 503', { boop: 'down' }, 'BoopHealthy', 'http-status'],
  ['the green slot is down', { slots: { green: 'down' } }, 'SlotHealthy/green', 'http-status'],
  ['the vendor WebSocket closes abnormally', { socket: 'down' }, 'WebSocketHealthy', 'abnormal-close'],
] as const)('%s: that check is a 0 with its reason, every other check still passes', async (_case, options, metric, failure) => {
  const report = await run(await world(options));
  const values = points(report);
  expect(values[metric]).toBe(0);
  for (const [name, value] of Object.entries(values)) if (name !== metric && name !== 'BoopHealthLatency' && !name.startsWith('Key')) expect(value).toBe(1);
  const line = runLogLine(report);
  expect(line.healthy).toBe(false);
  expect(JSON.stringify(line.fields.checks)).toContain(`"failure":"${failure}"`);
});

test('BOOP rejects the primary key and accepts the secondary: the WebSocket is healthy and the fallback is counted', async () => {
  const report = await run(await world({ acceptedKeys: [SECONDARY] }));
  expect(points(report)).toMatchObject({ WebSocketHealthy: 1, KeyFallbacks: 1 });
});

test('BOOP rejects both keys: the WebSocket is unhealthy, the fallback is counted, and no key is in the log line', async () => {
  const report = await run(await world({ acceptedKeys: [] }));
  expect(points(report)).toMatchObject({ WebSocketHealthy: 0, KeyFallbacks: 1 });
  expect(report.results.vendorWebSocket.failure).toBe('key-rejected');
  const line = JSON.stringify(runLogLine(report));
  for (const key of [PRIMARY, SECONDARY]) expect(line).not.toContain(key);
});

test('everything hangs at once (BOOP, the WebSocket, both slots, SSM, ECS): the run ends at its deadline (plus a grace under 1 s), and writes every metric as 0', async () => {
  const w = await world({ boop: 'hanging', socket: 'hanging', slots: { blue: 'hanging', green: 'hanging' } });
  const [ssm, ecs] = [new NeverAnswers(), new NeverAnswers()];
  const deadline = new AbortController();
  const running = run(w, { ssm: ssmWith(ssm), ecs: ecsWith(ecs), deadline: deadline.signal });
  // Not the WebSocket's upgrade: its check waits for the keys from SSM, which never come.
  await soon(Promise.all([w.hung('boop'), ...SLOTS.map((slot) => w.hung(slot)), ssm.asked, ecs.asked]), 'every part to hold a request');
  const { result: report, afterAbortMs } = await settleAfterAbort(deadline, running);
  // A bound, not a speed claim: without its deadline the run would never end; the benchmark measures the time.
  expect(afterAbortMs).toBeLessThanOrEqual(SETTLE_BOUND_MS);
  expect(ABORT_GRACE_MS).toBeLessThan(1000);
  const values = points(report);
  expect(Object.keys(values).sort()).toEqual(ALWAYS_WRITTEN);
  for (const name of ALWAYS_WRITTEN) if (!name.startsWith('Key')) expect(values[name]).toBe(0);
  for (const result of [report.results.boopApi, report.results.vendorWebSocket, ...SLOTS.map((s) => report.results.slots[s])]) {
    expect(result).toMatchObject({ failure: 'timeout' });
  }
});

describe('the rotation readiness (KEY_ROTATION_UNREADY)', () => {
  const inDays = (days: number) => new Date(NOW.getTime() + days * DAY_MS).toISOString().slice(0, 10);

  const warningDays = DEFAULT_KEY_ROTATION_WARNING_DAYS;
  const within = inDays(warningDays - 1);
  const beyond = inDays(warningDays + 1);

  test.each([
    ['no rotation configured', undefined, { primary: PRIMARY }, 0, 'no rotation configured'],
    ['the date is within the warning days and the secondary is missing', within, { primary: PRIMARY }, 1, 'holds no secondary key'],
    ['the date is within the warning days and the secondary is in place', within, { primary: PRIMARY, secondary: SECONDARY }, 0, 'is in place'],
    ['the date is beyond the warning days and the secondary is missing', beyond, { primary: PRIMARY }, 0, 'not in place yet'],
    ['the date has come and the secondary is missing', inDays(-1), { primary: PRIMARY }, 1, 'has come'],
    ['the date is within the warning days and SSM cannot be read', within, new Error('AccessDeniedException: not allowed'), 1, 'AccessDeniedException'],
  ] as const)('%s', async (_case, keyRotationDate, keys, unready, says) => {
    const report = await run(await world(), { ssm: ssmWith(keys), settings: { keyRotationDate } });
    expect(points(report).KeyRotationUnready).toBe(unready);
    expect(report.results.keyRotation.reason).toContain(says);
  });
});

describe("green scaled to zero after a rollback (its service's desired count is 0 until the rollback is acknowledged)", () => {
  // The load balancer answers 503 for a slot with no targets, as an emptied green has none.
  const emptyGreen = { slots: { green: 'down' } } as const;

  test('green writes no SlotHealthy point (missing data does not breach), blue is still checked, and the log says why', async () => {
    const w = await world(emptyGreen);
    const report = await run(w, { ecs: ecsWith(0) });
    const values = points(report);
    expect(values).not.toHaveProperty('SlotHealthy/green');
    expect(values['SlotHealthy/blue']).toBe(1);
    expect(Object.keys(values).sort()).toEqual([...ALWAYS_WRITTEN.filter((name) => name !== 'SlotHealthy/green'), 'BoopHealthLatency'].sort());
    const line = runLogLine(report);
    expect(line.healthy).toBe(true);
    expect(line.message).toMatch(/green was not checked because its service runs no tasks \(.*rollback.*acknowledged\)/);
    expect(line.fields.checks.greenSlot).toMatchObject({ notChecked: true });
  });

  test('blue is checked whatever green does: a blue that is down is still a 0', async () => {
    const report = await run(await world({ slots: { blue: 'down', green: 'down' } }), { ecs: ecsWith(0) });
    expect(points(report)['SlotHealthy/blue']).toBe(0);
    expect(points(report)).not.toHaveProperty('SlotHealthy/green');
    expect(runLogLine(report).healthy).toBe(false);
  });

  test.each([
    ['green running and healthy', 'healthy', 1],
    ['green running and down', 'down', 0],
  ] as const)(`desired count ${RUNNING}, %s: green is checked through the load balancer`, async (_case, green, value) => {
    const w = await world({ slots: { green } });
    const report = await run(w, { ecs: ecsWith(RUNNING) });
    expect(points(report)['SlotHealthy/green']).toBe(value);
    expect(w.slotRequests.map((r) => r.slot)).toContain('green');
  });

  test.each([
    ['ECS refuses the call', new Error('AccessDeniedException: not authorized to perform ecs:DescribeServices'), /AccessDeniedException/],
    ['ECS does not know the service', 'missing', /MISSING/],
  ] as const)('%s: green is checked as before, so a green that is down still pages, and the log says why', async (_case, ecs, why) => {
    const report = await run(await world(emptyGreen), { ecs: ecsWith(ecs) });
    expect(points(report)['SlotHealthy/green']).toBe(0);
    const line = runLogLine(report);
    expect(line.message).toMatch(/green's service could not be read/);
    expect(line.message).toMatch(why);
  });

  test('ECS never answers: green is still checked in full (the read does not eat its time), and the run ends at its deadline', async () => {
    const w = await world();
    const ecs = new NeverAnswers();
    const deadline = new AbortController();
    const running = run(w, { ecs: ecsWith(ecs), deadline: deadline.signal });
    // The probe closes its connection only once it has read the whole answer: green's check is complete.
    await soon(Promise.all([w.slotClosed('green'), ecs.asked]), "green's whole answer and the call to ECS");
    const { result: report, afterAbortMs } = await settleAfterAbort(deadline, running);
    expect(afterAbortMs).toBeLessThanOrEqual(SETTLE_BOUND_MS);
    expect(points(report)['SlotHealthy/green']).toBe(1);
    expect(runLogLine(report).message).toMatch(/green's service could not be read \(ECS did not answer in time\)/);
  });
});
