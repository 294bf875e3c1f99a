/**
 * What the environment's deploy will ask of AWS, learned by synthesizing its stack in-process (no
 * bundling, no checks, no lookups, so offline and quiet) and reading the template: the resource
 * types and properties it sets, the Lambda concurrency it reserves, the TLS policies, the bootstrap
 * version, the API-key parameters the deploy-time check requires, the alert topics. Reading the
 * template, not restating the constructs, keeps preflight right as the stack changes.
 */
import { KEY_CHECK_RESOURCE_TYPE } from '../../lib/api-keys';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ANNOTATIONS_IN_VALIDATION_REPORT, BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { KeySlot } from '../../common/keys/api-keys';
import { KeyRequirements } from '../../common/keys/parameter-check';
import { environmentNames } from '../../common/names';
import { KeyCheckProperties } from '../../common/payloads';
import { createApp } from '../../lib/app';
import { EnvironmentConfig } from '../../lib/config/environment-config';
import { ConfigError, loadConfig } from '../../lib/config/load-config';
import { readCdkJsonContext } from '../cdk-context';
import { CliError } from '../errors';

/** The CloudFormation type of the API-key presence check's custom resource. */

/** One function's reserved concurrency, as the template sets it. */
export interface Reservation {
  readonly logicalId: string;
  /** Its FunctionName, when the template names it (a re-deploy's function is then found by it). */
  readonly functionName?: string;
  readonly reserved: number;
}

/** What the synthesized stack uses. */
export interface TemplateFacts {
  readonly config: EnvironmentConfig;
  /** Where the configuration comes from, as a message names it. */
  readonly configSource: string;
  readonly stackName: string;
  /** The bootstrap stack version the stack needs (its artifact's requiresBootstrapStackVersion). */
  readonly requiredBootstrapVersion?: number;
  /** The SSM parameter that holds the bootstrap version, e.g. /cdk-bootstrap/hnb659fds/version. */
  readonly bootstrapVersionParameter?: string;
  /** Each registry resource type (not Custom::) the template declares, with every top-level property it sets, sorted. */
  readonly resourceProperties: ReadonlyMap<string, readonly string[]>;
  readonly reservations: readonly Reservation[];
  /** The SslPolicy of each HTTPS listener. */
  readonly sslPolicies: readonly string[];
  /** What the deploy-time API-key check requires, from its custom resource's properties; undefined when the template has none. */
  readonly keyRequirements?: KeyRequirements;
  /** The TopicName of each SNS topic. */
  readonly topicNames: readonly string[];
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/**
 * Synthesizes the environment as `cdk deploy -c env=<env> [-c configFile=<file>]` would, in `cwd`.
 * A configuration with problems is one CliError listing them.
 */
export function synthesizeFacts(env: string, configFile: string | undefined, cwd: string = process.cwd()): TemplateFacts {
  const context = { ...readCdkJsonContext(cwd, 'npm run preflight'), env, ...(configFile === undefined ? {} : { configFile }) };
  const configSource = configFile === undefined ? `cdk.json's boop:environments.${env}` : `cdk.json's boop:environments.${env} and ${configFile}`;
  let config: EnvironmentConfig;
  try {
    config = loadConfig({ context, cwd });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const count = error.problems.length === 1 ? 'a problem' : `${error.problems.length} problems`;
    // Where to fix comes first: a long list of problems is cut at the end of the one line.
    throw new CliError(
      `the configuration of ${env} has ${count}, so no deploy of it can work; fix ${configSource} (or pass --config-file <path>): ${error.problems.join('; ')}`,
    );
  }
  // The assembly goes to a folder of its own, removed after: preflight leaves nothing behind.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'boop-preflight-'));
  try {
    const { app, stack } = createApp(
      { context: { ...context, [BUNDLING_STACKS]: [], [ANNOTATIONS_IN_VALIDATION_REPORT]: false }, stackTraces: false, outdir },
      // CloudFormation's validation and cdk-nag are the deploy's own checks; preflight needs the template alone.
      { checks: false },
    );
    const artifact = app.synth().getStackArtifact(stack.artifactId);
    return {
      config,
      configSource,
      stackName: environmentNames(env).stack,
      ...factsOf(artifact.template.Resources ?? {}),
      requiredBootstrapVersion: artifact.requiresBootstrapStackVersion,
      bootstrapVersionParameter: artifact.bootstrapStackVersionSsmParameter,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** What a template's resources use. */
export function factsOf(
  resources: Readonly<Record<string, Resource>>,
): Pick<TemplateFacts, 'resourceProperties' | 'reservations' | 'sslPolicies' | 'keyRequirements' | 'topicNames'> {
  const properties = new Map<string, Set<string>>();
  const reservations: Reservation[] = [];
  const sslPolicies = new Set<string>();
  const topicNames: string[] = [];
  let keyRequirements: KeyRequirements | undefined;
  for (const [logicalId, { Type: type, Properties: props = {} }] of Object.entries(resources)) {
    if (type === KEY_CHECK_RESOURCE_TYPE) keyRequirements = keyRequirementsOf(props as Partial<KeyCheckProperties>);
    // Custom resources are the stack's own functions' business; CloudFormation has no schema for them.
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') continue;
    const set = properties.get(type) ?? new Set<string>();
    Object.keys(props).forEach((name) => set.add(name));
    properties.set(type, set);
    if (type === 'AWS::Lambda::Function' && typeof props.ReservedConcurrentExecutions === 'number') {
      const functionName = typeof props.FunctionName === 'string' ? props.FunctionName : undefined;
      reservations.push({ logicalId, reserved: props.ReservedConcurrentExecutions, ...(functionName ? { functionName } : {}) });
    }
    if (type === 'AWS::ElasticLoadBalancingV2::Listener' && typeof props.SslPolicy === 'string') sslPolicies.add(props.SslPolicy);
    if (type === 'AWS::SNS::Topic' && typeof props.TopicName === 'string') topicNames.push(props.TopicName);
  }
  return {
    resourceProperties: new Map([...properties].sort(([a], [b]) => a.localeCompare(b)).map(([type, set]) => [type, [...set].sort()])),
    reservations,
    sslPolicies: [...sslPolicies],
    keyRequirements,
    topicNames,
  };
}

/** The presence check's requirements as its custom resource carries them; undefined when they are not plain values. */
function keyRequirementsOf(props: Partial<KeyCheckProperties>): KeyRequirements | undefined {
  if (typeof props.EnvName !== 'string' || typeof props.Parameters !== 'string') return undefined;
  const parameters = JSON.parse(props.Parameters) as Partial<Record<KeySlot, string>>;
  const encryptionKeyArn = typeof props.EncryptionKeyArn === 'string' && props.EncryptionKeyArn !== '' ? props.EncryptionKeyArn : undefined;
  return { envName: props.EnvName, parameters, ...(encryptionKeyArn ? { encryptionKeyArn } : {}) };
}
