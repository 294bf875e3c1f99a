/**
 * A world for `npm run preflight`: the prod example's synthesized facts (once per test file), or
 * another declared environment's, and every AWS service preflight asks, answered through
 * aws-sdk-client-mock from a small state a test changes. `preflightSample()` is the README's sample
 * output: the command's own, on a deployed, healthy environment with one e-mail address yet to confirm.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mockClient } from 'aws-sdk-client-mock';
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  DescribeTypeCommand,
  GetTemplateCommand,
  Stack,
  StackStatus,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeSSLPoliciesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AWS_MANAGED_SSM_KEY } from '../../common/keys/api-keys';
import { CONFIRM_PRODUCTION_PARAMETER, environmentNames, IMAGE_PARAMETERS } from '../../common/names';
import { STACK_OUTPUTS } from '../../common/payloads';
import { createPreflightClients, PreflightDeps, runPreflightCli } from '../../cli/preflight';
import { EnvironmentSource, projectEnvironments } from '../../cli/environments';
import { PreflightContext, Resolver } from '../../cli/preflight/check';
import { synthesizeFacts, TemplateFacts } from '../../cli/preflight/template-facts';
import { findStack } from '../../cli/stack';
import { BOOP_ENVIRONMENT_FIELD, ENVIRONMENTS_CONTEXT_KEY } from '../../lib/config/environments';
import { cdkJsonContext, Json, PROD_EXAMPLE_FILE, prodExample, REPO_ROOT } from './context';
import { awsError } from './aws-error';

export { awsError };

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const CALLER_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/boop-operator/alice`;
export const ALB_DNS = 'boop-prod-alb-1234567890.eu-west-1.elb.amazonaws.com';
export const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/boop-prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const LOAD_BALANCER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/boop-prod-alb/50dc6c495c0c9188`;
const ALB_ADDRESSES = ['203.0.113.10', '203.0.113.11'];
/** The time every run sees. */
export const NOW = new Date('2026-03-02T10:00:00Z');

/** The argv of the sample: the prod example, as the README's getting started configures it. */
export const PREFLIGHT_SAMPLE_ARGV = ['--env', 'prod', '--config-file', PROD_EXAMPLE_FILE] as const;

let shared: TemplateFacts | undefined;
/** The prod example's facts, synthesized once per test file. */
export function prodFacts(): TemplateFacts {
  return (shared ??= synthesizeFacts('prod', PROD_EXAMPLE_FILE, REPO_ROOT));
}

/** A stack of another environment in the same account and region, as DescribeStacks lists it. */
export type OtherStack = Pick<Stack, 'StackName' | 'StackStatus' | 'Parameters' | 'ParentId'>;

/** A stack another environment bound to `boopEnvironment` deployed here: production-bound ones carry ConfirmProduction. */
export function otherStack(env: string, boopEnvironment: 'development' | 'production', status: StackStatus = 'UPDATE_COMPLETE'): OtherStack {
  const Parameters = [
    { ParameterKey: IMAGE_PARAMETERS.blue, ParameterValue: 'image' },
    ...(boopEnvironment === 'production' ? [{ ParameterKey: CONFIRM_PRODUCTION_PARAMETER, ParameterValue: '****' }] : []),
  ];
  return { StackName: environmentNames(env).stack, StackStatus: status, Parameters };
}

/** What the world holds; a test changes it before a run. */
export interface WorldState {
  deployed: boolean;
  bootstrapVersion?: string;
  /** Per resource type, the properties its schema lacks; a type mapped to 'missing' is not in the region. */
  schemaGaps: Record<string, readonly string[] | 'missing'>;
  sslPolicies: string[];
  lambda: { limit: number; unreserved: number; held: Record<string, number> };
  certificate?: { Status: string; DomainName: string; SubjectAlternativeNames?: string[] };
  /** Images in ECR, as `<repository URI>:<tag>` or `@<digest>`. */
  ecrImages: Set<string>;
  ecrRepositories: Set<string>;
  /** SSM parameters by name: their type and key. */
  parameters: Map<string, { Type: string; KeyId?: string }>;
  pendingEmails: string[];
  /** What a wildcard record of the host name's zone answers for any other name in it. @default none */
  wildcardAddresses?: string[];
  /** The deployed stack's status. @default UPDATE_COMPLETE */
  stackStatus?: StackStatus;
  /** The BOOP environment the stack was deployed bound to (ConfirmProduction iff production). @default the facts' */
  deployedBoopEnvironment?: 'development' | 'production';
  /** The deployed stack's ReleaseGuard output. @default the facts' rollout.releaseGuard */
  deployedReleaseGuard?: boolean;
  /** The account and region's other stacks, listed after the environment's own. @default none */
  otherStacks?: OtherStack[];
  /** How many stacks one page of DescribeStacks lists. @default all */
  stacksPerPage?: number;
  /** The caller lacks cloudformation:ListStacks, which DescribeStacks without a stack name also needs. */
  listStacksRefused?: boolean;
  /** PagerDuty's https subscription is still pending: SNS could not reach the integration URL. */
  pagerDutyPending?: boolean;
  /** The deployed stack's Slack channel configuration and its resource status. */
  slackChannel: { workspaceId: string; channelId: string; status: string };
  hostAddresses: string[];
  hostCname?: string;
  /** Minutes ago the health check last reported, or undefined for never. */
  lastReportMinutesAgo?: number;
}

/** A deployed (or not), healthy environment: the prod example unless `facts` says another. */
export function healthyState(deployed: boolean, facts: TemplateFacts = prodFacts()): WorldState {
  const images = Object.values(facts.config.service.images);
  const held: Record<string, number> = deployed ? Object.fromEntries(facts.reservations.map((r) => [r.functionName!, r.reserved])) : {};
  const limit = 1000;
  return {
    deployed,
    bootstrapVersion: '30',
    schemaGaps: {},
    sslPolicies: [...facts.sslPolicies],
    // The account reserves nothing but what the deployed stack holds.
    lambda: { limit, unreserved: limit - Object.values(held).reduce((sum, n) => sum + n, 0), held },
    certificate: { Status: 'ISSUED', DomainName: facts.config.loadBalancer.hostName!, SubjectAlternativeNames: [facts.config.loadBalancer.hostName!] },
    ecrImages: new Set(images),
    ecrRepositories: new Set(images.map((image) => image.split(':').slice(0, -1).join(':'))),
    parameters: new Map([
      [environmentNames(facts.config.envName).parameters.primaryApiKey, { Type: 'SecureString', KeyId: AWS_MANAGED_SSM_KEY }],
      [facts.config.alerts.pagerDutyIntegrationUrlParameter!, { Type: 'String' }],
    ]),
    pendingEmails: [],
    slackChannel: { ...facts.config.alerts.slack!, status: 'CREATE_COMPLETE' },
    hostAddresses: ALB_ADDRESSES,
    lastReportMinutesAgo: deployed ? 1 : undefined,
  };
}

/** The mocks of every client preflight uses; answers read `state` at call time. */
export class PreflightWorld {
  readonly mocks = {
    sts: mockClient(STSClient),
    cloudformation: mockClient(CloudFormationClient),
    ssm: mockClient(SSMClient),
    lambda: mockClient(LambdaClient),
    elbv2: mockClient(ElasticLoadBalancingV2Client),
    acm: mockClient(ACMClient),
    ecr: mockClient(ECRClient),
    sns: mockClient(SNSClient),
    cloudwatch: mockClient(CloudWatchClient),
  };

  constructor(
    public state: WorldState = healthyState(true),
    /** The environment's synthesized facts, which the command is given. */
    readonly facts: TemplateFacts = prodFacts(),
  ) {
    const m = this.mocks;
    m.sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: CALLER_ARN });
    m.ssm.on(GetParameterCommand).callsFake(async ({ Name }) => {
      if (Name !== facts.bootstrapVersionParameter || this.state.bootstrapVersion === undefined) throw awsError('ParameterNotFound');
      return { Parameter: { Name, Type: 'String', Value: this.state.bootstrapVersion } };
    });
    m.ssm.on(DescribeParametersCommand).callsFake(async ({ ParameterFilters }) => {
      const names: string[] = ParameterFilters?.[0]?.Values ?? [];
      return { Parameters: names.flatMap((Name) => (this.state.parameters.has(Name) ? [{ Name, ...this.state.parameters.get(Name)! }] : [])) };
    });
    m.cloudformation.on(DescribeTypeCommand).callsFake(async ({ TypeName }) => {
      const gap = this.state.schemaGaps[TypeName];
      if (gap === 'missing') throw awsError('TypeNotFoundException', `The type '${TypeName}' cannot be found.`);
      const used = facts.resourceProperties.get(TypeName) ?? [];
      const properties = Object.fromEntries(used.filter((p) => !(gap ?? []).includes(p)).map((p) => [p, {}]));
      return { TypeName, Schema: JSON.stringify({ typeName: TypeName, properties: { ...properties, SomethingElse: {} } }) };
    });
    m.cloudformation.on(DescribeStacksCommand).callsFake(async ({ StackName, NextToken }) => {
      const outputs = Object.entries(STACK_OUTPUTS).map(([key, OutputKey]) => ({
        OutputKey,
        OutputValue:
          key === 'listenerArn'
            ? LISTENER_ARN
            : key === 'releaseGuard'
              ? String(this.state.deployedReleaseGuard ?? facts.config.rollout.releaseGuard)
              : `${key}-value`,
      }));
      const images = facts.config.service.images;
      const own: Stack = {
        StackName: facts.stackName,
        StackStatus: this.state.stackStatus ?? 'UPDATE_COMPLETE',
        CreationTime: NOW,
        Outputs: outputs,
        Parameters: [
          { ParameterKey: IMAGE_PARAMETERS.blue, ParameterValue: images.blue },
          { ParameterKey: IMAGE_PARAMETERS.green, ParameterValue: images.green },
          ...((this.state.deployedBoopEnvironment ?? facts.config.boopEnvironment) === 'production'
            ? [{ ParameterKey: CONFIRM_PRODUCTION_PARAMETER, ParameterValue: '****' }]
            : []),
        ],
      };
      if (StackName !== undefined) {
        if (!this.state.deployed || StackName !== facts.stackName) throw awsError('ValidationError', `Stack with id ${StackName} does not exist`);
        return { Stacks: [own] };
      }
      // Without a name: every stack of the account and region, a page at a time, for a caller also allowed ListStacks (which action a refusal names is not documented).
      if (this.state.listStacksRefused) throw awsError('AccessDenied', 'Access Denied', 403);
      const all = [...(this.state.deployed ? [own] : []), ...(this.state.otherStacks ?? []).map((other) => ({ CreationTime: NOW, ...other }))];
      const start = NextToken === undefined ? 0 : Number(NextToken);
      const end = start + (this.state.stacksPerPage ?? all.length);
      return { Stacks: all.slice(start, end), ...(end < all.length ? { NextToken: String(end) } : {}) };
    });
    m.cloudformation.on(GetTemplateCommand).callsFake(async () => {
      const { workspaceId, channelId } = this.state.slackChannel;
      const channel = { Type: 'AWS::Chatbot::SlackChannelConfiguration', Properties: { SlackWorkspaceId: workspaceId, SlackChannelId: channelId } };
      return { TemplateBody: JSON.stringify({ Resources: { AlertsSlackChannel0A1B2C3D: channel } }) };
    });
    m.cloudformation.on(DescribeStackResourceCommand).callsFake(async ({ LogicalResourceId }) => ({
      StackResourceDetail: {
        LogicalResourceId,
        ResourceType: 'AWS::Chatbot::SlackChannelConfiguration',
        ResourceStatus: this.state.slackChannel.status,
        LastUpdatedTimestamp: NOW,
      },
    }));
    m.elbv2.on(DescribeSSLPoliciesCommand).callsFake(async ({ Names }) => {
      const name = Names?.[0] ?? '';
      if (!this.state.sslPolicies.includes(name)) throw awsError('SSLPolicyNotFoundException', `The specified SSL policy '${name}' does not exist`);
      return { SslPolicies: [{ Name: name }] };
    });
    m.elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: LISTENER_ARN, LoadBalancerArn: LOAD_BALANCER_ARN }] });
    m.elbv2.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ LoadBalancerArn: LOAD_BALANCER_ARN, DNSName: ALB_DNS }] });
    m.lambda.on(GetAccountSettingsCommand).callsFake(async () => ({
      AccountLimit: { ConcurrentExecutions: this.state.lambda.limit, UnreservedConcurrentExecutions: this.state.lambda.unreserved },
    }));
    m.lambda.on(GetFunctionConcurrencyCommand).callsFake(async ({ FunctionName }) => {
      if (!this.state.deployed) throw awsError('ResourceNotFoundException', `Function not found: ${FunctionName}`, 404);
      return { ReservedConcurrentExecutions: this.state.lambda.held[FunctionName] };
    });
    m.acm.on(DescribeCertificateCommand).callsFake(async ({ CertificateArn }) => {
      if (!this.state.certificate) throw awsError('ResourceNotFoundException', `Could not find certificate ${CertificateArn}.`);
      return { Certificate: { CertificateArn, ...this.state.certificate } };
    });
    m.ecr.on(DescribeImagesCommand).callsFake(async ({ registryId, repositoryName, imageIds }) => {
      const repository = `${registryId}.dkr.ecr.${REGION}.amazonaws.com/${repositoryName}`;
      if (!this.state.ecrRepositories.has(repository))
        throw awsError('RepositoryNotFoundException', `The repository with name '${repositoryName}' does not exist`);
      const id = imageIds[0];
      const image = id.imageDigest ? `${repository}@${id.imageDigest}` : `${repository}:${id.imageTag}`;
      if (!this.state.ecrImages.has(image)) throw awsError('ImageNotFoundException', `The image with imageId ${JSON.stringify(id)} does not exist`);
      return { imageDetails: [{ registryId, repositoryName }] };
    });
    m.sns.on(ListSubscriptionsByTopicCommand).callsFake(async ({ TopicArn }) => {
      const emails = facts.config.alerts.emails;
      const severity = TopicArn.split('-').pop() as keyof typeof emails;
      const confirmed = `${TopicArn}:0f0e0d0c-0000-4000-8000-000000000002`;
      // The critical topic also pages PagerDuty, over https, to an endpoint that is never shown.
      const pages =
        severity === 'critical'
          ? [
              {
                TopicArn,
                Protocol: 'https',
                Endpoint: 'https://events.example.test/x',
                SubscriptionArn: this.state.pagerDutyPending ? 'PendingConfirmation' : confirmed,
              },
            ]
          : [];
      return {
        Subscriptions: [
          ...(emails[severity] ?? []).map((Endpoint) => ({
            TopicArn,
            Protocol: 'email',
            Endpoint,
            SubscriptionArn: this.state.pendingEmails.includes(Endpoint) ? 'PendingConfirmation' : confirmed,
          })),
          ...pages,
        ],
      };
    });
    m.cloudwatch.on(GetMetricDataCommand).callsFake(async () => {
      const ago = this.state.lastReportMinutesAgo;
      const at = ago === undefined ? [] : [new Date(NOW.getTime() - ago * 60_000)];
      return { MetricDataResults: [{ Id: 'reported', Timestamps: at, Values: at.map(() => 1), StatusCode: 'Complete' }] };
    });
  }

  /** Answers DNS from the state: the host's addresses or CNAME, the load balancer's addresses. */
  readonly resolver: Resolver = {
    resolve4: async (host) => {
      if (host === ALB_DNS) return ALB_ADDRESSES;
      if (host === this.facts.config.loadBalancer.hostName && this.state.hostAddresses.length) return this.state.hostAddresses;
      if (this.state.wildcardAddresses?.length && host.endsWith(`.${this.facts.config.loadBalancer.hostName!.split('.').slice(1).join('.')}`))
        return this.state.wildcardAddresses;
      throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    },
    resolve6: async (host) => {
      throw Object.assign(new Error(`queryAaaa ENODATA ${host}`), { code: 'ENODATA' });
    },
    resolveCname: async (host) => {
      if (host === this.facts.config.loadBalancer.hostName && this.state.hostCname) return [this.state.hostCname];
      throw Object.assign(new Error(`queryCname ENODATA ${host}`), { code: 'ENODATA' });
    },
  };

  /** What runPreflightCli is given: this world's clients, facts and DNS. */
  deps(overrides: Partial<PreflightDeps> = {}): PreflightDeps {
    return {
      sdkRegion: async () => REGION,
      clients: (region) => createPreflightClients(region, { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
      facts: () => this.facts,
      resolver: this.resolver,
      ...overrides,
    };
  }

  /** The context a check runs in, as runPreflightCli builds it. */
  context(): PreflightContext {
    const clients = createPreflightClients(REGION, { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    let stack: ReturnType<PreflightContext['stack']> | undefined;
    return {
      env: this.facts.config.envName,
      region: REGION,
      regionSource: 'from AWS_REGION, AWS_DEFAULT_REGION or your profile, as cdk deploy reads it',
      sdkRegion: REGION,
      caller: { account: ACCOUNT, arn: CALLER_ARN },
      facts: this.facts,
      clients,
      stack: () => (stack ??= findStack(clients.cloudformation, this.facts.config.envName)),
      resolver: this.resolver,
      now: () => NOW,
    };
  }

  /** Runs the command; its exit code, stdout lines and stderr lines. */
  async run(argv: readonly string[] = PREFLIGHT_SAMPLE_ARGV, deps: Partial<PreflightDeps> = {}): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPreflightCli(argv, this.deps(deps), { out: (l) => out.push(l), err: (l) => err.push(l), now: () => NOW });
    return { code, out, err };
  }

  restore(): void {
    Object.values(this.mocks).forEach((mock) => mock.restore());
  }
}

/** The README's sample: the command's output on the deployed prod example with one address yet to confirm. */
export async function preflightSample(): Promise<string> {
  const state = healthyState(true);
  state.pendingEmails = [prodFacts().config.alerts.emails.high[0]];
  const world = new PreflightWorld(state);
  try {
    return (await world.run()).out.join('\n');
  } finally {
    world.restore();
  }
}

/** A project folder of its own: the repo's cdk.json with `declarations` added to boop:environments, as a team declares its environments. */
export class DeclaredProject {
  readonly dir: string;

  constructor(declarations: Json) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boop-preflight-project-'));
    const context = cdkJsonContext();
    context[ENVIRONMENTS_CONTEXT_KEY] = { ...(context[ENVIRONMENTS_CONTEXT_KEY] as Json), ...declarations };
    fs.writeFileSync(path.join(this.dir, 'cdk.json'), JSON.stringify({ context }));
  }

  /** The environments its cdk.json declares, as preflight reads them. */
  readonly environments: EnvironmentSource = () => projectEnvironments(this.dir);

  private readonly synthesized = new Map<string, TemplateFacts>();

  /** An environment's facts, synthesized as preflight would in this folder (once: the folder does not change). */
  facts(env: string): TemplateFacts {
    if (!this.synthesized.has(env)) this.synthesized.set(env, synthesizeFacts(env, undefined, this.dir));
    return this.synthesized.get(env)!;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The prod example's fields, declared under another name bound to `boopEnvironment`. */
export function prodExampleBoundTo(boopEnvironment: 'development' | 'production', change: (fields: Json) => void = () => undefined): Json {
  const fields: Json = { [BOOP_ENVIRONMENT_FIELD]: boopEnvironment, ...prodExample() };
  change(fields);
  return fields;
}
