/**
 * The check of one slot through the load balancer: `GET /health/boop` (BOOP's guide "Environment
 * Configuration", "Health Check Endpoint") with the slot header, which routes the request to that
 * slot past the weights. Healthy only on 200, whatever the body.
 */
import { SLOT_HEADER, Slot } from '../../common/slots';
import { SLOT_HEALTH_CHECK_PATH } from '../../lib/guides';
import { CheckOptions, CheckResult } from './check-result';
import { probe } from './http-probe';

/** Where the slot checks connect, and the name they expect the load balancer to answer for. */
export interface SlotTarget {
  /** `https://<load balancer DNS name>`, or `http://` when there is no certificate; a port if not the default. */
  readonly origin: string;
  /** The public name the certificate is for: sent as the Host header and, over https, as SNI and the name verified. @default the origin's host */
  readonly hostName?: string;
}

/** GETs the slot's health endpoint through the load balancer once and says whether it answered 200. */
export async function checkSlot(target: SlotTarget, slot: Slot, options: CheckOptions): Promise<CheckResult> {
  const started = Date.now();
  const result = (fields: Omit<CheckResult, 'ms'>): CheckResult => ({ ...fields, ms: Date.now() - started });
  let url: string;
  try {
    url = new URL(SLOT_HEALTH_CHECK_PATH, target.origin).toString();
  } catch {
    return result({ healthy: false, failure: 'internal', reason: `the ${slot} slot: the load balancer origin "${target.origin}" is not an absolute URL` });
  }

  const outcome = await probe({ url, hostName: target.hostName, headers: { [SLOT_HEADER]: slot } }, options);
  if (!outcome.answered) return result({ healthy: false, failure: outcome.failure, reason: `the ${slot} slot: ${outcome.reason}` });
  if (outcome.status !== 200) {
    return result({
      healthy: false,
      failure: 'http-status',
      reason: `the ${slot} slot answered HTTP ${outcome.status} at ${SLOT_HEALTH_CHECK_PATH}, expected 200`,
    });
  }
  return result({ healthy: true, reason: `the ${slot} slot answered 200 at ${SLOT_HEALTH_CHECK_PATH} (${outcome.latencyMs} ms)` });
}
