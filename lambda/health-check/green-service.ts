/**
 * Whether green's ECS service runs no tasks on purpose: after a rollback the traffic controller
 * scales it to zero until the rollback is acknowledged, and an empty slot is no failure to page on.
 * Read once per run within the run's timeout; a read that fails or does not answer in time says
 * "unknown", and green is then checked as usual, so a real outage still pages.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { messageOf, oneLine } from './errors';

/** Which ECS service to read. */
export interface EcsService {
  /** The cluster the service runs in (its name or ARN). */
  readonly cluster: string;
  /** The service (its ARN or name). */
  readonly service: string;
}

/** The only status in which a service's desired count is its own (ECS API reference, "Service": ACTIVE, DRAINING, INACTIVE). */
const ACTIVE_STATUS = 'ACTIVE';

/** What the read of green's service found: its desired task count, or why that is unknown. */
export type GreenServiceReading =
  | { readonly known: true; readonly desiredCount: number; readonly reason: string; readonly ms: number }
  | { readonly known: false; readonly reason: string; readonly ms: number };

/** Reads green's desired task count once; never throws, and answers by the time `signal` aborts whatever ECS does. */
export async function readGreenService(ecs: ECSClient, green: EcsService, signal: AbortSignal): Promise<GreenServiceReading> {
  const started = Date.now();
  const unknown = (why: string): GreenServiceReading => ({
    known: false,
    reason: `green's service could not be read (${why}), so green is checked as if it ran tasks`,
    ms: Date.now() - started,
  });
  let onAbort = () => {};
  const timedOut = new Promise<'timeout'>((resolve) => {
    onAbort = () => resolve('timeout');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const answer = await Promise.race([
      ecs.send(new DescribeServicesCommand({ cluster: green.cluster, services: [green.service] }), { abortSignal: signal }),
      timedOut,
    ]);
    if (answer === 'timeout') return unknown('ECS did not answer in time');
    // One service asked for: ECS answers it in `services`, or says why not in `failures`.
    const service = answer.services?.[0];
    if (service === undefined) {
      const failure = answer.failures?.[0];
      return unknown(`ECS did not return it${failure?.reason ? `: ${failure.reason}` : ''}`);
    }
    if (service.status !== ACTIVE_STATUS) return unknown(`its status is ${service.status ?? 'not given'}, not ${ACTIVE_STATUS}`);
    if (typeof service.desiredCount !== 'number') return unknown('ECS gave no desired count');
    const desiredCount = service.desiredCount;
    const reason =
      desiredCount === 0
        ? 'green was not checked because its service runs no tasks (desired count 0: scaled to zero after a rollback, until the rollback is acknowledged)'
        : `green's service wants ${desiredCount} task${desiredCount === 1 ? '' : 's'}, so green is checked`;
    return { known: true, desiredCount, reason, ms: Date.now() - started };
  } catch (error) {
    return unknown(signal.aborted ? 'ECS did not answer in time' : sdkErrorLine(error));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** True only when ECS said green's service wants no tasks; an unknown count is never "no tasks". */
export function greenRunsNoTasks(reading: GreenServiceReading): boolean {
  return reading.known && reading.desiredCount === 0;
}

/** An SDK error as one short line: its name and message; read by shape, as a mock's error may come from another realm. */
function sdkErrorLine(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return oneLine([typeof name === 'string' && name !== 'Error' ? name : '', messageOf(error)].filter(Boolean).join(': '));
}
