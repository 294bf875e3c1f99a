/** Whether the CDK bootstrap stack is in the account and region, at the version the stack's template requires. */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { blocker, errorName, passed, PreflightCheck } from './check';

export const bootstrapCheck: PreflightCheck = {
  name: 'CDK bootstrap',
  service: 'SSM',
  permissions: ['ssm:GetParameter'],
  run: async ({ caller, region, facts, clients }, signal) => {
    const required = facts.requiredBootstrapVersion ?? 0;
    const name = facts.bootstrapVersionParameter;
    const fix = `npx cdk bootstrap aws://${caller.account}/${region} (with this project's CDK CLI, by someone who may create IAM roles)`;
    if (!name) return passed(`the stack needs no bootstrap stack`);
    let version: number;
    try {
      // The bootstrap stack's own String parameter (CDKToolkit's BootstrapVersion output): the version its template is at.
      const answer = await clients.ssm.send(new GetParameterCommand({ Name: name }), { abortSignal: signal });
      version = Number(answer.Parameter?.Value);
    } catch (error) {
      if (errorName(error) !== 'ParameterNotFound') throw error;
      return blocker(`${caller.account} is not bootstrapped for the CDK in ${region} (no ${name})`, fix);
    }
    if (!(version >= required)) {
      return blocker(
        `the CDK bootstrap stack in ${region} is at version ${Number.isNaN(version) ? 'unknown' : version}; this stack needs ${required} or later`,
        fix,
      );
    }
    return passed(`version ${version} in ${region} (the stack needs ${required} or later)`);
  },
};
