/**
 * The deploy-time API-key presence check, a CloudFormation custom resource that every service
 * waits for: a deploy whose tasks could not read their key parameters fails before any service is
 * touched, with the exact command that fixes it. It reads parameter metadata (DescribeParameters),
 * never a value, and this stack's status, so a rollback is never blocked.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { KEY_SLOTS, KMS_KEY_ARN, keyParameterNames, KeySlot } from '../../common/keys/api-keys';
import { describeParameters } from '../../common/keys/describe-parameters';
import { KeyRequirements, keyParameterProblems, ParameterFacts } from '../../common/keys/parameter-check';
import { environmentNameProblem, environmentNames } from '../../common/names';
import type { KeyCheckProperties, Unchecked } from '../../common/payloads';
import {
  CustomResourceResult,
  isCloudFormationResponseUrl,
  NOT_CLOUDFORMATION_URL,
  respond,
  RespondOptions,
  RESPONSE_LIMITS,
} from '../support/cloudformation-response';

/**
 * Every AWS call of the check: a connection within connectionTimeoutMs, an answer within
 * requestTimeoutMs, tried maxAttempts times in all (DescribeParameters is throttled early, so retries matter).
 */
export const KEY_CHECK_AWS_LIMITS = { connectionTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxAttempts: 3 } as const;

/** One invocation's AWS work (the stack's status, the parameters' metadata) is aborted after this, leaving time to answer. */
export const KEY_CHECK_BUDGET_MS = 10_000;

/** The longest an invocation can run: the AWS budget, then every try of the answer with its back-off; below the function's timeout (lib/api-keys.ts). */
export function worstCaseKeyCheckMs(): number {
  return KEY_CHECK_BUDGET_MS + RESPONSE_LIMITS.attempts * RESPONSE_LIMITS.timeoutMs + (RESPONSE_LIMITS.attempts - 1) * RESPONSE_LIMITS.backoffMs;
}

/**
 * One id for the life of the stack: the check owns nothing, and a new id on an update would make
 * CloudFormation see a replacement and send a Delete for the old one.
 */
export const KEY_CHECK_PHYSICAL_RESOURCE_ID = 'boop-api-key-check';

/** What a deploy refused by the check says: every problem with its fix, then what to do after. */
export function keyCheckRefusal(envName: string, problems: readonly string[]): string {
  return `the ${envName} services could not start: ${problems.join('; ')}; then deploy again`;
}

/** The stack statuses in which CloudFormation rolls back (and sends the old properties): the check never blocks them. */
const ROLLBACK_STATUS = /ROLLBACK_IN_PROGRESS$/;

/** Where a refusal sends the reader: the properties come from this project's template alone. */
const TEMPLATE_FIX = "deploy the template this project synthesizes (npx cdk deploy -c env=<env>), which sets the check's properties";

export interface KeyCheckLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface KeyCheckDeps {
  readonly ssm: SSMClient;
  readonly cloudformation: CloudFormationClient;
  /** The function's region; CloudFormation's response URLs name it. */
  readonly region: string;
  /** The function's own name (Lambda's AWS_LAMBDA_FUNCTION_NAME): an event may name only this function's environment. */
  readonly functionName: string;
  readonly log: KeyCheckLog;
  /** The invocation's AWS work is aborted after this. @default KEY_CHECK_BUDGET_MS */
  readonly budgetMs?: number;
  /** How the answer is sent. @default a PUT to the event's response URL within RESPONSE_LIMITS */
  readonly response?: RespondOptions;
}

/** The answer given to CloudFormation, or why the event was refused without an answer (it was not CloudFormation's). */
export type KeyCheckOutcome = CustomResourceResult | { readonly refused: string };

/**
 * Handles one invocation: refuses what is not CloudFormation's own custom resource event (no
 * answer, no AWS call), else judges the key parameters and answers. Throws only when the answer
 * could not be delivered, so Lambda's retries run the check (it only reads) and answer again.
 */
export async function checkKeys(input: unknown, deps: KeyCheckDeps): Promise<KeyCheckOutcome> {
  const event = asCustomResourceEvent(input);
  if (typeof event === 'string') return refuse(deps, event);
  if (!isCloudFormationResponseUrl(event.ResponseURL, deps.region)) return refuse(deps, NOT_CLOUDFORMATION_URL, event);

  const judged = await judge(event, deps);
  const fields = {
    requestType: event.RequestType,
    envName: judged.envName,
    parameters: judged.parameters,
    stackStatus: judged.stackStatus,
    outcome: judged.result.status,
    reason: judged.result.reason,
  };
  if (judged.result.status === 'SUCCESS') deps.log.info('API key check', fields);
  else deps.log[judged.awsError ? 'error' : 'warn']('API key check', fields);

  try {
    await respond(event, KEY_CHECK_PHYSICAL_RESOURCE_ID, judged.result, deps.response);
  } catch (error) {
    deps.log.error('could not answer CloudFormation', { requestType: event.RequestType, error: String(error) });
    throw new Error(`the API key check could not answer CloudFormation: ${String(error)}`);
  }
  return judged.result;
}

interface Judgement {
  readonly result: CustomResourceResult;
  readonly envName?: string;
  /** The parameter names judged (none when nothing was checked). */
  readonly parameters: readonly string[];
  /** The stack's status, or why it could not be read; undefined when it was not asked. */
  readonly stackStatus?: string;
  /** True when AWS, not the parameters, failed the check. */
  readonly awsError?: boolean;
}

/** The answer to a CloudFormation event: Delete and rollbacks pass unchecked, else the parameters decide. */
async function judge(event: CloudFormationCustomResourceEvent, deps: KeyCheckDeps): Promise<Judgement> {
  // Deleting the check deletes nothing; services that are going away need no key.
  if (event.RequestType === 'Delete') return { result: { status: 'SUCCESS', reason: 'nothing to check on delete' }, parameters: [] };
  // A forged event may carry anything: every property is checked before use.
  const properties: Record<string, unknown> = event.ResourceProperties ?? {};
  const read = keyRequirements(properties, deps.functionName);
  if (typeof read === 'string') return { result: { status: 'FAILED', reason: `refused: ${read}` }, parameters: [] };
  const requirements = read;
  const parameters = Object.values(requirements.parameters);
  const deadline = AbortSignal.timeout(deps.budgetMs ?? KEY_CHECK_BUDGET_MS);

  // The stack's own status tells a rollback apart; when it cannot be read the check runs, so a deploy is never waved through.
  let stackStatus: string | undefined;
  let statusError: unknown;
  try {
    stackStatus = await readStackStatus(deps.cloudformation, event.StackId, deadline);
  } catch (error) {
    statusError = error;
  }
  const seen = { envName: requirements.envName, stackStatus: stackStatus ?? `unknown (${String(statusError)})` };
  if (stackStatus !== undefined && ROLLBACK_STATUS.test(stackStatus)) {
    return {
      ...seen,
      result: { status: 'SUCCESS', reason: `skipped: the stack is ${stackStatus}, and the key check never blocks a rollback` },
      parameters: [],
    };
  }

  let found: ParameterFacts[];
  try {
    found = await describeParameters(deps.ssm, parameters, deadline);
  } catch (error) {
    return { ...seen, result: { status: 'FAILED', reason: ssmFailure(error, deadline, deps) }, parameters, awsError: true };
  }
  const problems = keyParameterProblems(requirements, found);
  const result: CustomResourceResult =
    problems.length > 0
      ? { status: 'FAILED', reason: keyCheckRefusal(requirements.envName, problems) }
      : {
          status: 'SUCCESS',
          reason: `the ${Object.keys(requirements.parameters).join(' and ')} API key parameters are SecureStrings the tasks can decrypt`,
        };
  return { ...seen, result, parameters };
}

/** The event as CloudFormation sends a custom resource request, or why it is not one. */
function asCustomResourceEvent(input: unknown): CloudFormationCustomResourceEvent | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'the event is not a CloudFormation custom resource request';
  const event = input as Record<string, unknown>;
  if (!['Create', 'Update', 'Delete'].includes(String(event.RequestType)))
    return `the event's RequestType is ${show(event.RequestType)}, not Create, Update or Delete`;
  for (const field of ['ResponseURL', 'StackId', 'RequestId', 'LogicalResourceId']) {
    if (typeof event[field] !== 'string' || event[field] === '') return `the event has no ${field}`;
  }
  return input as CloudFormationCustomResourceEvent;
}

/**
 * What the tasks need of their key parameters, read from the resource's properties; or why the
 * properties are refused. The names must be the environment's own key parameters, so no event can
 * make the check describe any other parameter.
 */
export function keyRequirements(properties: Unchecked<KeyCheckProperties>, functionName: string): KeyRequirements | string {
  const envName = properties.EnvName;
  if (typeof envName !== 'string' || environmentNameProblem(envName) !== undefined)
    return `EnvName must be an environment name, got ${show(envName)}; ${TEMPLATE_FIX}`;
  if (environmentNames(envName).keyCheck !== functionName) {
    return `EnvName ${show(envName)} is not the environment of this function (${functionName}); ${TEMPLATE_FIX}`;
  }
  const expected = keyParameterNames(envName);
  let given: unknown;
  try {
    given = typeof properties.Parameters === 'string' ? JSON.parse(properties.Parameters) : undefined;
  } catch {
    given = undefined;
  }
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    return `Parameters must be JSON of each key slot's parameter name, such as {"primary":"${expected.primary}"}, got ${show(properties.Parameters)}; ${TEMPLATE_FIX}`;
  }
  const parameters: Partial<Record<KeySlot, string>> = {};
  for (const [slot, name] of Object.entries(given)) {
    if (!(KEY_SLOTS as readonly string[]).includes(slot))
      return `Parameters names the slot ${show(slot)}; the slots are ${KEY_SLOTS.join(', ')}; ${TEMPLATE_FIX}`;
    if (name !== expected[slot as KeySlot]) {
      return `Parameters gives ${show(name)} for the ${slot} slot, but the ${slot} API key parameter of ${envName} is ${expected[slot as KeySlot]}; ${TEMPLATE_FIX}`;
    }
    parameters[slot as KeySlot] = name;
  }
  if (parameters.primary === undefined) return `Parameters has no primary slot, which every task reads; ${TEMPLATE_FIX}`;
  const keyArn = properties.EncryptionKeyArn ?? '';
  if (typeof keyArn !== 'string' || (keyArn !== '' && !KMS_KEY_ARN.test(keyArn))) {
    return `EncryptionKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or empty for the AWS-managed key, got ${show(keyArn)}; ${TEMPLATE_FIX}`;
  }
  return { envName, parameters, encryptionKeyArn: keyArn === '' ? undefined : keyArn };
}

/** The stack's status, from CloudFormation. */
async function readStackStatus(cloudformation: CloudFormationClient, stackId: string, deadline: AbortSignal): Promise<string> {
  const answer = await cloudformation.send(new DescribeStacksCommand({ StackName: stackId }), { abortSignal: deadline });
  const status = answer.Stacks?.[0]?.StackStatus;
  if (!status) throw new Error(`CloudFormation reports no status for ${stackId}`);
  return status;
}

/** Why SSM could not be asked, and what to do about it. */
function ssmFailure(error: unknown, deadline: AbortSignal, deps: KeyCheckDeps): string {
  const name = (error as { name?: unknown })?.name;
  const detail = `${String(name ?? 'Error')}: ${(error as { message?: unknown })?.message ?? String(error)}`;
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return `the API key check was denied ssm:DescribeParameters (${detail}); the stack grants it to the check's role, so look for a permissions boundary or an SCP that denies it, then deploy again`;
  }
  if (deadline.aborted || name === 'TimeoutError' || name === 'AbortError') {
    return `SSM did not answer the API key check within ${(deps.budgetMs ?? KEY_CHECK_BUDGET_MS) / 1000} s (${detail}); see the AWS Health Dashboard for SSM in ${deps.region}, then deploy again`;
  }
  return `SSM could not describe the API key parameters (${detail}); see the AWS Health Dashboard for SSM in ${deps.region}, then deploy again`;
}

/** Logs an event that is not CloudFormation's own; it gets no answer and costs no AWS call. */
function refuse(deps: KeyCheckDeps, why: string, event?: CloudFormationCustomResourceEvent): KeyCheckOutcome {
  deps.log.error('API key check refused an event', { why, requestType: event?.RequestType, stackId: event ? String(event.StackId).slice(0, 200) : undefined });
  return { refused: why };
}

/** A property's value for a message: short, and its type when it is not text. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? `"${value}"` : value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
