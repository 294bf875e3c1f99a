import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { TrafficMetricName } from '../../common/contract';
import { GREEN_PERCENT_PARAMETER } from '../../common/names';
import { Log, Outcome, TrafficController } from './controller';
import { CustomResourceResult, isCloudFormationResponseUrl, respond } from '../support/cloudformation-response';
import { deployRequest, isReleaseEvent, physicalResourceId, releaseRequest } from './custom-resource';
import { classify } from './events';
import { assumptionPointer } from '../../common/assumptions';
import { DeployOrigin, RefusedError } from '../../common/traffic/policy';

export interface RouteDeps {
  readonly controller: TrafficController;
  /** The composite alarm this controller answers to; any other alarm is foreign. */
  readonly rollbackAlarmName: string;
  /** The function's region; CloudFormation's response URLs name it. */
  readonly region: string;
  readonly metric: (name: TrafficMetricName, value: number) => void;
  readonly log: Log;
  /** Sends the custom resource's result to CloudFormation. @default respond, with PHYSICAL_RESOURCE_ID */
  readonly respond?: (event: CloudFormationCustomResourceEvent, result: CustomResourceResult) => Promise<void>;
}

export type RouteResult = Outcome | CustomResourceResult | { ignored: string } | { refused: string };

/**
 * Routes one invocation: a deploy (custom resource), the rollback alarm (EventBridge) or a manual
 * rollback (CLI). Anything else is logged and counted, never a crash and never a shift of traffic.
 * A failed rollback throws, so Lambda retries it and then parks it in the dead-letter queue.
 */
export async function route(event: unknown, deps: RouteDeps): Promise<RouteResult> {
  const routed = classify(event);
  switch (routed.kind) {
    case 'deploy':
      return deploy(deps, routed.event);
    case 'alarm': {
      if (routed.alarmName !== deps.rollbackAlarmName) return ignore(deps, `alarm ${routed.alarmName} is not the rollback alarm`);
      if (routed.state !== 'ALARM') return ignore(deps, `the rollback alarm went to ${routed.state}, not ALARM`);
      return withErrorsCounted(deps, () =>
        deps.controller.rollback({
          trigger: routed.alarmName,
          triggeredAt: routed.stateTime,
          why: routed.reason || 'the rollback alarm entered ALARM',
          by: 'automatic rollback (EventBridge)',
        }),
      );
    }
    case 'manual-rollback':
      return withErrorsCounted(deps, () =>
        deps.controller.rollback({
          trigger: 'manual',
          triggeredAt: new Date(),
          why: routed.reason,
          by: routed.requestedBy,
        }),
      );
    case 'tick':
      if (!deps.controller.autoAdvance) return ignore(deps, 'a tick, but rollout.autoAdvance is off');
      // A failed tick is the next tick's work: never an error or a ControllerErrors count, which would retry it, park it and page it as a failed rollback.
      return deps.controller.tick().catch((error: unknown) => {
        deps.log.error('hands-free tick failed; the next tick tries again', { error: String(error) });
        return { ignored: `the tick failed (the next tick tries again): ${String(error)}` };
      });
    case 'hands-free':
      if (!deps.controller.autoAdvance) return ignore(deps, `a ${routed.action}, but rollout.autoAdvance is off`);
      // Answered, not thrown: a function error counts in Lambda's Errors, which pages as a failed rollback; the CLI says it failed.
      return deps.controller.handsFree(routed.action, routed.requestedBy, routed.reason).catch((error: unknown) => {
        deps.log.error(`hands-free ${routed.action} failed`, { error: String(error) });
        return { refused: `the ${routed.action} failed: ${String(error)}` };
      });
    case 'unknown':
      return ignore(deps, routed.why);
  }
}

/**
 * A custom resource event is honoured only as CloudFormation's own, for this stack, mid-update;
 * anything else is refused, logged, counted and paged, and answered only if the URL is CloudFormation's.
 */
async function deploy(deps: RouteDeps, event: CloudFormationCustomResourceEvent): Promise<RouteResult> {
  let result: CustomResourceResult;
  try {
    const verdict = await deps.controller.verifyDeploy(event);
    if (!verdict.honoured) {
      deps.metric('RefusedEvents', 1);
      deps.log.error("deploy event refused: not CloudFormation's own", {
        why: verdict.why,
        stackId: String(event.StackId).slice(0, 200),
        requestType: event.RequestType,
      });
      await deps.controller.pageRefusedEvent(verdict.why, event).catch((error) => {
        deps.metric('ControllerErrors', 1);
        deps.log.error('could not page the refused event', { error: String(error) });
      });
      if (verdict.answerable) await answer(deps, event, { status: 'FAILED', reason: `refused: ${verdict.why}` });
      return { refused: verdict.why };
    }
    result = await deployResult(deps, event, verdict.origin);
  } catch (error) {
    deps.metric('ControllerErrors', 1);
    deps.log.error('deploy could not be checked with CloudFormation', { error: String(error) });
    result = { status: 'FAILED', reason: `the traffic controller could not check this deploy with CloudFormation: ${String(error)}` };
  }
  await answer(deps, event, result);
  return result;
}

/** Runs the deploy: the release guard's images, or the weights, where a user's deploy succeeds only when green's live share is exactly its GreenPercent. */
async function deployResult(deps: RouteDeps, event: CloudFormationCustomResourceEvent, origin: DeployOrigin): Promise<CustomResourceResult> {
  // Deleting the stack deletes the listener too; there are no weights left to set.
  if (event.RequestType === 'Delete') return { status: 'SUCCESS', reason: 'nothing to do on delete' };
  try {
    const by = `CloudFormation stack ${event.StackId.split('/')[1] ?? event.StackId}`;
    const created = event.RequestType === 'Create';
    if (isReleaseEvent(event)) {
      const outcome = await deps.controller.applyRelease(releaseRequest(event), by, { origin, created });
      return { status: 'SUCCESS', reason: outcome.message.slice(0, 500), data: { GreenPercent: String(outcome.greenPercent), Result: outcome.result } };
    }
    const request = deployRequest(event);
    const outcome = await deps.controller.applyDeploy(request, by, { origin, created });
    // A hands-free target is applied when it is the target; green walks there at the ticks.
    if (origin === 'user-deploy' && outcome.greenPercent !== request.intent && outcome.target !== request.intent) {
      return {
        status: 'FAILED',
        reason: `${GREEN_PERCENT_PARAMETER}=${request.intent} not applied: green serves ${outcome.greenPercent} % (${outcome.message})`,
      };
    }
    return { status: 'SUCCESS', reason: outcome.message, data: { GreenPercent: String(outcome.greenPercent), Result: outcome.result } };
  } catch (error) {
    if (!(error instanceof RefusedError)) {
      deps.metric('ControllerErrors', 1);
      deps.log.error('deploy could not set the weights', { error: String(error) });
      return { status: 'FAILED', reason: (error as Error).message };
    }
    // CloudFormation's rollback is never refused by the policy; only properties that are not the previous deploy's can be.
    const reason = origin === 'cloudformation-rollback' ? `${error.message}; ${assumptionPointer('rollback-update-events')}` : error.message;
    return { status: 'FAILED', reason };
  }
}

/** Answers CloudFormation; never any other URL. */
async function answer(deps: RouteDeps, event: CloudFormationCustomResourceEvent, result: CustomResourceResult): Promise<void> {
  if (!isCloudFormationResponseUrl(event.ResponseURL, deps.region)) return;
  try {
    await (deps.respond ?? ((e, r) => respond(e, physicalResourceId(e), r)))(event, result);
  } catch (error) {
    // Retrying would redo the deploy and park it among failed rollbacks; CloudFormation times out instead.
    deps.metric('ControllerErrors', 1);
    deps.log.error('could not answer CloudFormation', { error: String(error) });
  }
}

async function withErrorsCounted<T>(deps: RouteDeps, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    deps.metric('ControllerErrors', 1);
    deps.log.error('rollback failed', { error: String(error) });
    throw error;
  }
}

function ignore(deps: RouteDeps, why: string): { ignored: string } {
  deps.metric('IgnoredEvents', 1);
  deps.log.warn('event ignored', { why });
  return { ignored: why };
}
