/**
 * The answer of a custom resource to CloudFormation: sent only to CloudFormation's own response
 * URL, each try bounded, a few tries in all. Every custom resource function of the stack answers through it.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { assumptionPointer } from '../../common/assumptions';

/** CloudFormation rejects a response body over 4096 bytes; the reason gets what is left. */
export const MAX_REASON_LENGTH = 3000;

/** The answer to CloudFormation's response URL: each PUT gives up after timeoutMs, tried attempts times in all. */
export const RESPONSE_LIMITS = { timeoutMs: 5_000, attempts: 3, backoffMs: 500 } as const;

/**
 * True for CloudFormation's own response URLs: pre-signed URLs of its bucket for the region,
 * https://cloudformation-custom-resource-response-<region without dashes>.s3[.-<region>].amazonaws.com/…
 * (or the same bucket path-style). Anything else is never called: the answer carries nothing to send elsewhere.
 */
export function isCloudFormationResponseUrl(url: string, region: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.port !== '' || parsed.username !== '' || parsed.password !== '') return false;
  const bucket = `cloudformation-custom-resource-response-${region.replace(/-/g, '')}`;
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const s3Hosts = [`s3.${domain}`, `s3.${region}.${domain}`, `s3-${region}.${domain}`];
  return s3Hosts.some((host) => parsed.hostname === `${bucket}.${host}` || (parsed.hostname === host && parsed.pathname.startsWith(`/${bucket}/`)));
}

/** Why an event whose answer URL fails isCloudFormationResponseUrl is refused: a forgery, or a host form AWS uses that we do not know. */
export const NOT_CLOUDFORMATION_URL = `the response URL is not CloudFormation's; ${assumptionPointer('response-url-host')}`;

export interface CustomResourceResult {
  readonly status: 'SUCCESS' | 'FAILED';
  /** Shown in `cdk deploy` output when the status is FAILED. */
  readonly reason?: string;
  readonly data?: Record<string, string>;
}

export interface RespondOptions {
  readonly send?: typeof fetch;
  /** Injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly limits?: { readonly timeoutMs: number; readonly attempts: number; readonly backoffMs: number };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends the result to CloudFormation's pre-signed URL: each try bounded by a timeout, a few tries in all. */
export async function respond(
  event: CloudFormationCustomResourceEvent,
  physicalResourceId: string,
  result: CustomResourceResult,
  options: RespondOptions = {},
): Promise<void> {
  const { send = fetch, sleep = realSleep, limits = RESPONSE_LIMITS } = options;
  const body = JSON.stringify({
    Status: result.status,
    Reason: (result.reason ?? result.status).slice(0, MAX_REASON_LENGTH),
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: result.data ?? {},
  });
  let lastError: unknown;
  for (let attempt = 1; attempt <= limits.attempts; attempt++) {
    if (attempt > 1) await sleep(limits.backoffMs);
    try {
      // The pre-signed URL was signed without a content type, so none may be sent.
      const response = await send(event.ResponseURL, {
        method: 'PUT',
        body,
        headers: { 'content-type': '' },
        signal: AbortSignal.timeout(limits.timeoutMs),
      });
      if (response.ok) return;
      lastError = new Error(`CloudFormation's response URL answered ${response.status}`);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
