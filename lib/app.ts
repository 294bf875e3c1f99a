import { App, AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BoopIntegrationStack } from './boop-integration-stack';
import { loadConfig } from './config/load-config';

/** The stack name of an environment; the rollout CLI finds the stack by it. */
export function stackName(envName: string): string {
  return `BoopIntegration-${envName}`;
}

/**
 * Builds the CDK app: loads and validates the selected environment's configuration, adds its
 * stack and the AwsSolutions checks. Throws ConfigError (listing every problem) on bad config.
 */
export function createApp(props: AppProps = {}): { app: App; stack: BoopIntegrationStack } {
  const app = new App(props);
  const config = loadConfig({ context: app.node.getAllContext() });
  const stack = new BoopIntegrationStack(app, stackName(config.envName), {
    config,
    // Pinned only when config names both; otherwise environment-agnostic, so synth needs no credentials.
    env: config.account && config.region ? { account: config.account, region: config.region } : undefined,
    description: `BOOP integration (${config.envName}): blue/green services, staged rollout, alarms, automatic rollback`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
