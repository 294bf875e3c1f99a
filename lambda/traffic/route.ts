import type { TrafficMetricName } from '../shared/contract';
import { Log, Outcome, RefusedError, TrafficController } from './controller';
import { CustomResourceResult, deployRequest, propertiesKey, respond } from './custom-resource';
import { classify } from './events';

export interface RouteDeps {
  readonly controller: TrafficController;
  /** The composite alarm this controller answers to; any other alarm is foreign. */
  readonly rollbackAlarmName: string;
  readonly metric: (name: TrafficMetricName, value: number) => void;
  readonly log: Log;
  /** Sends the custom resource's result to CloudFormation. */
  readonly respond?: typeof respond;
}

/**
 * Routes one invocation: a deploy (custom resource), the rollback alarm (EventBridge) or a manual
 * rollback (CLI). Anything else is logged and counted, never a crash and never a shift of traffic.
 * A failed rollback throws, so Lambda retries it and then parks it in the dead-letter queue.
 */
export async function route(event: unknown, deps: RouteDeps): Promise<Outcome | CustomResourceResult | { ignored: string }> {
  const routed = classify(event);
  switch (routed.kind) {
    case 'deploy': {
      const result = await deployResult(deps, routed.event);
      try {
        await (deps.respond ?? respond)(routed.event, result);
      } catch (error) {
        // Retrying would redo the deploy and park it among failed rollbacks; CloudFormation times out instead.
        deps.metric('ControllerErrors', 1);
        deps.log.error('could not answer CloudFormation', { error: String(error) });
      }
      return result;
    }
    case 'alarm': {
      if (routed.alarmName !== deps.rollbackAlarmName) return ignore(deps, `alarm ${routed.alarmName} is not the rollback alarm`);
      if (routed.state !== 'ALARM') return ignore(deps, `the rollback alarm went to ${routed.state}, not ALARM`);
      return withErrorsCounted(deps, () => deps.controller.rollback({
        trigger: routed.alarmName,
        triggeredAt: routed.stateTime,
        why: routed.reason || 'the rollback alarm entered ALARM',
        by: 'automatic rollback (EventBridge)',
      }));
    }
    case 'manual-rollback':
      return withErrorsCounted(deps, () => deps.controller.rollback({
        trigger: 'manual',
        triggeredAt: new Date(),
        why: routed.reason,
        by: routed.requestedBy,
      }));
    case 'unknown':
      return ignore(deps, routed.why);
  }
}

async function deployResult(deps: RouteDeps, event: Parameters<typeof deployRequest>[0]): Promise<CustomResourceResult> {
  // Deleting the stack deletes the listener too; there are no weights left to set.
  if (event.RequestType === 'Delete') return { status: 'SUCCESS', reason: 'nothing to do on delete' };
  try {
    const request = deployRequest(event);
    const properties = {
      current: propertiesKey(event.ResourceProperties),
      previous: event.RequestType === 'Update' ? propertiesKey(event.OldResourceProperties) : undefined,
      created: event.RequestType === 'Create',
    };
    const outcome = await deps.controller.applyDeploy(request, `CloudFormation stack ${event.StackId.split('/')[1] ?? event.StackId}`, properties);
    return { status: 'SUCCESS', reason: outcome.message, data: { GreenPercent: String(outcome.greenPercent), Result: outcome.result } };
  } catch (error) {
    if (!(error instanceof RefusedError)) {
      deps.metric('ControllerErrors', 1);
      deps.log.error('deploy could not set the weights', { error: String(error) });
    }
    return { status: 'FAILED', reason: (error as Error).message };
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
