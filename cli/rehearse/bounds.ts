/**
 * How long each wait of the rehearsal may last, and so how long the whole rehearsal takes at most:
 * `rehearse --help` derives its figure from these, never from a guess.
 */

/**
 * A `cdk deploy` that changes only GreenPercent: synth, the change set, and the custom resources, each
 * answered within the traffic controller's 60 s timeout (lib/traffic-control.ts). Not enforced: cdk
 * shows its own progress; the figure is the help's estimate.
 */
export const DEPLOY_ALLOWANCE_MS = 4 * 60_000;
/** The deploys of one rehearsal: rise, refused rise, override, acknowledgement, resume, back to the share found. */
export const REHEARSAL_DEPLOYS = 6;
/** After a deploy (or an interrupted one), how long the stack may stay in progress before the rehearsal says it is stuck. */
export const SETTLE_TIMEOUT_MS = 10 * 60_000;
/** From the forced alarm to blue alone seen on the listener; `rollout drill` waits as long. */
export const BLUE_ALONE_TIMEOUT_MS = 5 * 60_000;
/** From blue alone to green's service asked for 0 tasks; the controller asks right after verifying blue alone. */
export const GREEN_EMPTY_TIMEOUT_MS = 60_000;
/** From the forced alarm to its action in the alarm's history. */
export const ALARM_ACTION_TIMEOUT_MS = 60_000;
/** From the forced alarm until the rollback alarm is OK again: the member's next evaluations. */
export const ALARM_CLEAR_TIMEOUT_MS = 5 * 60_000;
/** From the acknowledgement until green runs its tasks again: ECS starts them and they pass the health check. */
export const GREEN_RESTORE_TIMEOUT_MS = 10 * 60_000;
/** Between two reads while waiting. */
export const POLL_MS = 5000;

/** The rehearsal's usual length: its deploys and the waits it always has (blue alone, the alarm clearing). */
export function typicalMinutes(): number {
  return Math.ceil((REHEARSAL_DEPLOYS * DEPLOY_ALLOWANCE_MS) / 60_000);
}

/** The longest the rehearsal can take when every wait runs to its bound (a restoring deploy included). */
export function boundMinutes(): number {
  const waits = BLUE_ALONE_TIMEOUT_MS + GREEN_EMPTY_TIMEOUT_MS + ALARM_ACTION_TIMEOUT_MS + ALARM_CLEAR_TIMEOUT_MS + 2 * GREEN_RESTORE_TIMEOUT_MS;
  return Math.ceil(((REHEARSAL_DEPLOYS + 1) * (DEPLOY_ALLOWANCE_MS + SETTLE_TIMEOUT_MS) + waits) / 60_000);
}
