/**
 * What a rollback benchmark run starts from, shared by the bench and its child processes: green
 * mid-rollout with its share recorded, the alarm event that rolls it back, and the job a child
 * process is given. No AWS SDK here, so a child can time the SDK's load when it means to.
 */
import { environmentNames } from '../common/names';
import { PRODUCTION_ROLLOUT } from '../lib/guides';

/** The region every local run pretends to be in. */
export const BENCH_REGION = 'eu-west-1';

/** Green's share when the alarm fires: the second step of the production rollout, so the rollback really moves traffic. */
export const GREEN_BEFORE_ROLLBACK = PRODUCTION_ROLLOUT.steps[1];

/** The ARNs a rollback touches: the listener, each slot's target group, and the critical topic it pages. */
export interface RollbackWorld {
  readonly listenerArn: string;
  readonly blue: string;
  readonly green: string;
  readonly topicArn: string;
  /** moto's endpoint when the calls go over the wire; absent with in-process mocks. */
  readonly motoEndpoint?: string;
}

/** What one child process runs. */
export interface RollbackJob {
  readonly backend: 'mocks' | 'wire';
  /** The controller bundle's index.js, from the cloud assembly. */
  readonly bundle: string;
  /** The controller's environment variables as the template sets them, the world's ARNs in place of the references. */
  readonly variables: Record<string, string>;
  readonly world: RollbackWorld;
  readonly stickinessSeconds: number;
  /** Warm invocations after the cold one. */
  readonly warm: number;
}

/** Milliseconds from the handler call (the bundle's require, when cold) to each milestone of one rollback. */
export interface RollbackTiming {
  readonly issued: number;
  readonly verified: number;
}

/** What a child process prints as its last line. */
export interface RollbackResult {
  readonly cold: RollbackTiming;
  readonly warm: RollbackTiming[];
}

/** The traffic record before the rollback: green at its step, no rollback yet. */
export function stateBeforeRollback(listenerArn: string, now: Date): string {
  const at = now.toISOString();
  return JSON.stringify({
    version: 1,
    intent: GREEN_BEFORE_ROLLBACK,
    greenPercent: GREEN_BEFORE_ROLLBACK,
    stepStartedAt: at,
    listenerArn,
    changes: [{ at, by: 'bench', why: 'a rollout step', from: 0, to: GREEN_BEFORE_ROLLBACK, kind: 'deploy' }],
  });
}

/** The event EventBridge delivers when the rollback alarm enters ALARM; each run its own episode (its own timestamp). */
export function rollbackAlarmEvent(now: Date): unknown {
  return {
    'source': 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    'detail': { alarmName: environmentNames('prod').rollbackAlarm, state: { value: 'ALARM', reason: 'bench', timestamp: now.toISOString() } },
  };
}
