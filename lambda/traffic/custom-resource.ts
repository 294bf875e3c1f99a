import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS, RELEASE_RESOURCE_TYPE } from '../../common/names';
import type { ReleaseResourceProperties, TrafficResourceProperties, Unchecked } from '../../common/payloads';
import { DeployRequest, RefusedError } from '../../common/traffic/policy';
import type { ReleaseRequest } from '../../common/traffic/release';
import type { Slot } from '../../common/slots';

/** One physical id per resource for the life of the stack: never replaced, so never deleted mid-update. */
export const PHYSICAL_RESOURCE_ID = 'boop-traffic-weights';
export const RELEASE_PHYSICAL_RESOURCE_ID = 'boop-release-guard';
/** Longer than any image reference (a registry, a repository, a tag and a digest). */
const MAX_IMAGE_LENGTH = 512;

/** The physical id to answer an event with, by its resource type. */
export function physicalResourceId(event: CloudFormationCustomResourceEvent): string {
  return event.ResourceType === RELEASE_RESOURCE_TYPE ? RELEASE_PHYSICAL_RESOURCE_ID : PHYSICAL_RESOURCE_ID;
}

/** Whether a deploy event is the release guard's (before ECS) rather than the weights' (after it). */
export function isReleaseEvent(event: CloudFormationCustomResourceEvent): boolean {
  return event.ResourceType === RELEASE_RESOURCE_TYPE;
}

/** Reads the release guard's request: both images and the deploy's GreenPercent; anything unusable is a refusal naming it. */
export function releaseRequest(event: CloudFormationCustomResourceEvent): ReleaseRequest {
  const properties: Record<string, unknown> = event.ResourceProperties ?? {};
  const image = (slot: Slot): string => {
    const value = properties[IMAGE_PARAMETERS[slot] satisfies keyof ReleaseResourceProperties];
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_IMAGE_LENGTH) {
      throw new RefusedError(`${IMAGE_PARAMETERS[slot]} must be a container image reference; deploy again with --parameters ${IMAGE_PARAMETERS[slot]}=<image>`);
    }
    return value.trim();
  };
  const { intent, overrideReason } = deployRequest(event);
  return { images: { blue: image('blue'), green: image('green') }, intent, overrideReason };
}

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
