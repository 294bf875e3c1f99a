/** Whether the environment's stack can take a deploy now: not deployed, settled and bound as cdk.json binds it, or what stands in the way. */
import { CONFIRM_PRODUCTION_PARAMETER } from '../../common/names';
import { BOOP_ENVIRONMENT_FIELD, ENVIRONMENTS_CONTEXT_KEY } from '../../lib/config/environments';
import { bindingOf, DeployedStack } from '../stack';
import { blocker, CheckResult, passed, PreflightCheck, PreflightContext, warning } from './check';

export const stackStatusCheck: PreflightCheck = {
  name: 'stack',
  service: 'CloudFormation',
  permissions: ['cloudformation:DescribeStacks'],
  run: async (context) => {
    const { region, facts, stack } = context;
    const deployed = await stack();
    if (!deployed) return passed(`${facts.stackName} is not deployed yet: the first deploy creates it`);
    const findings: CheckResult[] = [];
    const rebinding = rebindingBlocker(context, deployed);
    if (rebinding) findings.push(rebinding);
    const { status } = deployed;
    if (status === 'UPDATE_ROLLBACK_FAILED')
      findings.push(
        blocker(
          `${facts.stackName} is ${status}: CloudFormation refuses every deploy until its rollback is finished`,
          `aws cloudformation continue-update-rollback --stack-name ${facts.stackName} --region ${region} (the stack's events name the resource that failed)`,
        ),
      );
    else if (status.endsWith('_IN_PROGRESS'))
      findings.push(warning(`${facts.stackName} is ${status}: another deploy is running`, 'wait until it ends, then run preflight again'));
    return findings.length > 0 ? findings : passed(`${facts.stackName} is ${status}`);
  },
};

/**
 * A deploy that would rebind the deployed stack: it carries ConfirmProduction exactly when it was
 * deployed bound to production, and the deploy builds the stack of cdk.json's binding, production's
 * confirmation, removal policies and release guard included, with nothing to stop it.
 */
function rebindingBlocker({ env, facts }: PreflightContext, deployed: DeployedStack): CheckResult | undefined {
  const declared = facts.config.boopEnvironment;
  const was = bindingOf(deployed);
  if (was === declared) return undefined;
  const binding = `cdk.json's ${ENVIRONMENTS_CONTEXT_KEY}.${env}.${BOOP_ENVIRONMENT_FIELD}`;
  const guard =
    deployed.releaseGuard === facts.config.rollout.releaseGuard ? '' : `, turn the release guard ${facts.config.rollout.releaseGuard ? 'on' : 'off'}`;
  const change = deployed.production
    ? `drop ${CONFIRM_PRODUCTION_PARAMETER}, switch its resources from RETAIN to DESTROY (deleted with the stack)${guard}`
    : `add ${CONFIRM_PRODUCTION_PARAMETER}, switch its resources from DESTROY to RETAIN${guard}`;
  const rebind = deployed.production
    ? `to rebind ${env} on purpose, delete ${facts.stackName} first, then deploy: it is a production stack, so deleting it takes ${env}'s production service down`
    : `to rebind ${env} on purpose, delete ${facts.stackName} first (a development stack), then deploy it anew as production`;
  return blocker(
    `${facts.stackName} was deployed bound to BOOP ${was} (it has ${deployed.production ? 'the' : 'no'} ${CONFIRM_PRODUCTION_PARAMETER} parameter) but ${binding} is "${declared}": ` +
      `this deploy would rebind it: ${change} and point it at BOOP ${declared}`,
    `set ${binding} to "${was}", as the stack is (after a stale checkout, or an edited binding); ${rebind}`,
  );
}
