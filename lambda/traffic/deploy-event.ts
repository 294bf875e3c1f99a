import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS } from '../../common/names';
import { isCloudFormationResponseUrl, NOT_CLOUDFORMATION_URL } from '../support/cloudformation-response';
import { assumptionPointer } from '../../common/assumptions';
import type { DeployOrigin } from '../../common/traffic/policy';

/** Whether a deploy event is honoured, and as what; a refused one says why, and whether CloudFormation may be told. */
export type DeployVerdict =
  { readonly honoured: true; readonly origin: DeployOrigin } | { readonly honoured: false; readonly why: string; readonly answerable: boolean };

/** What CloudFormation reports about the controller's own stack while the event is handled. */
export interface OwnStack {
  readonly status: string;
  /** The stack's parameters as CloudFormation reports them for the update in progress. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** The event properties that carry a stack parameter of the same name; each must equal what CloudFormation reports. */
const MIRRORED_PARAMETERS = [GREEN_PERCENT_PARAMETER, IMAGE_PARAMETERS.blue, IMAGE_PARAMETERS.green] as const;

/** Where this function runs: its own stack and region. */
export interface EventSourceExpectation {
  readonly stackId: string;
  readonly region: string;
}

const USER_DEPLOY_STATUSES = new Set(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS']);
const CLOUDFORMATION_ROLLBACK_STATUSES = new Set(['UPDATE_ROLLBACK_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS']);

/** The checks that need no AWS call: the answer goes to CloudFormation, and the event names this function's own stack. */
export function checkEventSource(event: CloudFormationCustomResourceEvent, expected: EventSourceExpectation): DeployVerdict | undefined {
  if (!isCloudFormationResponseUrl(event.ResponseURL, expected.region)) {
    return { honoured: false, why: NOT_CLOUDFORMATION_URL, answerable: false };
  }
  if (event.StackId !== expected.stackId) {
    return { honoured: false, why: `the event names stack ${event.StackId}, not this function's own stack`, answerable: true };
  }
  return undefined;
}

/**
 * Tells CloudFormation's rollback from the user's deploy by the stack's own status, never by
 * comparing properties; a user's deploy must carry the GreenPercent (and, to the release guard,
 * the images) that CloudFormation reports for the update. Outside an update, the event was not sent by CloudFormation for this stack.
 */
export function judgeAgainstStack(event: CloudFormationCustomResourceEvent, stack: OwnStack): DeployVerdict {
  if (CLOUDFORMATION_ROLLBACK_STATUSES.has(stack.status)) return { honoured: true, origin: 'cloudformation-rollback' };
  if (!USER_DEPLOY_STATUSES.has(stack.status)) {
    return { honoured: false, why: `the stack is ${stack.status}, not in the middle of an update`, answerable: true };
  }
  const properties: Record<string, unknown> = event.ResourceProperties ?? {};
  for (const name of MIRRORED_PARAMETERS) {
    // GreenPercent is in every deploy event; the images only in the release guard's.
    if (name !== GREEN_PERCENT_PARAMETER && !(name in properties)) continue;
    const asked = String(properties[name]).slice(0, 300);
    const reported = stack.parameters[name];
    if (reported === undefined || asked !== reported) {
      return {
        honoured: false,
        // A forged event and a DescribeStacks that still reports the old values look the same from here.
        why: `the event asks for ${name}=${asked} but CloudFormation reports ${name}=${reported ?? 'none'} for this update; ${assumptionPointer('describe-stacks-mid-update')}`,
        answerable: true,
      };
    }
  }
  return { honoured: true, origin: 'user-deploy' };
}

/** The RolloutOverride the stack's template gives the custom resource, or undefined when the template has none or cannot be read. */
export function overrideInTemplate(templateBody: string | undefined, logicalId: string): string | undefined {
  try {
    const value = JSON.parse(templateBody ?? '')?.Resources?.[logicalId]?.Properties?.RolloutOverride;
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  } catch {
    return undefined;
  }
}
