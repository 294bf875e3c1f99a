/**
 * An environment synthesized through the real app entry, as `cdk synth -c env=<name>
 * [-c configFile=...] [-c key=value ...]` builds it: in memory for reading the template, or written
 * out as a cloud assembly for reading what the CLI deploys (the functions' bundles).
 */
import { App } from 'aws-cdk-lib';
import { ANNOTATIONS_IN_VALIDATION_REPORT, BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/app';
import { BoopIntegrationStack } from '../../lib/boop-integration-stack';
import { EnvironmentConfig } from '../../lib/config/environment-config';
import { loadConfig } from '../../lib/config/load-config';
import { environmentContext, Json, REPO_ROOT } from './context';
import { Cfn, CfnResource } from './resources';
import { captureStdout } from './stdout';

export interface Built {
  readonly app: App;
  readonly stack: BoopIntegrationStack;
  /** The configuration the app loaded from the same context (the numbers the stack was built from). */
  readonly config: EnvironmentConfig;
  readonly template: Template;
  readonly resources: Readonly<Record<string, CfnResource>>;
}

/**
 * The template alone, several times faster: no function is bundled, and annotations stay in the
 * assembly (where `Annotations.fromStack` reads them) instead of being printed. The app's checks
 * run in synth.test.ts, on the real CLI's synth of each environment.
 */
const TEMPLATE_ONLY_CONTEXT = { [BUNDLING_STACKS]: [], [ANNOTATIONS_IN_VALIDATION_REPORT]: false };

/** An app for a construct's template alone, without the app's checks (synth.test.ts runs those). */
export function templateApp(): App {
  return new App({ builtinCloudFormationValidation: false, stackTraces: false, context: TEMPLATE_ONLY_CONTEXT });
}

/**
 * The stack of `cdk synth -c env=<env>`, for prod with `-c configFile=examples/prod.json`, plus
 * extra `-c` values (strings, as the CLI passes them).
 */
export function build(env: 'dev' | 'prod', extra: Json = {}): Built {
  const context = environmentContext(env, extra);
  const { app, stack } = createApp({ context: { ...context, ...TEMPLATE_ONLY_CONTEXT }, stackTraces: false }, { checks: false });
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
 * function's asset path recorded in its metadata as the CLI records it; without the app's checks
 * (synth.test.ts runs those on the real CLI's assembly).
 */
export function synthAssembly(env: 'dev' | 'prod', extra: Json = {}): Assembly {
  const context = { ...environmentContext(env, { ...extra, 'aws:cdk:enable-asset-metadata': true }), [ANNOTATIONS_IN_VALIDATION_REPORT]: false };
  const {
    result: assembly,
    output,
    errors,
  } = captureStdout(() => {
    const { app, stack } = createApp({ context, stackTraces: false }, { checks: false });
    return { stack, cloudAssembly: app.synth() };
  });
  // CDK's "Bundling asset …" progress lines are noise; anything else the synth wrote still prints.
  process.stdout.write(output);
  process.stderr.write(errors.replace(/^Bundling asset .*\n/gm, ''));
  const template = assembly.cloudAssembly.getStackArtifact(assembly.stack.artifactId).template;
  return { directory: assembly.cloudAssembly.directory, template, resources: template.Resources };
}
