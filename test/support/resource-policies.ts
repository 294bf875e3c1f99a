/**
 * The policies that decide a request on a deployed template (test/support/deployed-template.ts),
 * read as AWS assembles them: a topic's policy, a key's policy, a function's resource policy (made
 * of its AWS::Lambda::Permission resources) and a role's identity policies; and one request
 * evaluated against them with @cloud-copilot/iam-simulate (a test-only devDependency).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, DeployedTemplate, PARTITION } from './deployed-template';
import { resourcesOfType } from './resources';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: Json[];
}

/** What iam-simulate decides for one request. */
export type Verdict = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Every statement of the AWS::SNS::TopicPolicy resources naming the topic: SNS applies them together. */
export function topicPolicyOf(t: DeployedTemplate, topicArn: string): PolicyDocument {
  const documents = resourcesOfType(t, 'AWS::SNS::TopicPolicy')
    .filter(([, p]) => asList<string>(t.resolve(p.Properties.Topics)).includes(topicArn))
    .map(([, p]) => t.resolve(p.Properties.PolicyDocument));
  // Without one, SNS's default policy applies, which these helpers do not model.
  if (documents.length === 0) throw new Error(`topic ${topicArn} has no AWS::SNS::TopicPolicy`);
  return { Version: '2012-10-17', Statement: documents.flatMap((d) => asList(d.Statement)) };
}

/** The key policy of the AWS::KMS::Key with this ARN. */
export function keyPolicyOf(t: DeployedTemplate, keyArn: string): PolicyDocument {
  const key = resourcesOfType(t, 'AWS::KMS::Key').find(([id]) => t.getAtt(id, 'Arn') === keyArn);
  if (!key) throw new Error(`no AWS::KMS::Key with ARN ${keyArn}`);
  return t.resolve(key[1].Properties.KeyPolicy);
}

/** The Principal element Lambda writes for a permission's Principal: a service, an account or anyone. */
function lambdaPrincipal(principal: string): Json {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:${PARTITION}:iam::${principal}:root` };
  if (principal.endsWith('.amazonaws.com')) return { Service: principal };
  return { AWS: principal };
}

const PERMISSION_CONDITIONS: Record<string, (value: string) => Json> = {
  SourceArn: (value) => ({ ArnLike: { 'AWS:SourceArn': value } }),
  SourceAccount: (value) => ({ StringEquals: { 'AWS:SourceAccount': value } }),
  PrincipalOrgID: (value) => ({ StringEquals: { 'aws:PrincipalOrgID': value } }),
};
const PERMISSION_FIELDS = new Set(['Action', 'FunctionName', 'Principal', ...Object.keys(PERMISSION_CONDITIONS)]);

/**
 * A function's resource policy, as Lambda builds it from its AWS::Lambda::Permission resources:
 * one statement each, SourceArn as `ArnLike AWS:SourceArn`, SourceAccount as `StringEquals AWS:SourceAccount`.
 */
export function functionPolicyOf(t: DeployedTemplate, functionArn: string): PolicyDocument {
  const name = functionArn.split(':').pop();
  const statements = resourcesOfType(t, 'AWS::Lambda::Permission')
    .map(([id, p]) => [id, t.resolve(p.Properties)] as [string, Json])
    .filter(([, p]) => p.FunctionName === functionArn || p.FunctionName === name)
    .map(([id, p]) => {
      const unknown = Object.keys(p).filter((field) => !PERMISSION_FIELDS.has(field));
      if (unknown.length > 0) throw new Error(`permission ${id} uses ${unknown.join(', ')}; say how Lambda turns it into a condition`);
      const conditions = Object.keys(PERMISSION_CONDITIONS)
        .filter((field) => p[field] !== undefined)
        .map((field) => PERMISSION_CONDITIONS[field](p[field]));
      return {
        Sid: id,
        Effect: 'Allow',
        Principal: lambdaPrincipal(p.Principal),
        Action: p.Action,
        Resource: functionArn,
        ...(conditions.length > 0 ? { Condition: Object.assign({}, ...conditions) } : {}),
      };
    });
  return { Version: '2012-10-17', Statement: statements };
}

/** AWS's managed policies that CDK's own functions use, with their published content (not in the template). */
export const MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/** A role's identity policies: inline, the AWS::IAM::Policy resources attached to it, and the known managed ones. */
export function identityPoliciesOf(t: DeployedTemplate, roleId: string): { name: string; policy: PolicyDocument }[] {
  const role = t.resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  const managed = (role.Properties.ManagedPolicyArns ?? []).map((arn: Json) => {
    const name = String(t.resolve(arn)).replace(`arn:${PARTITION}:iam::aws:policy/`, '');
    if (!MANAGED_POLICIES[name]) throw new Error(`role ${roleId} uses managed policy ${name}; add its content to MANAGED_POLICIES`);
    return { name, policy: MANAGED_POLICIES[name] };
  });
  const inline = (role.Properties.Policies ?? []).map((p: Json) => ({ name: p.PolicyName, policy: t.resolve(p.PolicyDocument) }));
  const attached = resourcesOfType(t, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles ?? []).some((r: Json) => r.Ref === roleId))
    .map(([id, p]) => ({ name: id, policy: t.resolve(p.Properties.PolicyDocument) }));
  return [...inline, ...attached, ...managed];
}

export interface Request {
  /** A service principal (`cloudwatch.amazonaws.com`) or an IAM ARN. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The request's condition keys, exactly as the calling service sends them. */
  readonly context: Record<string, string>;
  /** The policy of the resource acted on. @default none */
  readonly resourcePolicy?: PolicyDocument;
  /** The principal's identity policies. @default none (a service principal has none) */
  readonly identityPolicies?: { name: string; policy: PolicyDocument }[];
  /** The account the resource lives in. @default this stack's account */
  readonly resourceAccount?: string;
}

/**
 * iam-simulate drops `kms:EncryptionContext:<key>` from a request (it matches only `prefix/variable`
 * keys), so such a key is evaluated under a stand-in global key with the same string comparison.
 */
const standIn = (key: string) => (/^kms:EncryptionContext:/i.test(key) ? `aws:RequestTag/${key}` : key);

function withStandIns(policy: PolicyDocument | undefined): PolicyDocument | undefined {
  if (!policy) return undefined;
  const conditions = (condition: Record<string, Record<string, unknown>> | undefined) =>
    condition &&
    Object.fromEntries(
      Object.entries(condition).map(([operator, keys]) => [operator, Object.fromEntries(Object.entries(keys).map(([key, value]) => [standIn(key), value]))]),
    );
  return { ...policy, Statement: policy.Statement.map((s) => (s.Condition ? { ...s, Condition: conditions(s.Condition) } : s)) };
}

/** What AWS decides for the request; a request the simulator cannot evaluate in full is an error, never a denial. */
export async function evaluate(request: Request): Promise<Verdict> {
  const what = `${request.action} by ${request.principal} on ${request.resource}`;
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount ?? ACCOUNT },
        contextVariables: Object.fromEntries(Object.entries(request.context).map(([key, value]) => [standIn(key), value])),
      },
      resourcePolicy: withStandIns(request.resourcePolicy),
      identityPolicies: (request.identityPolicies ?? []).map((p) => ({ name: p.name, policy: withStandIns(p.policy) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`cannot evaluate ${what}: ${JSON.stringify(result.errors)}`);
  // A key the simulator leaves out would make a condition on it fail or pass for the wrong reason.
  const ignored = result.resultType === 'single' ? (result.result.ignoredContextKeys ?? []) : result.results.flatMap((r) => r.ignoredContextKeys ?? []);
  if (ignored.length > 0) throw new Error(`evaluating ${what}, iam-simulate ignored ${ignored.join(', ')}`);
  return result.overallResult as Verdict;
}
