/**
 * BlueGreenService, through the real app entry (test/support/synth.ts, as `cdk synth` builds it).
 * Each environment is synthesized once per file; expected values come from the loaded
 * configuration and the constants in lib/, never from copies.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { BlueGreenService } from '../../lib/blue-green/blue-green-service';
import { SAFE_WEIGHTS } from '../../lib/blue-green/listeners';
import { SLOT_HEADER } from '../../common/slots';
import { CONFIRM_PRODUCTION_PARAMETER, environmentNames, IMAGE_PARAMETERS } from '../../common/names';
import { EnvironmentConfig } from '../../lib/config/environment-config';
import { environmentConfigSchema } from '../../lib/config/schema';
import { Slot, SLOTS } from '../../common/slots';
import { BOOP_CLIENT_DEFAULTS, BOOP_ROUTE_RATE_LIMIT, CONFIRM_PRODUCTION_VALUE, SECURITY_HEADERS, SLOT_HEALTH_CHECK_PATH } from '../../lib/guides';
import { AlbListener, sharesOf } from '../support/alb-listener';
import { Json } from '../support/context';
import { DeployedTemplate } from '../support/deployed-template';
import { logicalIdOf, resourcesOfType } from '../support/resources';
import { build, Built, templateApp } from '../support/synth';

/** Protocol facts, not configuration. */
const HTTPS_PORT = 443;
const HTTP_PORT = 80;

/** The listener attribute each security header of the environment guide is set with. */
const HEADER_ATTRIBUTES: Record<keyof typeof SECURITY_HEADERS, string> = {
  strictTransportSecurity: 'routing.http.response.strict_transport_security.header_value',
  xContentTypeOptions: 'routing.http.response.x_content_type_options.header_value',
  xFrameOptions: 'routing.http.response.x_frame_options.header_value',
};

function targetGroupId(built: Built, slot: Slot): string {
  return logicalIdOf(built.stack, built.stack.service.targetGroups[slot]);
}

function containerOf(built: Built, slot: Slot): Json {
  const taskDefinitions = resourcesOfType(built, 'AWS::ECS::TaskDefinition').map(([, r]) => (r.Properties.ContainerDefinitions as Json[])[0]);
  const container = taskDefinitions.find((c) =>
    (c.Environment as Array<{ Name: string; Value: string }>).some((e) => e.Name === 'BOOP_SLOT' && e.Value === slot),
  );
  expect(container).toBeDefined();
  return container!;
}

function imageParameter(built: Built, slot: Slot): Json {
  return built.template.toJSON().Parameters[IMAGE_PARAMETERS[slot]];
}

function environmentOf(container: Json): Record<string, string> {
  return Object.fromEntries((container.Environment as Array<{ Name: string; Value: string }>).map((e) => [e.Name, e.Value]));
}

/** The environment guide's BOOP_* variables, each from the configuration the stack was built with. */
function expectedEnvironment(config: EnvironmentConfig, slot: Slot, boopEnv: string): Record<string, string> {
  return {
    BOOP_ENV: boopEnv,
    BOOP_SLOT: slot,
    BOOP_BASE_URL: config.boop.baseUrl,
    BOOP_WS_ENDPOINT: config.boop.wsEndpoint,
    BOOP_VENDOR_ID: config.boop.vendorId,
    BOOP_ENFORCE_HTTPS: String(config.boop.enforceHttps),
    BOOP_API_TIMEOUT: String(config.boop.apiTimeoutMs),
    BOOP_WS_HEARTBEAT_INTERVAL: String(config.boop.wsHeartbeatIntervalMs),
    BOOP_MAX_RETRIES: String(config.boop.maxRetries),
    BOOP_CONNECTION_POOL_SIZE: String(config.boop.connectionPoolSize),
    BOOP_CACHE_TTL: String(config.boop.cacheTtlSeconds),
    BOOP_BATCH_SIZE: String(config.boop.batchSize),
  };
}

/** A Fn::Join of plain strings and pseudo parameters, resolved with the values of one region. */
function joined(value: unknown, pseudo: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v.Ref) return pseudo[v.Ref as string] ?? `<${v.Ref as string}>`;
  const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
  return parts.map((p) => joined(p, pseudo)).join(separator);
}

/**
 * WAF's text transformations as its developer guide describes them ("Text transformation options");
 * a type this model does not know fails the test rather than passing unchecked.
 */
const WAF_TRANSFORMATIONS: Record<string, (text: string) => string> = {
  NONE: (text) => text,
  URL_DECODE: (text) => text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  // "Remove multiple slashes, directory self-references, and directory back-references that are not at the beginning of the input."
  NORMALIZE_PATH: (text) => {
    const segments: string[] = [];
    for (const segment of text.replace(/\/{2,}/g, '/').split('/')) {
      if (segment === '.') continue;
      if (segment === '..' && segments.length > 1 && segments[segments.length - 1] !== '..') segments.pop();
      else segments.push(segment);
    }
    return segments.join('/');
  },
  LOWERCASE: (text) => text.replace(/[A-Z]/g, (c) => c.toLowerCase()),
};

/** Whether a WAF byte-match statement on the URI path matches a request path: transformations lowest priority first, then the comparison. */
function wafMatches(statement: Json, path: string): boolean {
  const match = statement.ByteMatchStatement as {
    FieldToMatch: Json;
    PositionalConstraint: string;
    SearchString: string;
    TextTransformations: Array<{ Priority: number; Type: string }>;
  };
  expect(match.FieldToMatch).toEqual({ UriPath: {} });
  expect(new Set(match.TextTransformations.map((t) => t.Priority)).size).toBe(match.TextTransformations.length);
  const transformed = [...match.TextTransformations]
    .sort((a, b) => a.Priority - b.Priority)
    .reduce((text, t) => {
      const transform = WAF_TRANSFORMATIONS[t.Type];
      if (!transform) throw new Error(`the WAF model does not know ${t.Type}`);
      return transform(text);
    }, path);
  if (match.PositionalConstraint !== 'STARTS_WITH') throw new Error(`the WAF model does not know ${match.PositionalConstraint}`);
  return transformed.startsWith(match.SearchString);
}

let dev: Built;
let prod: Built;
/** Pinned to an account and region, without WAF, with a changed BOOP client setting. */
let pinned: Built;
const PINNED_REGION = 'eu-west-1';
const PINNED_ZONES = [`${PINNED_REGION}a`, `${PINNED_REGION}b`];

beforeAll(() => {
  dev = build('dev');
  prod = build('prod');
  pinned = build('prod', {
    'account': '111122223333',
    'region': PINNED_REGION,
    'network.availabilityZones': JSON.stringify(PINNED_ZONES),
    'loadBalancer.wafEnabled': 'false',
    'boop.maxRetries': String(BOOP_CLIENT_DEFAULTS.maxRetries + 2),
  });
});

describe('network and cluster', () => {
  test.each(['dev', 'prod'])('%s: one VPC over two zones from Fn::GetAZs, no lookups', (name) => {
    const built = name === 'dev' ? dev : prod;
    built.template.resourceCountIs('AWS::EC2::VPC', 1);
    const zones = new Set(resourcesOfType(built, 'AWS::EC2::Subnet').map(([, r]) => JSON.stringify(r.Properties.AvailabilityZone)));
    expect([...zones].sort()).toEqual([0, 1].map((i) => JSON.stringify({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })).sort());
    // Synth needed no context lookups (it runs offline, without credentials).
    expect(built.app.synth().manifest.missing ?? []).toEqual([]);
  });

  test('a pinned config (account, region, availabilityZones) uses the given zones, still without lookups', () => {
    expect(pinned.stack.region).toBe(PINNED_REGION);
    const zones = new Set(resourcesOfType(pinned, 'AWS::EC2::Subnet').map(([, r]) => r.Properties.AvailabilityZone));
    expect([...zones].sort()).toEqual(pinned.config.network.availabilityZones);
    expect(pinned.app.synth().manifest.missing ?? []).toEqual([]);
  });

  test.each(['dev', 'prod'])('%s: the ECS cluster has Container Insights on', (name) => {
    const built = name === 'dev' ? dev : prod;
    built.template.resourceCountIs('AWS::ECS::Cluster', 1);
    built.template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: Match.arrayWith([{ Name: 'containerInsights', Value: 'enabled' }]),
    });
  });
});

describe('the two slot services', () => {
  test.each(['dev', 'prod'])('%s: exactly two Fargate services, each with the rollback circuit breaker and full capacity during deploys', (name) => {
    const built = name === 'dev' ? dev : prod;
    const services = resourcesOfType(built, 'AWS::ECS::Service');
    expect(services).toHaveLength(SLOTS.length);
    for (const [, service] of services) {
      // Green's count is its capacity's alone (test/traffic/traffic-control.test.ts), so the template sets blue's only.
      const green = service.Properties.ServiceName === environmentNames(built.config.envName).greenService;
      expect(service.Properties.DesiredCount).toBe(green ? undefined : built.config.service.desiredCount);
      expect(service.Properties).toMatchObject({
        LaunchType: 'FARGATE',
        DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100 },
        NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
      });
    }
  });

  test.each(['dev', 'prod'])(
    "%s: each slot runs its image parameter's value, the configured image unless a deploy changed it, with the configured size",
    (name) => {
      const built = name === 'dev' ? dev : prod;
      for (const slot of SLOTS) {
        expect(containerOf(built, slot).Image).toEqual({ Ref: IMAGE_PARAMETERS[slot] });
        expect(imageParameter(built, slot)).toMatchObject({ Type: 'String', Default: built.config.service.images[slot] });
        // cdk deploy keeps a parameter's previous value when the deploy names none; the description tells the user so.
        expect(imageParameter(built, slot).Description).toMatch(/first deploy only: a deploy that names none keeps the previous value/);
      }
      built.template.allResourcesProperties('AWS::ECS::TaskDefinition', {
        Cpu: String(built.config.service.cpu),
        Memory: String(built.config.service.memoryMiB),
        RequiresCompatibilities: ['FARGATE'],
      });
    },
  );

  test.each(['dev', 'prod'])('%s: one target group per slot, health-checked on the slot health path', (name) => {
    const built = name === 'dev' ? dev : prod;
    const groups = resourcesOfType(built, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups.map(([id]) => id).sort()).toEqual(SLOTS.map((slot) => targetGroupId(built, slot)).sort());
    for (const [, group] of groups) {
      expect(group.Properties).toMatchObject({
        HealthCheckPath: SLOT_HEALTH_CHECK_PATH,
        Port: built.config.service.containerPort,
        TargetType: 'ip',
      });
    }
    // Each service registers with its own slot's group.
    for (const slot of SLOTS) {
      const service = built.resources[logicalIdOf(built.stack, built.stack.service.services[slot])];
      expect(service.Properties.LoadBalancers).toEqual([expect.objectContaining({ TargetGroupArn: { Ref: targetGroupId(built, slot) } })]);
    }
  });

  test.each([
    ['dev', 'development'],
    ['prod', 'production'],
  ])('%s: the container environment has every BOOP_* variable from the config, BOOP_ENV=%s', (name, boopEnv) => {
    const built = name === 'dev' ? dev : prod;
    for (const slot of SLOTS) {
      const env = environmentOf(containerOf(built, slot));
      expect(env).toEqual(expectedEnvironment(built.config, slot, boopEnv));
      // Neither environment overrides the guide's client settings, so they arrive as the guide says.
      expect(env.BOOP_API_TIMEOUT).toBe(String(BOOP_CLIENT_DEFAULTS.apiTimeoutMs));
      expect(env.BOOP_WS_HEARTBEAT_INTERVAL).toBe(String(BOOP_CLIENT_DEFAULTS.wsHeartbeatIntervalMs));
      expect(env.BOOP_ENFORCE_HTTPS).toBe(String(BOOP_CLIENT_DEFAULTS.enforceHttps));
    }
  });

  test('a changed BOOP client setting reaches the containers', () => {
    expect(pinned.config.boop.maxRetries).not.toBe(BOOP_CLIENT_DEFAULTS.maxRetries);
    for (const slot of SLOTS) {
      expect(environmentOf(containerOf(pinned, slot)).BOOP_MAX_RETRIES).toBe(String(pinned.config.boop.maxRetries));
    }
  });

  test.each(['dev', 'prod'])("%s: no API key sits in the template's plain container environment", (name) => {
    const built = name === 'dev' ? dev : prod;
    for (const slot of SLOTS) {
      const env = environmentOf(containerOf(built, slot));
      expect(Object.keys(env).filter((key) => /API_KEY/.test(key))).toEqual([]);
      expect(Object.values(env).filter((value) => /^sk_/.test(value))).toEqual([]);
    }
  });

  test.each(['dev', 'prod'])('%s: each slot logs with awslogs to its own log group, kept as configured', (name) => {
    const built = name === 'dev' ? dev : prod;
    const groups = SLOTS.map((slot) => {
      const logging = containerOf(built, slot).LogConfiguration as { LogDriver: string; Options: Record<string, unknown> };
      expect(logging.LogDriver).toBe('awslogs');
      expect(logging.Options['awslogs-stream-prefix']).toBe(slot);
      const ref = (logging.Options['awslogs-group'] as { Ref: string }).Ref;
      expect(ref).toBe(logicalIdOf(built.stack, built.stack.service.logGroups[slot]));
      expect(built.resources[ref].Type).toBe('AWS::Logs::LogGroup');
      expect(built.resources[ref].Properties.RetentionInDays).toBe(built.config.service.logRetentionDays);
      return ref;
    });
    expect(new Set(groups).size).toBe(SLOTS.length);
  });

  test.each(['dev', 'prod'])('%s: a task accepts traffic only from the load balancer, on the container port', (name) => {
    const built = name === 'dev' ? dev : prod;
    const albSecurityGroups = (
      built.resources[logicalIdOf(built.stack, built.stack.service.loadBalancer)].Properties.SecurityGroups as Array<{ 'Fn::GetAtt': [string, string] }>
    ).map((g) => g['Fn::GetAtt'][0]);
    for (const slot of SLOTS) {
      const serviceSecurityGroups = (
        (built.resources[logicalIdOf(built.stack, built.stack.service.services[slot])].Properties.NetworkConfiguration as Json).AwsvpcConfiguration as {
          SecurityGroups: Array<{ 'Fn::GetAtt': [string, string] }>;
        }
      ).SecurityGroups.map((g) => g['Fn::GetAtt'][0]);
      const ingress = resourcesOfType(built, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) =>
        serviceSecurityGroups.includes((r.Properties.GroupId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]),
      );
      expect(ingress.length).toBeGreaterThan(0);
      for (const [, rule] of ingress) {
        expect(albSecurityGroups).toContain((rule.Properties.SourceSecurityGroupId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);
        expect(rule.Properties).toMatchObject({ FromPort: built.config.service.containerPort, ToPort: built.config.service.containerPort });
      }
      for (const sg of serviceSecurityGroups) {
        expect(built.resources[sg].Properties.SecurityGroupIngress ?? []).toEqual([]);
      }
    }
  });

  test('prod: an ECR image gets pull rights on the execution role, scoped to its repository', () => {
    for (const slot of SLOTS) {
      const image = prod.config.service.images[slot];
      const [registry, repositoryAndTag] = [image.slice(0, image.indexOf('/')), image.slice(image.indexOf('/') + 1)];
      const [account, , , region] = registry.split('.');
      const repository = repositoryAndTag.split(/[:@]/)[0];
      const taskDefinition = prod.resources[logicalIdOf(prod.stack, prod.stack.service.services[slot].taskDefinition)];
      const roleId = (taskDefinition.Properties.ExecutionRoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const policies = resourcesOfType(prod, 'AWS::IAM::Policy').filter(([, p]) =>
        (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId),
      );
      const statements = policies.flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Json[] }).Statement);
      const pull = statements.find((s) => ([] as string[]).concat(s.Action as string).includes('ecr:BatchGetImage'));
      expect(pull).toBeDefined();
      expect(pull!.Action).toEqual(expect.arrayContaining(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']));
      expect(joined(pull!.Resource, { 'AWS::Partition': 'aws' })).toBe(`arn:aws:ecr:${region}:${account}:repository/${repository}`);
      // Only GetAuthorizationToken, which has no resource-level permissions, is on "*".
      for (const s of statements.filter((s) => s.Resource === '*')) expect(s.Action).toBe('ecr:GetAuthorizationToken');
    }
  });

  test('dev: a public-registry image is pulled as is, with no ECR rights', () => {
    const executionRoles = SLOTS.map((slot) => {
      const taskDefinition = dev.resources[logicalIdOf(dev.stack, dev.stack.service.services[slot].taskDefinition)];
      return (taskDefinition.Properties.ExecutionRoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    });
    const statements = resourcesOfType(dev, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => executionRoles.includes(r.Ref)))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Json[] }).Statement);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('ecr:'))).toEqual([]);
  });
});

describe('the image parameters take what the configuration takes, from the one repository the tasks may pull from', () => {
  const IMAGE_DIGEST = `sha256:${'0'.repeat(64)}`;
  /** CloudFormation matches AllowedPattern (a Java regex; these constructs read alike in JavaScript) against the whole value. */
  const takes = (built: Built, slot: Slot, image: string) => new RegExp(`^(?:${imageParameter(built, slot).AllowedPattern})$`).test(image);
  /** Whether the configuration's own rules take the image for the slot (as in cdk.json or a config file). */
  const configTakes = (built: Built, slot: Slot, image: string) => {
    const changed = { ...built.config, service: { ...built.config.service, images: { ...built.config.service.images, [slot]: image } } };
    const result = environmentConfigSchema.safeParse(changed);
    // In prod one slot's image can make the other's refused (both must come from one repository), so any image's problem counts.
    return result.success || !result.error.issues.some((issue) => issue.path.join('.').startsWith('service.images.'));
  };
  const repositoryOf = (image: string) => image.split(/[:@]/)[0];
  /** Whether the parameter and the configuration take an image, as one value so a failure names the image. */
  const verdicts = (built: Built, slot: Slot, image: string) => ({ image, parameter: takes(built, slot, image), config: configTakes(built, slot, image) });

  test.each(SLOTS)('prod, %s: tags and digests of the configured repository, and nothing else', (slot) => {
    const configured = prod.config.service.images[slot];
    const repository = repositoryOf(configured);
    const registry = repository.slice(0, repository.indexOf('/'));
    const cases: Array<[string, boolean]> = [
      [configured, true],
      [prod.config.service.images[slot === 'blue' ? 'green' : 'blue'], true],
      [`${repository}:9.9.9`, true],
      [`${repository}@${IMAGE_DIGEST}`, true],
      [`${repository}:latest@${IMAGE_DIGEST}`, true],
      [repository, false],
      [`${repository}:latest`, false],
      ['Boop Integration:1', false],
      // One repository for both slots in prod: the configuration refuses another, as the parameter does.
      [`${registry}/other-repository:1`, false],
      [`${repository}-next:1`, false],
      [`${repository}/nested:1`, false],
      [`444455556666${repository.slice(12)}:1`, false],
    ];
    for (const [image, taken] of cases) expect(verdicts(prod, slot, image)).toEqual({ image, parameter: taken, config: taken });
    expect(imageParameter(prod, slot).ConstraintDescription).toContain(`from ${repository} only`);
    expect(imageParameter(prod, slot).ConstraintDescription).toContain(':latest without a digest');
  });

  test.each(SLOTS)("dev, %s: a public image of any registry, with a tag or digest, latest included, as dev's configuration takes it", (slot) => {
    const repository = repositoryOf(dev.config.service.images[slot]);
    const cases: Array<[string, boolean]> = [
      [dev.config.service.images[slot], true],
      [`${repository}:latest`, true],
      ['registry.example.com:5000/team/boop-integration:2.0.0', true],
      [`${repository}@${IMAGE_DIGEST}`, true],
      [repository, false],
      ['registry.example.com:5000/team/boop-integration', false],
    ];
    for (const [image, taken] of cases) expect(verdicts(dev, slot, image)).toEqual({ image, parameter: taken, config: taken });
  });
});

describe('the load balancer and its listeners', () => {
  /** The listener whose default action carries the weights. */
  const weighted = (built: Built) => built.resources[logicalIdOf(built.stack, built.stack.service.listener)];

  test('prod: HTTPS on 443 with the recommended TLS policy and the configured certificate', () => {
    expect(weighted(prod).Properties).toMatchObject({
      Port: HTTPS_PORT,
      Protocol: 'HTTPS',
      SslPolicy: elbv2.SslPolicy.TLS13_12_PQ,
      Certificates: [{ CertificateArn: prod.config.loadBalancer.certificateArn }],
    });
  });

  test('prod: HTTP on 80 only redirects to HTTPS 443', () => {
    const listeners = resourcesOfType(prod, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listeners).toHaveLength(2);
    const http = listeners.find(([, l]) => l.Properties.Port === HTTP_PORT);
    expect(http).toBeDefined();
    expect(http![1].Properties.Protocol).toBe('HTTP');
    expect(http![1].Properties.DefaultActions).toEqual([
      { Type: 'redirect', RedirectConfig: expect.objectContaining({ Protocol: 'HTTPS', Port: String(HTTPS_PORT), StatusCode: 'HTTP_301' }) },
    ]);
    // Nothing but the redirect: no rule on the HTTP listener forwards anywhere.
    const httpRules = resourcesOfType(prod, 'AWS::ElasticLoadBalancingV2::ListenerRule').filter(
      ([, r]) => (r.Properties.ListenerArn as { Ref: string }).Ref === http![0],
    );
    expect(httpRules).toEqual([]);
  });

  test('dev without a certificate: one plain HTTP listener and a warning saying so', () => {
    expect(dev.config.loadBalancer.certificateArn).toBeUndefined();
    const listeners = resourcesOfType(dev, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listeners).toHaveLength(1);
    expect(listeners[0][1].Properties).toMatchObject({ Port: HTTP_PORT, Protocol: 'HTTP' });
    expect(listeners[0][1].Properties.Certificates).toBeUndefined();
    Annotations.fromStack(dev.stack).hasWarning(`/${dev.stack.stackName}/BlueGreen`, Match.stringLikeRegexp('loadBalancer\\.certificateArn'));
  });

  test('prod with a certificate has no such warning', () => {
    Annotations.fromStack(prod.stack).hasNoWarning('*', Match.stringLikeRegexp('loadBalancer\\.certificateArn'));
  });

  test("the design's safe weights: all traffic on blue", () => {
    expect(SAFE_WEIGHTS).toEqual({ blue: 100, green: 0 });
  });

  test.each(['dev', 'prod'])('%s: the default action is a weighted forward at the safe weights, without stickiness', (name) => {
    const built = name === 'dev' ? dev : prod;
    const actions = weighted(built).Properties.DefaultActions as Json[];
    expect(actions).toHaveLength(1);
    expect(actions[0].Type).toBe('forward');
    const forward = actions[0].ForwardConfig as { TargetGroups: Json[]; TargetGroupStickinessConfig?: { Enabled: boolean } };
    expect(forward.TargetGroups).toEqual(
      expect.arrayContaining(SLOTS.map((slot) => ({ TargetGroupArn: { Ref: targetGroupId(built, slot) }, Weight: SAFE_WEIGHTS[slot] }))),
    );
    expect(forward.TargetGroups).toHaveLength(SLOTS.length);
    expect(forward.TargetGroupStickinessConfig?.Enabled ?? false).toBe(false);
  });

  // Who reaches which slot with the header, from where: test/blue-green/listener-routing.test.ts.
  test(`with no NAT gateway and no tester CIDRs there is no ${SLOT_HEADER} route at all: the header is ignored`, () => {
    const config = dev.config;
    const stack = new Stack(templateApp(), 'NoHeaderSources');
    const service = new BlueGreenService(stack, 'BlueGreen', {
      envName: config.envName,
      boopEnvironment: config.boopEnvironment,
      boop: config.boop,
      service: config.service,
      images: config.service.images,
      keys: { secrets: {}, environment: {} },
      loadBalancer: { ...config.loadBalancer, testerCidrs: [] },
      network: { ...config.network, natGateways: 0 },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    const listener = new AlbListener(
      new DeployedTemplate(template.toJSON()),
      logicalIdOf(stack, service.listener),
      Object.fromEntries(SLOTS.map((slot) => [slot, logicalIdOf(stack, service.targetGroups[slot])])) as Record<Slot, string>,
    );
    expect(listener.route({ source: '198.51.100.10', headers: { [SLOT_HEADER]: 'green' } })).toEqual({ rule: 'default', shares: sharesOf(SAFE_WEIGHTS) });
  });

  test('prod: the HTTPS listener sets every security header of the environment guide', () => {
    expect(weighted(prod).Properties.ListenerAttributes).toEqual(
      expect.arrayContaining(
        (Object.keys(SECURITY_HEADERS) as Array<keyof typeof SECURITY_HEADERS>).map((header) => ({
          Key: HEADER_ATTRIBUTES[header],
          Value: SECURITY_HEADERS[header],
        })),
      ),
    );
  });

  test('dev: the plain HTTP listener sets X-Content-Type-Options and X-Frame-Options (HSTS means nothing over HTTP)', () => {
    const attributes = weighted(dev).Properties.ListenerAttributes as Array<{ Key: string; Value: string }>;
    expect(attributes).toEqual(
      expect.arrayContaining([
        { Key: HEADER_ATTRIBUTES.xContentTypeOptions, Value: SECURITY_HEADERS.xContentTypeOptions },
        { Key: HEADER_ATTRIBUTES.xFrameOptions, Value: SECURITY_HEADERS.xFrameOptions },
      ]),
    );
    expect(attributes.map((a) => a.Key)).not.toContain(HEADER_ATTRIBUTES.strictTransportSecurity);
  });

  test.each(['dev', 'prod'])('%s: access logs go to an SSE-S3, private, TLS-only bucket the load balancer may write to', (name) => {
    const built = name === 'dev' ? dev : prod;
    const albId = logicalIdOf(built.stack, built.stack.service.loadBalancer);
    const alb = built.resources[albId];
    const attributes = Object.fromEntries((alb.Properties.LoadBalancerAttributes as Array<{ Key: string; Value: unknown }>).map((a) => [a.Key, a.Value]));
    expect(attributes['access_logs.s3.enabled']).toBe('true');
    const bucketId = (attributes['access_logs.s3.bucket'] as { Ref: string }).Ref;
    const bucket = built.resources[bucketId];
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.LifecycleConfiguration).toEqual({
      Rules: [expect.objectContaining({ ExpirationInDays: built.config.loadBalancer.accessLogRetentionDays, Status: 'Enabled' })],
    });

    const [policyId, policy] = resourcesOfType(built, 'AWS::S3::BucketPolicy').find(([, p]) => (p.Properties.Bucket as { Ref: string }).Ref === bucketId)!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Json[] }).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]),
    );
    // The load balancer's log delivery may put objects under the configured prefix.
    const prefix = attributes['access_logs.s3.prefix'] as string;
    const put = statements.find((s) => s.Effect === 'Allow' && s.Action === 's3:PutObject');
    expect(put).toBeDefined();
    expect(JSON.stringify(put!.Resource)).toContain(`/${prefix}/AWSLogs/`);
    // The ALB checks it may write when the attribute is set, so the policy must exist first.
    expect(([] as string[]).concat(alb.DependsOn ?? [])).toContain(policyId);
  });
});

describe('the WAF web ACL', () => {
  test.each(['dev', 'prod'])("%s: a per-IP rate rule on the BOOP routes and AWS's common rule set, attached to the load balancer", (name) => {
    const built = name === 'dev' ? dev : prod;
    const acls = resourcesOfType(built, 'AWS::WAFv2::WebACL');
    expect(acls).toHaveLength(1);
    const [aclId, acl] = acls[0];
    expect(acl.Properties.Scope).toBe('REGIONAL');
    const rules = acl.Properties.Rules as Json[];
    const rate = rules.find((r) => (r.Statement as Json).RateBasedStatement);
    expect(rate).toBeDefined();
    expect(rate!.Action).toHaveProperty('Block');
    expect((rate!.Statement as Json).RateBasedStatement).toEqual({
      Limit: BOOP_ROUTE_RATE_LIMIT.requestsPerMinute,
      // The guide's limiter counts per minute (windowMs: 60 * 1000).
      EvaluationWindowSec: BOOP_ROUTE_RATE_LIMIT.windowSeconds,
      AggregateKeyType: 'IP',
      // Which paths it covers: the next test.
      ScopeDownStatement: { ByteMatchStatement: expect.objectContaining({ SearchString: BOOP_ROUTE_RATE_LIMIT.path }) },
    });
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } },
        }),
      ]),
    );

    built.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    built.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: logicalIdOf(built.stack, built.stack.service.loadBalancer) },
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
    });
  });

  test.each(['dev', 'prod'])("%s: the rate rule counts every spelling of the BOOP routes the service answers, after WAF's own text transformations", (name) => {
    const built = name === 'dev' ? dev : prod;
    expect(built.config.loadBalancer.wafRateLimitPath).toBe(BOOP_ROUTE_RATE_LIMIT.path);
    const rules = resourcesOfType(built, 'AWS::WAFv2::WebACL')[0][1].Properties.Rules as Json[];
    const rate = (rules.find((r) => (r.Statement as Json).RateBasedStatement)!.Statement as Json).RateBasedStatement as Json;
    const scope = rate.ScopeDownStatement as Json;
    for (const path of [
      '/api/boop',
      '/api/boop/vendors',
      '/API/boop',
      '/Api/Boop',
      '//api/boop',
      '/api//boop',
      '/%61pi/boop',
      '/%2fapi/boop',
      '/api/./boop',
      '/api/x/../boop',
    ]) {
      expect([path, wafMatches(scope, path)]).toEqual([path, true]);
    }
    for (const path of ['/health/boop', '/api', '/boop', '/api/../boop']) {
      expect([path, wafMatches(scope, path)]).toEqual([path, false]);
    }
  });

  test('-c loadBalancer.wafEnabled=false leaves out the web ACL and its association', () => {
    expect(pinned.config.loadBalancer.wafEnabled).toBe(false);
    pinned.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    pinned.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });
});

describe('the production confirmation', () => {
  test('prod: ConfirmProduction only accepts the confirmation value, and a rule asserts it', () => {
    const json = prod.template.toJSON();
    const parameter = json.Parameters[CONFIRM_PRODUCTION_PARAMETER];
    expect(parameter).toMatchObject({ Type: 'String', AllowedValues: [CONFIRM_PRODUCTION_VALUE] });
    // No default: the first deploy has to say it.
    expect(parameter.Default).toBeUndefined();
    const assertions = Object.values(json.Rules as Record<string, { Assertions: Json[] }>).flatMap((rule) => rule.Assertions);
    expect(assertions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Assert: { 'Fn::Equals': [{ Ref: CONFIRM_PRODUCTION_PARAMETER }, CONFIRM_PRODUCTION_VALUE] },
        }),
      ]),
    );
  });

  test('dev: neither the parameter nor the rule', () => {
    const json = dev.template.toJSON();
    expect(Object.keys(json.Parameters ?? {})).not.toContain(CONFIRM_PRODUCTION_PARAMETER);
    expect(JSON.stringify(json.Rules ?? {})).not.toContain(CONFIRM_PRODUCTION_PARAMETER);
  });
});
