/**
 * Preflight's checks over the wire: a moto server (an AWS API emulator; `npm run test:aws` checks it
 * is installed) on 127.0.0.1 stands in for each service moto emulates, and the real SDK clients reach
 * it. What the mocked world of preflight.test.ts assumes about the answers (the error names a missing
 * parameter, repository, image, certificate or TLS policy comes back with; a stack that does not exist;
 * the caller's identity; a metric read back; the region's stacks listed with their parameters) is
 * checked here against an implementation of the APIs. Not emulated by moto 5: CloudFormation
 * DescribeType and Lambda GetAccountSettings (docs/design.md "Preflight").
 */
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { apiKeysCheck } from '../../cli/preflight/api-keys';
import { healthCheckReportCheck } from '../../cli/preflight/after-deploy';
import { emailCheck, pagerDutyCheck } from '../../cli/preflight/alerts';
import { bootstrapCheck } from '../../cli/preflight/bootstrap';
import { certificateCheck } from '../../cli/preflight/certificate';
import { PreflightCheck, PreflightClients, PreflightContext } from '../../cli/preflight/check';
import { imagesCheck } from '../../cli/preflight/images';
import { tlsPolicyCheck } from '../../cli/preflight/region-support';
import { sharedMetricsCheck } from '../../cli/preflight/shared-metrics';
import { Finding, runCheck } from '../../cli/preflight/runner';
import { TemplateFacts } from '../../cli/preflight/template-facts';
import { DeployedStack, findStack } from '../../cli/stack';
import { AWS_MANAGED_SSM_KEY } from '../../common/keys/api-keys';
import { CONFIRM_PRODUCTION_PARAMETER, environmentNames } from '../../common/names';
import { prodFacts } from '../support/preflight-world';
import { MotoServer, startMoto } from './moto';

const REGION = 'eu-west-1';
/** moto's account. */
const ACCOUNT = '123456789012';
const REPOSITORY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/boop-integration`;
jest.setTimeout(120_000);

let moto: MotoServer;
let clients: PreflightClients;

beforeAll(async () => {
  moto = await startMoto();
  const config = moto.clientConfig(REGION);
  clients = {
    sts: new STSClient(config),
    cloudformation: new CloudFormationClient(config),
    ssm: new SSMClient(config),
    lambda: new LambdaClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    acm: new ACMClient(config),
    sns: new SNSClient(config),
    cloudwatch: new CloudWatchClient(config),
    ecr: (region) => new ECRClient(moto.clientConfig(region)),
  };
});

beforeEach(() => moto.reset());
afterAll(() => moto?.stop());

/** The prod example's facts, with moto's account in its images and `certificateArn`. */
function facts(certificateArn?: string): TemplateFacts {
  const example = prodFacts();
  const config = {
    ...example.config,
    service: { ...example.config.service, images: { blue: `${REPOSITORY}:2.3.1`, green: `${REPOSITORY}:3.0.0` } },
    loadBalancer: { ...example.config.loadBalancer, certificateArn },
  };
  return { ...example, config };
}

/** Runs one check against moto; `deployed` stands for a deployed stack where a check only asks whether there is one. */
async function check(target: PreflightCheck, options: { facts?: TemplateFacts; deployed?: boolean } = {}): Promise<Finding[]> {
  const context: PreflightContext = {
    env: 'prod',
    region: REGION,
    regionSource: 'test',
    caller: { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/moto` },
    facts: options.facts ?? facts(),
    clients,
    stack: async () => (options.deployed ? ({ images: {} } as unknown as DeployedStack) : findStack(clients.cloudformation, 'prod')),
    resolver: { resolve4: async () => [], resolve6: async () => [], resolveCname: async () => [] },
    now: () => new Date(),
  };
  return runCheck(target, context);
}

const statuses = (findings: readonly Finding[]) => findings.map((f) => f.status);

test("STS names the caller; CloudFormation's answer for a stack that does not exist is read as not deployed", async () => {
  expect((await clients.sts.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
  expect(await findStack(clients.cloudformation, 'prod')).toBeUndefined();
});

test('CDK bootstrap: no version parameter blocks; the version parameter passes', async () => {
  expect(statuses(await check(bootstrapCheck))).toEqual(['blocker']);
  await clients.ssm.send(new PutParameterCommand({ Name: prodFacts().bootstrapVersionParameter!, Type: 'String', Value: '30' }));
  expect(await check(bootstrapCheck)).toEqual([expect.objectContaining({ status: 'passed', line: expect.stringContaining('version 30') })]);
});

test('API keys: missing, then a SecureString, by the presence rules; PagerDuty: missing, SecureString, String', async () => {
  expect(statuses(await check(apiKeysCheck))).toEqual(['blocker']);
  await clients.ssm.send(
    new PutParameterCommand({
      Name: environmentNames('prod').parameters.primaryApiKey,
      Type: 'SecureString',
      Value: 'sk_live_fake',
      KeyId: AWS_MANAGED_SSM_KEY,
    }),
  );
  expect(statuses(await check(apiKeysCheck))).toEqual(['passed']);

  const pagerDuty = prodFacts().config.alerts.pagerDutyIntegrationUrlParameter!;
  expect(statuses(await check(pagerDutyCheck))).toEqual(['blocker']);
  await clients.ssm.send(new PutParameterCommand({ Name: pagerDuty, Type: 'SecureString', Value: 'https://events.pagerduty.example/fake' }));
  expect(await check(pagerDutyCheck)).toEqual([expect.objectContaining({ status: 'blocker', line: expect.stringContaining('is a SecureString') })]);
  await clients.ssm.send(new PutParameterCommand({ Name: pagerDuty, Type: 'String', Value: 'https://events.pagerduty.example/fake', Overwrite: true }));
  expect(statuses(await check(pagerDutyCheck))).toEqual(['passed']);
});

test('images: no repository, then no tag, then both tags', async () => {
  const ecr = clients.ecr(REGION);
  expect((await check(imagesCheck)).map((f) => f.line)).toEqual([expect.stringContaining('does not exist'), expect.stringContaining('does not exist')]);
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'boop-integration' }));
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: {}, layers: [] });
  await ecr.send(new PutImageCommand({ repositoryName: 'boop-integration', imageManifest: manifest, imageTag: '2.3.1' }));
  const findings = await check(imagesCheck);
  expect(statuses(findings)).toEqual(['passed', 'blocker']);
  expect(findings[1].line).toContain('is not in repository boop-integration');
  await ecr.send(new PutImageCommand({ repositoryName: 'boop-integration', imageManifest: manifest.replace('[]', '[ ]'), imageTag: '3.0.0' }));
  expect(statuses(await check(imagesCheck))).toEqual(['passed', 'passed']);
});

test('certificate: one that does not exist blocks; one for another name blocks; a requested one waits for validation', async () => {
  const missing = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/00000000-0000-4000-8000-000000000000`;
  expect(await check(certificateCheck, { facts: facts(missing) })).toEqual([
    expect.objectContaining({ status: 'blocker', line: expect.stringContaining('does not exist') }),
  ]);
  const other = (await clients.acm.send(new RequestCertificateCommand({ DomainName: 'other.example.com', ValidationMethod: 'DNS' }))).CertificateArn!;
  expect(statuses(await check(certificateCheck, { facts: facts(other) }))).toEqual(['blocker']);
  const ours = (await clients.acm.send(new RequestCertificateCommand({ DomainName: '*.example.com', ValidationMethod: 'DNS' }))).CertificateArn!;
  const [finding] = await check(certificateCheck, { facts: facts(ours) });
  // A requested certificate waits for its DNS validation, in moto as in ACM.
  expect(finding).toEqual(expect.objectContaining({ status: 'blocker', line: expect.stringMatching(/is PENDING_VALIDATION, not ISSUED$/) }));
  expect(finding.fix).toMatch(/^create the DNS validation record/);
});

test('TLS policy: a policy ELBv2 knows passes; an unknown one blocks (the error name preflight reads)', async () => {
  const known = (policy: string) => ({ ...facts(), sslPolicies: [policy] });
  expect(statuses(await check(tlsPolicyCheck, { facts: known('ELBSecurityPolicy-2016-08') }))).toEqual(['passed']);
  expect(statuses(await check(tlsPolicyCheck, { facts: known('ELBSecurityPolicy-No-Such-Policy') }))).toEqual(['blocker']);
});

test('e-mail: the subscriptions of the alert topics that exist are read back', async () => {
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: environmentNames('prod').alertTopic('critical') }));
  await clients.sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'email', Endpoint: 'oncall@example.com' }));
  const [finding] = await check(emailCheck, { deployed: true });
  // moto confirms an e-mail subscription at once (SNS leaves it PendingConfirmation until the link is clicked: preflight.test.ts);
  // the topics that do not exist are skipped, not an error.
  expect(finding).toEqual(expect.objectContaining({ status: 'passed', line: 'every e-mail subscription of 1 alert topic is confirmed' }));
});

test('health check: no report is a warning; a report a minute ago passes', async () => {
  expect(statuses(await check(healthCheckReportCheck, { deployed: true }))).toEqual(['warning']);
  await clients.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'Boop/HealthCheck',
      MetricData: [
        { MetricName: 'BoopHealthy', Dimensions: [{ Name: 'Environment', Value: 'production' }], Value: 1, Timestamp: new Date(Date.now() - 60_000) },
      ],
    }),
  );
  expect(statuses(await check(healthCheckReportCheck, { deployed: true }))).toEqual(['passed']);
});

test("other environments: DescribeStacks without a name lists the region's stacks with their parameters, so ConfirmProduction tells production's", async () => {
  const create = (env: string, production: boolean) =>
    clients.cloudformation.send(
      new CreateStackCommand({
        StackName: environmentNames(env).stack,
        TemplateBody: JSON.stringify({
          Parameters: production ? { [CONFIRM_PRODUCTION_PARAMETER]: { Type: 'String' } } : {},
          Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
        }),
        Parameters: production ? [{ ParameterKey: CONFIRM_PRODUCTION_PARAMETER, ParameterValue: 'confirmed' }] : [],
      }),
    );
  await create('prod', true);
  await create('dev', false);
  expect(statuses(await check(sharedMetricsCheck))).toEqual(['passed']);
  await create('preprod', true);
  const [finding] = await check(sharedMetricsCheck);
  expect(finding).toEqual(
    expect.objectContaining({ status: 'blocker', line: expect.stringMatching(/^BoopIntegration-preprod \(CREATE_COMPLETE\) in account /) }),
  );
  await clients.cloudformation.send(new DeleteStackCommand({ StackName: environmentNames('preprod').stack }));
  expect(statuses(await check(sharedMetricsCheck))).toEqual(['passed']);
});
