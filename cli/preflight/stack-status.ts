/** Whether the environment's stack can take a deploy now: not deployed, settled, or what stands in the way. */
import { blocker, passed, PreflightCheck, warning } from './check';

export const stackStatusCheck: PreflightCheck = {
  name: 'stack',
  service: 'CloudFormation',
  permissions: ['cloudformation:DescribeStacks'],
  run: async ({ region, facts, stack }) => {
    const deployed = await stack();
    if (!deployed) return passed(`${facts.stackName} is not deployed yet: the first deploy creates it`);
    const { status } = deployed;
    if (status === 'UPDATE_ROLLBACK_FAILED')
      return blocker(
        `${facts.stackName} is ${status}: CloudFormation refuses every deploy until its rollback is finished`,
        `aws cloudformation continue-update-rollback --stack-name ${facts.stackName} --region ${region} (the stack's events name the resource that failed)`,
      );
    if (status.endsWith('_IN_PROGRESS'))
      return warning(`${facts.stackName} is ${status}: another deploy is running`, 'wait until it ends, then run preflight again');
    return passed(`${facts.stackName} is ${status}`);
  },
};
