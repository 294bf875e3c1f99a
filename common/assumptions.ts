/**
 * The AWS behaviour traffic control relies on that no offline test reaches (docs/design.md, each
 * "What this relies on that no test here reaches" table, and issue 23), which `npm run rollout --
 * rehearse` exercises on a real non-production account. One line of the rehearsal's report per
 * entry; the ids are stable, so refusals, the design and the runbook can name them.
 */

/** One assumption: its id, what it is, and what the controller does when it does not hold. */
export interface Assumption {
  readonly id: string;
  /** The behaviour, in one line. */
  readonly what: string;
  /** What the controller (and so the user) meets when AWS behaves otherwise: every one fails closed. */
  readonly ifNot: string;
}

export const ASSUMPTIONS = [
  {
    id: 'describe-stacks-mid-update',
    what: "during UPDATE_IN_PROGRESS, DescribeStacks reports the update's new parameter values (GreenPercent, BlueImage, GreenImage)",
    ifNot: 'every rise and every image change is refused (the event does not match what CloudFormation reports) and rolled back',
  },
  {
    id: 'get-template-mid-update',
    what: "during the update, GetTemplate returns the template being deployed (the custom resources' RolloutOverride)",
    ifNot: 'every override deploy is refused (the override is not the one in the stack template) and rolled back',
  },
  {
    id: 'rollback-update-events',
    what: 'during UPDATE_ROLLBACK_IN_PROGRESS, the custom resources get Update events carrying the old properties, and the rollback ends UPDATE_ROLLBACK_COMPLETE',
    ifNot: "a refused deploy's rollback does not put the previous share back, or the stack ends UPDATE_ROLLBACK_FAILED",
  },
  {
    id: 'response-url-host',
    what: "CloudFormation's ResponseURL has one of the host forms the controller accepts",
    ifNot: 'the controller does not answer: the stack waits for the custom resource, then fails and ends UPDATE_ROLLBACK_FAILED',
  },
  {
    id: 'green-capacity-tag-condition',
    what: "RegisterScalableTarget on green's existing capacity is allowed by the grant scoped by its boop:capacity tag, with no ECS permission of the caller",
    ifNot: 'a rollback cannot empty green (AccessDenied: blue alone stays, ROLLBACK_FAILED pages) and the acknowledgement cannot restore it',
  },
  {
    id: 'green-capacity-moves-count',
    what: "re-registering green's existing capacity with minimum = maximum moves the service's desired count into that range",
    ifNot: 'a rollback leaves green running (blue alone stays, and nothing says so) and the acknowledgement does not restore the count',
  },
  {
    id: 'cloudwatch-publishes-to-kms-topic',
    what: "CloudWatch's alarm actions publish to the KMS-encrypted alert topics under the key policy's encryption-context condition",
    ifNot: "alarms page no one (their action fails); the controller's own rollback page still arrives",
  },
  {
    id: 'time-to-blue-alone',
    what: "from a rollback alarm's ALARM to blue alone takes no longer than the benchmark's assumed EventBridge delivery plus one evaluation of the composite",
    ifNot: 'the benchmark understates the time to blue alone; the rollback still happens, later',
  },
  {
    id: 'high-resolution-probe',
    what: "a burst of errors on green's test route reaches blue alone through SERVICE_DOWN_10S-green within its computed bound",
    ifNot: 'the fast rollback alarm is slower than computed; SERVICE_DOWN-green still rolls back within its minute-based bound',
  },
] as const satisfies readonly Assumption[];

export type AssumptionId = (typeof ASSUMPTIONS)[number]['id'];
export const ASSUMPTION_IDS: readonly AssumptionId[] = ASSUMPTIONS.map((a) => a.id);
