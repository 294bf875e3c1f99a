import { App, AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BoopIntegrationStack } from './boop-integration-stack';
import { ConfigError, loadConfig } from './config/load-config';
import { environmentNames } from '../common/names';

/** Context key of the one-deploy rollout override: `-c rolloutOverride="<reason>"`. */
export const ROLLOUT_OVERRIDE_CONTEXT_KEY = 'rolloutOverride';
const MAX_OVERRIDE_REASON = 200;

/** The override's reason, or undefined; a blank or overlong reason is a ConfigError. */
export function readRolloutOverride(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const reason = typeof value === 'string' ? value.trim() : '';
  if (reason === '' || reason.length > MAX_OVERRIDE_REASON) {
    throw new ConfigError([
      `-c ${ROLLOUT_OVERRIDE_CONTEXT_KEY}: give the reason for skipping the rollout checks, in 1..${MAX_OVERRIDE_REASON} characters; it is recorded in the traffic state`,
    ]);
  }
  return reason;
}

/** How much of `cdk synth` a build runs besides the template itself. */
export interface CreateAppOptions {
  /**
   * Whether synthesis checks the templates: CloudFormation's built-in validation and the
   * AwsSolutions (cdk-nag) rules. Only tests that read the template alone turn them off.
   * @default true
   */
  readonly checks?: boolean;
}

/**
 * Builds the CDK app: loads and validates the selected environment's configuration, adds its
 * stack and the AwsSolutions checks. Throws ConfigError (listing every problem) on bad config.
 */
export function createApp(props: AppProps = {}, options: CreateAppOptions = {}): { app: App; stack: BoopIntegrationStack } {
  const checks = options.checks ?? true;
  const app = new App({ ...props, builtinCloudFormationValidation: checks && (props.builtinCloudFormationValidation ?? true) });
  const config = loadConfig({ context: app.node.getAllContext() });
  const stack = new BoopIntegrationStack(app, environmentNames(config.envName).stack, {
    config,
    rolloutOverride: readRolloutOverride(app.node.tryGetContext(ROLLOUT_OVERRIDE_CONTEXT_KEY)),
    // Pinned only when config names both; otherwise environment-agnostic, so synth needs no credentials.
    env: config.account && config.region ? { account: config.account, region: config.region } : undefined,
    description: `BOOP integration (${config.envName}): blue/green services, staged rollout, alarms, automatic rollback`,
  });
  if (checks) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
