/** Whether the caller's account and the region agree with the configuration's pin. */
import { blocker, passed, PreflightCheck, warning } from './check';

export const identityCheck: PreflightCheck = {
  name: 'account and region',
  service: 'STS',
  permissions: [],
  run: async ({ caller, region, regionSource, sdkRegion, facts }) => {
    const { config } = facts;
    const who = `${caller.arn} in ${region} (${regionSource})`;
    if (config.account && caller.account !== config.account) {
      return blocker(
        `your credentials are for account ${caller.account}, the configuration pins ${config.account}: cdk deploy would refuse`,
        `use credentials of account ${config.account} (AWS_PROFILE, or aws sso login --profile <its profile>), or change account in ${facts.configSource}`,
      );
    }
    if (config.region && sdkRegion && sdkRegion !== config.region) {
      return warning(
        `${who}; your AWS_REGION (or profile) says ${sdkRegion}, so npm run rollout and npm run keys would look for the stack there`,
        `export AWS_REGION=${config.region} before running them`,
      );
    }
    return passed(config.account ? who : `${who}; the stack is not pinned, so cdk deploy uses these too`);
  },
};
