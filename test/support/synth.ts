/**
 * An environment synthesized through the real app entry, as `cdk synth -c env=<name>
 * [-c configFile=...] [-c key=value ...]` builds it: in memory for reading the template, or written
 * out as a cloud assembly for reading what the CLI deploys (the functions' bundles).
 */
import { App } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/app';
import { BoopIntegrationStack } from '../../lib/boop-integration-stack';
import { EnvironmentConfig } from '../../lib/config/environment-config';
import { loadConfig } from '../../lib/config/load-config';
import { environmentContext, Json, REPO_ROOT } from './context';
import { Cfn, CfnResource } from './resources';

export interface Built {
  readonly app: App;
  readonly stack: BoopIntegrationStack;
  /** The configuration the app loaded from the same context (the numbers the stack was built from). */
  readonly config: EnvironmentConfig;
  readonly template: Template;
  readonly resources: Readonly<Record<string, CfnResource>>;
}

/**
 * The stack of `cdk synth -c env=<env>`, for prod with `-c configFile=examples/prod.json`, plus
 * extra `-c` values (strings, as the CLI passes them).
 */
export function build(env: 'dev' | 'prod', extra: Json = {}): Built {
  const context = environmentContext(env, extra);
  // The template alone: no function is bundled (synthAssembly bundles them), which makes a build several times faster.
  const { app, stack } = createApp({ context: { ...context, [BUNDLING_STACKS]: [] } });
  const config = loadConfig({ context, cwd: REPO_ROOT });
  const template = Template.fromStack(stack);
  return { app, stack, config, template, resources: template.toJSON().Resources };
}

/** A cloud assembly as the CLI writes it. */
export interface Assembly {
  /** The directory the assembly was written to; asset paths are relative to it. */
  readonly directory: string;
  /** The stack's template as written there. */
  readonly template: Cfn;
  /** The template's resources, by logical id. */
  readonly resources: Readonly<Record<string, CfnResource>>;
}

/**
 * The cloud assembly of `cdk synth -c env=<env>` (prod with examples/prod.json), with each
 * function's asset path recorded in its metadata as the CLI records it.
 */
export function synthAssembly(env: 'dev' | 'prod', extra: Json = {}): Assembly {
  const { app, stack } = createApp({ context: environmentContext(env, { ...extra, 'aws:cdk:enable-asset-metadata': true }) });
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template;
  return { directory: assembly.directory, template, resources: template.Resources };
}
