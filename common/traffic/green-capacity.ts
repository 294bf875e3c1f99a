/**
 * Green's capacity: the Application Auto Scaling scalable target through which green's task count moves
 * (docs/design.md "Green's task count"). The stack registers it, pinned to green's configured
 * count; the traffic controller pins it to 0 on a rollback and back on the acknowledgement.
 */

/** Application Auto Scaling's names for an ECS service's task count. */
export const ECS_TASK_COUNT = { namespace: 'ecs', dimension: 'ecs:service:DesiredCount' } as const;

/** The tag that marks green's scalable target; the controller may register (re-pin) only a target carrying it with green's name. */
export const GREEN_CAPACITY_TAG = 'boop:capacity';

/** The scalable target's resource id of an ECS service, as Application Auto Scaling names it. */
export function scalableTargetId(service: { readonly cluster: string; readonly service: string }): string {
  return `service/${service.cluster}/${service.service}`;
}
