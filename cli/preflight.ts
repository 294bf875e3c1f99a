/**
 * npm run preflight: read-only checks, each bounded in time, of whether a deploy of an environment
 * will work, and if not what to do. bin/preflight.ts wires it to the terminal; cli/preflight-args.ts
 * reads the command line; each check is one file under cli/preflight/.
 */
import * as dns from 'dns/promises';
import { ACMClient } from '@aws-sdk/client-acm';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CliClientOverrides, readClientConfig } from './clients';
import { EnvironmentSource } from './environments';
import { CliError, explain, failureLineOf } from './errors';
import { parsePreflightArgs, RUN } from './preflight-args';
import { dnsCheck, healthCheckReportCheck } from './preflight/after-deploy';
import { emailCheck, pagerDutyCheck, slackCheck } from './preflight/alerts';
import { apiKeysCheck } from './preflight/api-keys';
import { bootstrapCheck } from './preflight/bootstrap';
import { certificateCheck } from './preflight/certificate';
import { Caller, PreflightCheck, PreflightClients, PreflightContext, Resolver } from './preflight/check';
import { identityCheck } from './preflight/identity';
import { stackStatusCheck } from './preflight/stack-status';
import { imagesCheck, vendorIdCheck } from './preflight/images';
import { lambdaConcurrencyCheck } from './preflight/lambda-concurrency';
import { resourceSchemaCheck, tlsPolicyCheck } from './preflight/region-support';
import { sharedMetricsCheck } from './preflight/shared-metrics';
import { findingLine, runChecks } from './preflight/runner';
import { synthesizeFacts, TemplateFacts } from './preflight/template-facts';
import { DeployedStack, findStack } from './stack';

/** Every check, in the order its lines print. */
export const PREFLIGHT_CHECKS: readonly PreflightCheck[] = [
  identityCheck,
  stackStatusCheck,
  sharedMetricsCheck,
  bootstrapCheck,
  resourceSchemaCheck,
  tlsPolicyCheck,
  lambdaConcurrencyCheck,
  certificateCheck,
  vendorIdCheck,
  imagesCheck,
  apiKeysCheck,
  pagerDutyCheck,
  slackCheck,
  emailCheck,
  dnsCheck,
  healthCheckReportCheck,
];

/** The IAM actions preflight calls, all read-only: what a role needs to run it (docs/preflight.md). */
export const PREFLIGHT_PERMISSIONS: readonly string[] = [
  ...new Set(['sts:GetCallerIdentity', ...PREFLIGHT_CHECKS.flatMap((check) => check.permissions)]),
].sort();

/** The region STS is asked in when neither the configuration nor the SDK names one: any region's STS knows the caller. */
const IDENTITY_REGION = 'us-east-1';

/** What preflight needs of the world; tests give their own. */
export interface PreflightDeps {
  /** The region the SDK resolves from AWS_REGION or the profile; undefined when none is set. */
  readonly sdkRegion: () => Promise<string | undefined>;
  /** The AWS clients of a region. */
  readonly clients: (region: string) => PreflightClients;
  /** The synthesized stack's facts (see template-facts.ts) of a declared environment. */
  readonly facts: (env: string, configFile: string | undefined) => TemplateFacts;
  readonly resolver: Resolver;
  /** The environments `--env` may name, read before anything else. @default projectEnvironments: cdk.json's in the current folder */
  readonly environments?: EnvironmentSource;
  /** How long each check may take. @default CHECK_DEADLINE_MS */
  readonly deadlineMs?: number;
}

export interface PreflightIo {
  /** One line of the report, on stdout. */
  readonly out: (line: string) => void;
  /** The one line of a failure, on stderr. */
  readonly err: (line: string) => void;
  readonly now: () => Date;
}

/** The AWS clients of a region, with the bounded timeouts of cli/clients.ts. */
export function createPreflightClients(region: string, overrides: CliClientOverrides = {}): PreflightClients {
  const read = readClientConfig({ region, ...overrides });
  const ecr = new Map<string, ECRClient>();
  return {
    sts: new STSClient(read),
    cloudformation: new CloudFormationClient(read),
    ssm: new SSMClient(read),
    lambda: new LambdaClient(read),
    elbv2: new ElasticLoadBalancingV2Client(read),
    acm: new ACMClient(read),
    sns: new SNSClient(read),
    cloudwatch: new CloudWatchClient(read),
    ecr: (r) => ecr.get(r) ?? ecr.set(r, new ECRClient({ ...read, region: r })).get(r)!,
  };
}

/**
 * The region an unpinned `cdk deploy` takes from the environment, in the CDK CLI's order (its
 * SdkProvider); the AWS SDK alone reads only AWS_REGION, then the profile.
 */
export function cdkEnvironmentRegion(env: NodeJS.ProcessEnv): string | undefined {
  return ['AWS_REGION', 'AMAZON_REGION', 'AWS_DEFAULT_REGION', 'AMAZON_DEFAULT_REGION'].map((name) => env[name]).find((value) => !!value);
}

/** The production world: this machine's AWS configuration, DNS and the app's synthesis in the current folder. */
export function productionDeps(): PreflightDeps {
  return {
    sdkRegion: async () =>
      cdkEnvironmentRegion(process.env) ??
      new STSClient({}).config
        .region()
        .then((region) => region || undefined)
        .catch(() => undefined),
    clients: (region) => createPreflightClients(region),
    facts: (env, configFile) => synthesizeFacts(env, configFile),
    resolver: { resolve4: (h) => dns.resolve4(h), resolve6: (h) => dns.resolve6(h), resolveCname: (h) => dns.resolveCname(h) },
  };
}

/** The one line a failure before any check prints on stderr: `preflight: <what went wrong and what to do>`. */
export function failureLine(error: unknown): string {
  return failureLineOf('preflight', error);
}

/** What a missing or unusable login says: what to set, in one line. */
function credentialProblem(error: unknown): CliError {
  const { message } = explain(error);
  if (!/^no AWS credentials found/.test(message)) return explain(error);
  return new CliError(
    'no AWS credentials found; set AWS_PROFILE to a profile of the account the stack deploys to (aws configure, or aws sso login --profile <name> for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  );
}

/** Runs preflight; the exit code: 0 nothing blocks the deploy, 1 something does (or the checks could not start), 2 a command line it cannot read. */
export async function runPreflightCli(argv: readonly string[], deps: PreflightDeps, io: PreflightIo): Promise<number> {
  let args;
  try {
    args = parsePreflightArgs(argv, deps.environments);
  } catch (error) {
    io.err(failureLine(error));
    return 2;
  }
  if (args.command === 'help') {
    io.out(args.usage);
    return 0;
  }
  const { env, configFile } = args;
  try {
    const sdkRegion = await deps.sdkRegion();
    let facts: TemplateFacts | undefined;
    let configProblem: unknown;
    try {
      facts = deps.facts(env, configFile);
    } catch (error) {
      configProblem = error;
    }
    // Who is calling is said first: without credentials nothing else can be asked, and that is the one thing to say.
    const identity = await deps
      .clients(facts?.config.region ?? sdkRegion ?? IDENTITY_REGION)
      .sts.send(new GetCallerIdentityCommand({}))
      .catch((error: unknown) => {
        throw credentialProblem(error);
      });
    if (!facts) throw configProblem;
    const caller: Caller = { account: identity.Account ?? '?', arn: identity.Arn ?? '?' };
    const region = facts.config.region ?? sdkRegion;
    if (!region) throw new CliError(`no AWS region: set region (with account) in ${facts.configSource}, or AWS_REGION, or a profile with a region`);
    const regionSource = facts.config.region ? 'pinned by the configuration' : 'from AWS_REGION, AWS_DEFAULT_REGION or your profile, as cdk deploy reads it';
    const clients = deps.clients(region);
    let stack: Promise<DeployedStack | undefined> | undefined;
    const context: PreflightContext = {
      env,
      region,
      regionSource,
      ...(sdkRegion ? { sdkRegion } : {}),
      caller,
      facts,
      clients,
      stack: () => (stack ??= findStack(clients.cloudformation, env)),
      resolver: deps.resolver,
      now: io.now,
    };
    io.out(`preflight ${env} (BOOP ${facts.config.boopEnvironment}): ${facts.stackName} in account ${caller.account}, ${region}`);
    // Credentials of another account than the pinned one: every other check, and its fix, would be about the wrong account.
    const wrongAccount = facts.config.account !== undefined && facts.config.account !== caller.account;
    const findings = await runChecks(wrongAccount ? [identityCheck] : PREFLIGHT_CHECKS, context, deps.deadlineMs);
    if (wrongAccount)
      findings.push({
        check: 'other checks',
        status: 'unchecked',
        line: `skipped: they would ask account ${caller.account}, and their fixes would change it, not the pinned ${facts.config.account}`,
      });
    findings.forEach((finding) => io.out(findingLine(finding)));
    const count = (status: string) => findings.filter((f) => f.status === status).length;
    const blockers = count('blocker');
    const others = [`${count('warning')} warning${count('warning') === 1 ? '' : 's'}`, `${count('unchecked')} not checked`].join(', ');
    io.out(
      blockers > 0
        ? `result: ${blockers} blocker${blockers === 1 ? '' : 's'} (${others}): the deploy would fail; fix ${blockers === 1 ? 'it' : 'them'}, then run ${RUN} --env ${env}${configFile ? ` --config-file ${configFile}` : ''} again`
        : `result: no blocker found (${others})${count('unchecked') > 0 ? '; what could not be checked may still block' : ''}`,
    );
    return blockers > 0 ? 1 : 0;
  } catch (error) {
    io.err(failureLine(error));
    return 1;
  }
}
