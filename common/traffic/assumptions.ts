/**
 * The AWS behaviour traffic control relies on that no test here reaches and AWS does not fully
 * document, by id. Each fails closed; a refusal it would cause names it with assumptionPointer, and
 * `npm run rollout -- rehearse` checks each on a non-production account (docs/design.md, each
 * section's "What this relies on that no test here reaches").
 */

/** One assumption: what is taken to hold, and the section of docs/design.md that says what happens if not. */
export interface Assumption {
  /** What is assumed, in one line. */
  readonly statement: string;
  /** The section of docs/design.md whose table records its evidence and what to do if it does not hold. */
  readonly section: string;
}

export const ASSUMPTIONS = {
  'describe-stacks-mid-update': {
    statement: "during UPDATE_IN_PROGRESS, DescribeStacks reports the update's new parameter values",
    section: 'Weights: one writer',
  },
  'get-template-mid-update': {
    statement: 'during the update, GetTemplate returns the template being deployed',
    section: 'Weights: one writer',
  },
  'rollback-update-old-properties': {
    statement: 'during UPDATE_ROLLBACK_IN_PROGRESS, the custom resources get Update events carrying the old properties',
    section: 'Weights: one writer',
  },
  'response-url-host': {
    statement: "CloudFormation's ResponseURL has one of the host forms the controller accepts",
    section: 'Weights: one writer',
  },
  'green-capacity-registration': {
    statement: "IAM's boop:capacity tag condition lets the controller re-pin green's scalable target, which moves green's task count",
    section: "Green's task count",
  },
  'cloudwatch-kms-publish': {
    statement: "CloudWatch may publish to the KMS-encrypted alert topics under the key policy's encryption-context condition",
    section: 'Rollback',
  },
  'time-to-blue': {
    statement: "an alarm reaches blue alone within the benchmark's assumed allowances (ingestion, evaluation, EventBridge)",
    section: 'Rollback',
  },
} as const satisfies Record<string, Assumption>;

/** Where each section lives. */
const DESIGN_FILE = 'docs/design.md';

export type AssumptionId = keyof typeof ASSUMPTIONS;

/** The one-line tail of a refusal that a failing assumption would cause: its id, the design's section, and how to find out. */
export function assumptionPointer(id: AssumptionId): string {
  const { statement, section } = ASSUMPTIONS[id];
  return (
    `if this was a real deploy, assumption ${id} does not hold here (${statement}): see ${DESIGN_FILE} "${section}", ` +
    'and run npm run rollout -- rehearse --env <a non-production env> to see which assumption does not hold in your account'
  );
}
