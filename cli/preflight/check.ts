/**
 * What a preflight check is and what it answers: one line per finding, passed, blocker, warning or
 * unchecked (could not check, and why), with the fix of a blocker or warning. Checks are plain
 * functions of what preflight learned (the synthesized template, the configuration, who is calling)
 * and the AWS clients they are given.
 */
import type { ACMClient } from '@aws-sdk/client-acm';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { DeployedStack } from '../stack';
import type { TemplateFacts } from './template-facts';

export type CheckStatus = 'passed' | 'blocker' | 'warning' | 'unchecked';

/** One finding: its status, what it is in words, and what to do (a blocker always says). */
export interface CheckResult {
  readonly status: CheckStatus;
  /** What was found, after the check's name. */
  readonly line: string;
  /** What to do: a command, or a console step. Required of a blocker. */
  readonly fix?: string;
}

/** The AWS clients of the stack's region; ECR's of any region, for images in another region's registry. */
export interface PreflightClients {
  readonly sts: STSClient;
  readonly cloudformation: CloudFormationClient;
  readonly ssm: SSMClient;
  readonly lambda: LambdaClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly acm: ACMClient;
  readonly sns: SNSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly ecr: (region: string) => ECRClient;
}

/** The caller as STS names it. */
export interface Caller {
  readonly account: string;
  /** The caller's ARN: its partition, and who to name in a refusal. */
  readonly arn: string;
}

/** A DNS resolver: node's dns/promises, or a test's. */
export interface Resolver {
  readonly resolve4: (host: string) => Promise<string[]>;
  readonly resolve6: (host: string) => Promise<string[]>;
  readonly resolveCname: (host: string) => Promise<string[]>;
}

/** What every check may read. */
export interface PreflightContext {
  /** The declared environment's name; the BOOP environment it talks to is facts.config.boopEnvironment. */
  readonly env: string;
  /** The region the stack deploys to: the configuration's pin, else the SDK's (AWS_REGION, the profile's). */
  readonly region: string;
  /** Where the region came from, in words, for the identity line. */
  readonly regionSource: string;
  /** The region the SDK resolves from AWS_REGION or the profile, which npm run rollout and npm run keys use; undefined when none is set. */
  readonly sdkRegion?: string;
  readonly caller: Caller;
  readonly facts: TemplateFacts;
  readonly clients: PreflightClients;
  /** The environment's deployed stack, or undefined before its first deploy; read once, shared by the checks. */
  readonly stack: () => Promise<DeployedStack | undefined>;
  readonly resolver: Resolver;
  readonly now: () => Date;
}

/** One check: its name on its lines, the AWS service it asks (for a timeout's line), and the permissions it needs. */
export interface PreflightCheck {
  readonly name: string;
  readonly service: string;
  /** The IAM actions it calls, all read-only. */
  readonly permissions: readonly string[];
  /** One result, or one per item (each named by its line). `signal` aborts at the check's deadline. */
  readonly run: (context: PreflightContext, signal: AbortSignal) => Promise<CheckResult | readonly CheckResult[]>;
}

export const passed = (line: string): CheckResult => ({ status: 'passed', line });
export const blocker = (line: string, fix: string): CheckResult => ({ status: 'blocker', line, fix });
export const warning = (line: string, fix?: string): CheckResult => ({ status: 'warning', line, ...(fix ? { fix } : {}) });
export const unchecked = (line: string, fix?: string): CheckResult => ({ status: 'unchecked', line, ...(fix ? { fix } : {}) });

/** The name of an AWS error (its exception name), or undefined for anything else. */
export function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}
