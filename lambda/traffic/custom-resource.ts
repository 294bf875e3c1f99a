import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { GREEN_PERCENT_PARAMETER } from '../../common/names';
import type { TrafficResourceProperties, Unchecked } from '../../common/payloads';
import { DeployRequest, RefusedError } from '../../common/traffic/policy';

/** One physical id for the life of the stack: the resource is never replaced, so never deleted mid-update. */
export const PHYSICAL_RESOURCE_ID = 'boop-traffic-weights';

/** Reads the deploy's request from the resource properties; a bad GreenPercent is a refusal naming it. */
export function deployRequest(event: CloudFormationCustomResourceEvent): DeployRequest {
  const properties = resourceProperties(event);
  const text = String(properties.GreenPercent ?? '').trim();
  const intent = Number(text);
  if (text === '' || !Number.isInteger(intent) || intent < 0 || intent > 100) {
    throw new RefusedError(
      `${GREEN_PERCENT_PARAMETER} must be a whole number from 0 to 100, got "${String(properties.GreenPercent)}"; deploy again with --parameters ${GREEN_PERCENT_PARAMETER}=<0..100>`,
    );
  }
  return { intent, overrideReason: overrideOf(properties) };
}

/** The properties a deploy event carries, still to be checked: a forged event may carry anything. */
export function resourceProperties(event: CloudFormationCustomResourceEvent): Unchecked<TrafficResourceProperties> {
  const properties: Record<string, unknown> = event.ResourceProperties ?? {};
  return properties;
}

/** The deploy's override reason, or undefined when the property is empty. */
export function overrideOf(properties: Unchecked<TrafficResourceProperties> | undefined): string | undefined {
  const reason = properties?.RolloutOverride;
  return typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : undefined;
}
