import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { DeployRequest } from './policy';

/** The properties the stack gives the custom resource. */
export interface TrafficResourceProperties {
  /** The GreenPercent parameter (CloudFormation passes it as a string). */
  readonly GreenPercent: string;
  /** Changes whenever the listener's configuration does, so a listener update re-applies the weights. */
  readonly ListenerFingerprint: string;
  /** `-c rolloutOverride="<reason>"` of this deploy, or empty. */
  readonly RolloutOverride?: string;
}

/** One physical id for the life of the stack: the resource is never replaced, so never deleted mid-update. */
export const PHYSICAL_RESOURCE_ID = 'boop-traffic-weights';

/** CloudFormation rejects a response body over 4096 bytes; the reason gets what is left. */
const MAX_REASON_LENGTH = 3000;

/** Reads the deploy's request from the resource properties; bad values are an error naming them. */
export function deployRequest(event: CloudFormationCustomResourceEvent): DeployRequest {
  const props = event.ResourceProperties as unknown as Partial<TrafficResourceProperties>;
  const intent = Number(props.GreenPercent);
  if (!Number.isInteger(intent) || intent < 0 || intent > 100) {
    throw new Error(`GreenPercent must be a whole number within 0..100, got "${String(props.GreenPercent)}"`);
  }
  const override = typeof props.RolloutOverride === 'string' && props.RolloutOverride.trim() !== '' ? props.RolloutOverride.trim() : undefined;
  return { intent, overrideReason: override };
}

/** The properties that decide the weights, as one comparable string (the service token is not one of them). */
export function propertiesKey(properties: Record<string, unknown>): string {
  const { GreenPercent, ListenerFingerprint, RolloutOverride } = properties as Partial<TrafficResourceProperties>;
  return JSON.stringify({ GreenPercent: String(GreenPercent), ListenerFingerprint, RolloutOverride: RolloutOverride ?? '' });
}

export interface CustomResourceResult {
  readonly status: 'SUCCESS' | 'FAILED';
  /** Shown in `cdk deploy` output when the status is FAILED. */
  readonly reason?: string;
  readonly data?: Record<string, string>;
}

/** Sends the result to CloudFormation's pre-signed URL, retrying network failures a few times. */
export async function respond(event: CloudFormationCustomResourceEvent, result: CustomResourceResult, send: typeof fetch = fetch): Promise<void> {
  const body = JSON.stringify({
    Status: result.status,
    Reason: (result.reason ?? result.status).slice(0, MAX_REASON_LENGTH),
    PhysicalResourceId: PHYSICAL_RESOURCE_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: result.data ?? {},
  });
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      // The pre-signed URL was signed without a content type, so none may be sent.
      const response = await send(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
      if (response.ok) return;
      lastError = new Error(`CloudFormation's response URL answered ${response.status}`);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
