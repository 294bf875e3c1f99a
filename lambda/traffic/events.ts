import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { HandsFreeRequest, MANUAL_ROLLBACK_ACTION, ManualRollbackRequest, PAUSE_ACTION, RESUME_ACTION, TICK_ACTION, Unchecked } from '../../common/payloads';

/** The three ways the controller is reached (docs/design.md "Weights: one writer"), and everything else. */
export type ControllerEvent =
  | { readonly kind: 'deploy'; readonly event: CloudFormationCustomResourceEvent }
  | { readonly kind: 'alarm'; readonly alarmName: string; readonly state: string; readonly stateTime: Date; readonly reason: string }
  | ({ readonly kind: 'manual-rollback' } & Pick<ManualRollbackRequest, 'reason' | 'requestedBy'>)
  | { readonly kind: 'tick' }
  | ({ readonly kind: 'hands-free' } & Pick<HandsFreeRequest, 'action' | 'reason' | 'requestedBy'>)
  | { readonly kind: 'unknown'; readonly why: string };

const MAX_REASON_LENGTH = 500;
/** Who asked is a caller's ARN (well under this); a longer one is cut so it cannot push the traffic state past SSM's 4 KB. */
const MAX_CALLER_LENGTH = 256;

/** Sorts an invocation's payload into one of the controller's events; never throws. */
export function classify(event: unknown): ControllerEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return { kind: 'unknown', why: 'the payload is not an object' };
  const e = event as Record<string, unknown>;

  if ('RequestType' in e && 'ResponseURL' in e) {
    const valid =
      ['Create', 'Update', 'Delete'].includes(String(e.RequestType)) &&
      typeof e.ResponseURL === 'string' &&
      typeof e.StackId === 'string' &&
      typeof e.RequestId === 'string' &&
      typeof e.LogicalResourceId === 'string';
    return valid
      ? { kind: 'deploy', event: event as CloudFormationCustomResourceEvent }
      : { kind: 'unknown', why: 'a malformed CloudFormation custom resource event' };
  }

  if (e.source === 'aws.cloudwatch' && e['detail-type'] === 'CloudWatch Alarm State Change') {
    const detail = e.detail as { alarmName?: unknown; state?: { value?: unknown; timestamp?: unknown; reason?: unknown } } | undefined;
    const stateTime = typeof detail?.state?.timestamp === 'string' ? parseAlarmTime(detail.state.timestamp) : undefined;
    if (typeof detail?.alarmName !== 'string' || typeof detail.state?.value !== 'string' || !stateTime) {
      return { kind: 'unknown', why: 'an alarm state change without alarmName, state.value or a valid state.timestamp' };
    }
    return {
      kind: 'alarm',
      alarmName: detail.alarmName,
      state: detail.state.value,
      stateTime,
      reason: String(detail.state.reason ?? '').slice(0, MAX_REASON_LENGTH),
    };
  }

  // The tick carries nothing else: whoever sends one gets only what a deploy of the next step could do.
  if (e.action === TICK_ACTION) return { kind: 'tick' };
  const handsFree: Unchecked<HandsFreeRequest> = e;
  if (handsFree.action === PAUSE_ACTION || handsFree.action === RESUME_ACTION) {
    if (typeof handsFree.reason !== 'string' || handsFree.reason.trim() === '') return { kind: 'unknown', why: `a ${handsFree.action} without a reason` };
    if (typeof handsFree.requestedBy !== 'string' || handsFree.requestedBy.trim() === '')
      return { kind: 'unknown', why: `a ${handsFree.action} without requestedBy` };
    return {
      kind: 'hands-free',
      action: handsFree.action,
      reason: handsFree.reason.trim().slice(0, MAX_REASON_LENGTH),
      requestedBy: handsFree.requestedBy.trim().slice(0, MAX_CALLER_LENGTH),
    };
  }

  const request: Unchecked<ManualRollbackRequest> = e;
  if (request.action === MANUAL_ROLLBACK_ACTION) {
    if (typeof request.reason !== 'string' || request.reason.trim() === '') return { kind: 'unknown', why: 'a manual rollback without a reason' };
    if (typeof request.requestedBy !== 'string' || request.requestedBy.trim() === '') return { kind: 'unknown', why: 'a manual rollback without requestedBy' };
    return {
      kind: 'manual-rollback',
      reason: request.reason.trim().slice(0, MAX_REASON_LENGTH),
      requestedBy: request.requestedBy.trim().slice(0, MAX_CALLER_LENGTH),
    };
  }

  return { kind: 'unknown', why: `an event the controller does not handle (source: ${String(e.source ?? 'none')})` };
}

/** CloudWatch writes "2026-11-21T05:50:15.123+0000"; JavaScript wants the offset with a colon. */
export function parseAlarmTime(text: string): Date | undefined {
  const normalised = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const time = Date.parse(normalised);
  return Number.isNaN(time) ? undefined : new Date(time);
}
