/**
 * One health-check run (docs/design.md "Health check"): BOOP's /health, the vendor WebSocket, each
 * slot through the load balancer and the key rotation's readiness, all at once, each bounded by the
 * check timeout. Every check ends in a result and every result in a data point: a failure is a 0
 * with a reason, never a crash and never a gap, because the alarms read silence as "the checker is down".
 * The one gap is on purpose: green's slot while its service runs no tasks (scaled to zero after a
 * rollback, until the rollback is acknowledged), which SLOT_UNHEALTHY reads as not breaching.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { rotationStartsAt, rotationUnready } from '../../common/keys/api-keys';
import { KeyManager, keysFromSsm, KeySet } from '../../common/keys/key-manager';
import { HealthCheckMetricName } from '../../common/contract';
import { Slot, SLOTS } from '../../common/slots';
import { BoopApiResult, checkBoopApi } from './boop-api';
import { CheckOptions, CheckResult, NotChecked, wasChecked } from './check-result';
import { messageOf } from './errors';
import { GreenServiceReading, greenRunsNoTasks, readGreenService } from './green-service';
import { HealthCheckSettings } from './settings';
import { checkSlot } from './slot';
import { VendorSocketCheck, VendorSocketResult } from './vendor-socket';

/** How long past its timeout a check that ignores its abort signal is waited for; the run's bound is the timeout plus this. */
export const ABORT_GRACE_MS = 500;

/** What the rotation-readiness check found. */
export interface KeyRotationResult extends CheckResult {
  /** KEY_ROTATION_UNREADY's condition: the date is near or has come and the secondary key is not in place. */
  readonly unready: boolean;
}

/** Every check's result of one run. */
export interface HealthCheckResults {
  readonly boopApi: BoopApiResult;
  readonly vendorWebSocket: VendorSocketResult;
  /** Each slot's check; green's is not checked while its service runs no tasks. */
  readonly slots: Readonly<Record<Slot, CheckResult | NotChecked>>;
  readonly keyRotation: KeyRotationResult;
  /** Whether green's service runs tasks, which decides whether green's slot is checked. */
  readonly greenService: GreenServiceReading;
}

/** One data point of Boop/HealthCheck; `slot` for the per-slot metric. */
export interface MetricPoint {
  readonly name: HealthCheckMetricName;
  readonly value: number;
  readonly slot?: Slot;
}

/** A run: its results, the data points they make, and how long it took. */
export interface HealthReport {
  readonly results: HealthCheckResults;
  readonly metrics: readonly MetricPoint[];
  readonly ms: number;
}

/** What a run needs besides its settings. */
export interface RunDependencies {
  /** Reads the key parameters. */
  readonly ssm: SSMClient;
  /** Reads green's service, to leave out a green scaled to zero. */
  readonly ecs: ECSClient;
  /** The WebSocket check; kept across runs, so it remembers the dialect BOOP speaks. */
  readonly vendorSocket: VendorSocketCheck;
  /** The clock, for the rotation date. @default () => new Date() */
  readonly now?: () => Date;
  /** PEM certificate authorities trusted besides Node's own; tests pass their local CA. @default Node's trusted CAs */
  readonly ca?: string;
  /** When the run's checks are cut short; tests abort it themselves. @default AbortSignal.timeout(settings.checkTimeoutMs) */
  readonly deadline?: AbortSignal;
}

/** Runs every check at once and returns within ABORT_GRACE_MS of the deadline (the check timeout), whatever the other side does. */
export async function runHealthChecks(settings: HealthCheckSettings, deps: RunDependencies): Promise<HealthReport> {
  const started = Date.now();
  const now = deps.now ?? (() => new Date());
  const signal = deps.deadline ?? AbortSignal.timeout(settings.checkTimeoutMs);
  const options: CheckOptions = { signal, ca: deps.ca };

  // One key read per run, shared by the WebSocket check and the rotation check, bounded by the same timeout.
  const ssmKeys = keysFromSsm(deps.ssm, settings.keyParameters, signal);
  const keySet = ssmKeys();
  keySet.catch(() => undefined);
  const keys = new KeyManager({ source: Object.assign(() => keySet, { locations: ssmKeys.locations }), cacheTtlSeconds: 0, now });

  const bound = <T extends CheckResult>(what: string, check: () => Promise<T>, extra: Omit<T, keyof CheckResult>) =>
    bounded(what, check, signal, settings.checkTimeoutMs, extra);
  const slot = (name: Slot, slotSignal = signal) =>
    bound<CheckResult>(`the ${name} slot`, () => checkSlot(settings.slotTarget, name, { ...options, signal: slotSignal }), {});
  const unknownRotation = { unready: rotationUnready(settings.keyRotationDate, undefined, settings.keyRotationWarningDays, now()) };
  const [boopApi, vendorWebSocket, blue, { green, greenService }, keyRotation] = await Promise.all([
    bound<BoopApiResult>("BOOP's /health", () => checkBoopApi(settings.boopBaseUrl, options), {}),
    bound<VendorSocketResult>('the vendor WebSocket', () => deps.vendorSocket.run(keys, options), { keyFallback: false }),
    slot('blue'),
    greenUnlessEmpty(
      (greenSignal) => slot('green', greenSignal),
      () => readGreenService(deps.ecs, settings.greenService, signal),
      signal,
    ),
    bound<KeyRotationResult>('the key rotation', () => checkRotation(settings, keySet, now()), unknownRotation),
  ]);
  const results: HealthCheckResults = { boopApi, vendorWebSocket, slots: { blue, green }, keyRotation, greenService };
  return { results, metrics: metricPoints(results), ms: Date.now() - started };
}

/**
 * Green's slot check, left out when its service runs no tasks. The check and the read of the service
 * start together under the run's signal: waiting for the read first would let a slow ECS eat the
 * check's time and fail a healthy green. When the read says "no tasks" the check is abandoned.
 */
async function greenUnlessEmpty(
  checkGreen: (signal: AbortSignal) => Promise<CheckResult>,
  readService: () => Promise<GreenServiceReading>,
  signal: AbortSignal,
): Promise<{ green: CheckResult | NotChecked; greenService: GreenServiceReading }> {
  const abandon = new AbortController();
  const check = checkGreen(AbortSignal.any([signal, abandon.signal]));
  const greenService = await readService();
  if (!greenRunsNoTasks(greenService)) return { green: await check, greenService };
  abandon.abort();
  // Settles at once on the abort; awaited so that no socket outlives the run.
  await check;
  return { green: { notChecked: true, reason: greenService.reason }, greenService };
}

/** The data points of a run, one per metric of the contract (per checked slot for SlotHealthy); latency only when BOOP answered. */
export function metricPoints(results: HealthCheckResults): MetricPoint[] {
  const flag = (yes: boolean) => (yes ? 1 : 0);
  return [
    { name: 'BoopHealthy', value: flag(results.boopApi.healthy) },
    ...(results.boopApi.latencyMs === undefined ? [] : [{ name: 'BoopHealthLatency' as const, value: results.boopApi.latencyMs }]),
    { name: 'WebSocketHealthy', value: flag(results.vendorWebSocket.healthy) },
    { name: 'KeyFallbacks', value: flag(results.vendorWebSocket.keyFallback) },
    { name: 'KeyRotationUnready', value: flag(results.keyRotation.unready) },
    ...SLOTS.flatMap((slot) => {
      const result = results.slots[slot];
      return wasChecked(result) ? [{ name: 'SlotHealthy' as const, value: flag(result.healthy), slot }] : [];
    }),
  ];
}

/** Whether the secondary key is in place in time for the rotation date (KEY_ROTATION_UNREADY). */
async function checkRotation(settings: HealthCheckSettings, keySet: Promise<KeySet>, now: Date): Promise<KeyRotationResult> {
  const started = Date.now();
  const date = settings.keyRotationDate;
  const done = (unready: boolean, reason: string): KeyRotationResult => ({
    healthy: !unready,
    unready,
    reason,
    ms: Date.now() - started,
    ...(unready ? { failure: 'rotation-unready' as const } : {}),
  });
  if (date === undefined) return done(false, 'no rotation configured');
  const startsAt = rotationStartsAt(date);
  const when = startsAt !== undefined && startsAt.getTime() <= now.getTime() ? `the rotation date ${date} has come` : `the rotation date is ${date}`;
  let secondaryInPlace: boolean | undefined;
  let readProblem = '';
  try {
    secondaryInPlace = (await keySet).secondary !== undefined;
  } catch (error) {
    readProblem = messageOf(error);
  }
  const unready = rotationUnready(date, secondaryInPlace, settings.keyRotationWarningDays, now);
  if (secondaryInPlace) return done(false, `${when}; the secondary key is in place`);
  if (!unready) return done(false, `${when}; the secondary key is not in place yet, which alarms from ${settings.keyRotationWarningDays} days before`);
  const secondary = settings.keyParameters.secondary;
  return done(
    true,
    readProblem ? `${when}; could not read whether ${secondary} holds the secondary key: ${readProblem}` : `${when} and ${secondary} holds no secondary key`,
  );
}

/**
 * Runs a check and answers for it by the deadline: a check that throws or outlives its abort
 * signal by ABORT_GRACE_MS becomes a failed result, with `extra` as the rest of its fields.
 */
async function bounded<T extends CheckResult>(
  what: string,
  check: () => Promise<T>,
  signal: AbortSignal,
  timeoutMs: number,
  extra: Omit<T, keyof CheckResult>,
): Promise<T> {
  const started = Date.now();
  const failed = (failure: 'timeout' | 'internal', reason: string) => ({ ...extra, healthy: false, failure, reason, ms: Date.now() - started }) as T;
  let timer: NodeJS.Timeout | undefined;
  let giveUp = () => {};
  const late = new Promise<T>((resolve) => {
    giveUp = () => {
      timer = setTimeout(() => resolve(failed('timeout', `${what} did not answer within ${timeoutMs} ms`)), ABORT_GRACE_MS);
    };
  });
  if (signal.aborted) giveUp();
  else signal.addEventListener('abort', giveUp, { once: true });
  try {
    return await Promise.race([check().catch((error: unknown) => failed('internal', `checking ${what} failed: ${messageOf(error)}`)), late]);
  } finally {
    signal.removeEventListener('abort', giveUp);
    clearTimeout(timer);
  }
}
