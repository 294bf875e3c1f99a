/**
 * Whether another environment's stack in this account and region talks to the same BOOP environment:
 * the metric contract's Environment dimension is the BOOP environment, so two such stacks publish
 * into the same metrics, and each one's alarms (and green's automatic rollback) judge the other's
 * traffic. cdk.json's declarations refuse this for environments pinned to one place; this finds it
 * wherever the stacks really are.
 */
import { DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { DIMENSIONS } from '../../common/contract';
import { BoopEnvironment, environmentNameProblem, environmentNames } from '../../common/names';
import { ENVIRONMENTS_CONTEXT_KEY } from '../../lib/config/environments';
import { boundTo, neverCreated } from '../stack';
import { blocker, passed, PreflightCheck } from './check';

/** What every stack name of this app starts with, before the environment's name. */
const STACK_PREFIX = environmentNames('').stack;

/** Another environment's deployed stack, as DescribeStacks lists it. */
interface OtherStack {
  readonly env: string;
  readonly stackName: string;
  readonly status: string;
  readonly boopEnvironment: BoopEnvironment;
}

/** Another environment's stack of this app, or undefined for any other (another app's, a nested one, a deleted or never created one). */
function otherStackOf(stack: Stack): OtherStack | undefined {
  const stackName = stack.StackName ?? '';
  const env = stackName.slice(STACK_PREFIX.length);
  if (!stackName.startsWith(STACK_PREFIX) || environmentNameProblem(env) !== undefined || stack.ParentId || neverCreated(stack.StackStatus)) return undefined;
  // The stack adds ConfirmProduction exactly when it is bound to BOOP production (lib/boop-integration-stack.ts; test/environments.test.ts shows a template differs from its binding's by the name alone).
  return { env, stackName, status: stack.StackStatus ?? 'unknown', boopEnvironment: boundTo(stack) };
}

export const sharedMetricsCheck: PreflightCheck = {
  name: 'other environments',
  service: 'CloudFormation',
  // Without a stack name, DescribeStacks needs ListStacks as well (CloudFormation API reference, DescribeStacks).
  permissions: ['cloudformation:DescribeStacks', 'cloudformation:ListStacks'],
  run: async ({ env, region, caller, facts, clients }, signal) => {
    const ours = facts.config.boopEnvironment;
    const others: OtherStack[] = [];
    let nextToken: string | undefined;
    // Every stack of the account and region, a page at a time.
    do {
      const page = await clients.cloudformation.send(new DescribeStacksCommand({ NextToken: nextToken }), { abortSignal: signal });
      for (const stack of page.Stacks ?? []) {
        const other = otherStackOf(stack);
        if (other && other.env !== env) others.push(other);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    const here = `account ${caller.account}, ${region}`;
    const shared = others.filter((other) => other.boopEnvironment === ours);
    if (shared.length === 0) {
      const apart = others.map((other) => `${other.stackName} talks to BOOP ${other.boopEnvironment}`);
      return passed(`no other environment's stack in ${here} talks to BOOP ${ours}${apart.length ? ` (${apart.join('; ')})` : ''}`);
    }
    const stacks = shared.map((other) => `${other.stackName} (${other.status})`).join(', ');
    const one = shared.length === 1;
    return blocker(
      `${stacks} in ${here} also talk${one ? 's' : ''} to BOOP ${ours}: ${one ? 'it' : 'they'} and ${facts.stackName} would publish into the same metrics (${DIMENSIONS.environment}=${ours}), so each one's alarms and green's automatic rollback would judge the other's traffic`,
      `keep one of ${[env, ...shared.map((other) => other.env)].join(', ')} in ${here} and deploy the other${one ? '' : 's'} in another account or region (set ${one ? 'its' : 'their'} account and region in cdk.json's ${ENVIRONMENTS_CONTEXT_KEY})`,
    );
  },
};
