/**
 * Every way an alert or a rollback travels, proven on the synthesized policies as they would stand
 * deployed, evaluated with @cloud-copilot/iam-simulate: each alarm → its topic → the topic's key,
 * the rollback rule → the traffic controller, and the controller → the critical topic → its key.
 * And the ways that must stay shut: another environment's or account's alarms, CloudWatch acting
 * for another account, another rule. A path is read step by step; a failure prints every step's verdict.
 */
import { ACCOUNT, DeployedTemplate, PARTITION, REGION } from '../support/deployed-template';
import { evaluate, functionPolicyOf, identityPoliciesOf, keyPolicyOf, PolicyDocument, topicPolicyOf, Verdict } from '../support/resource-policies';
import { resourcesOfType } from '../support/resources';
import { build } from '../support/synth';
import { environmentNames } from '../../common/names';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CLOUDWATCH = 'cloudwatch.amazonaws.com';
const EVENTBRIDGE = 'events.amazonaws.com';
const OTHER_ACCOUNT = '444455556666';
const ENVIRONMENTS = ['prod', 'dev'] as const;
type Env = (typeof ENVIRONMENTS)[number];
/** The KMS actions SNS calls with the publisher's permissions when it encrypts a message. */
const KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];
const ALARM_TYPES = ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'];
const ACTION_LISTS = ['AlarmActions', 'OKActions', 'InsufficientDataActions'];

/** `cdk synth -c env=<env>` (prod with examples/prod.json) as deployed; no function is bundled, only policies are read. */
function deployed(env: Env): DeployedTemplate {
  return new DeployedTemplate(build(env, { 'aws:cdk:bundling-stacks': [] }).template.toJSON());
}

const templates = {} as Record<Env, DeployedTemplate>;
beforeAll(() => {
  for (const env of ENVIRONMENTS) templates[env] = deployed(env);
});

interface Step {
  readonly what: string;
  readonly verdict: Verdict;
}

/** A delivery path as its steps; it delivers only when every step is allowed. */
class Path {
  constructor(
    readonly from: string,
    readonly steps: readonly Step[],
  ) {}

  get delivered(): boolean {
    return this.steps.every((s) => s.verdict === 'Allowed');
  }

  /** `alarm X → topic Y (sns:Publish): Allowed → key Z (kms:Decrypt): ImplicitlyDenied`. */
  toString(): string {
    return [this.from, ...this.steps.map((s) => `${s.what}: ${s.verdict}`)].join(' → ');
  }
}

/** The path with its verdicts, so a failing expectation prints them all. */
const read = (path: Path) => ({ path: path.toString(), delivered: path.delivered });

interface Topic {
  readonly arn: string;
  readonly name: string;
  readonly keyArn: string;
}

function topicAt(t: DeployedTemplate, arn: string): Topic {
  const found = resourcesOfType(t, 'AWS::SNS::Topic').find(([id]) => t.ref(id) === arn);
  if (!found) throw new Error(`${arn} is not a topic of this stack`);
  const keyArn = t.resolve(found[1].Properties.KmsMasterKeyId);
  // Every alert topic is encrypted; an unencrypted one would make the key steps below meaningless.
  if (typeof keyArn !== 'string') throw new Error(`topic ${arn} has no KMS key`);
  return { arn, name: found[1].Properties.TopicName, keyArn };
}

function alertTopics(t: DeployedTemplate): Topic[] {
  return resourcesOfType(t, 'AWS::SNS::Topic').map(([id]) => topicAt(t, t.ref(id)));
}

const alarmArn = (name: string, account = ACCOUNT) => `arn:${PARTITION}:cloudwatch:${REGION}:${account}:alarm:${name}`;

/** Every alarm of the template, metric and composite, with the topics each notifies (any state). */
function alarmsOf(t: DeployedTemplate): { name: string; arn: string; notifies: string[] }[] {
  return ALARM_TYPES.flatMap((type) => resourcesOfType(t, type)).map(([id, alarm]) => ({
    name: t.ref(id),
    arn: t.getAtt(id, 'Arn'),
    notifies: ACTION_LISTS.flatMap((list) => (alarm.Properties[list] ?? []).map((a: Json) => t.resolve(a) as string)),
  }));
}

/** The KMS steps of a publish: SNS asks the key for the publisher, naming the topic in the encryption context. */
async function keySteps(
  t: DeployedTemplate,
  topic: Topic,
  principal: string,
  context: Record<string, string>,
  identityPolicies?: { name: string; policy: PolicyDocument }[],
): Promise<Step[]> {
  return Promise.all(
    KEY_ACTIONS.map(async (action) => ({
      what: `key of ${topic.name} (${action})`,
      verdict: await evaluate({
        principal,
        action,
        resource: topic.keyArn,
        resourcePolicy: keyPolicyOf(t, topic.keyArn),
        identityPolicies,
        context: { 'kms:EncryptionContext:aws:sns:topicArn': topic.arn, ...context },
      }),
    })),
  );
}

interface AlarmRequest {
  /** The alarm's ARN, which CloudWatch sends as aws:SourceArn. */
  readonly alarmArn: string;
  /** The account CloudWatch acts for (aws:SourceAccount). @default this stack's account */
  readonly sourceAccount?: string;
  /** The topic policy to evaluate instead of the template's. @default the template's */
  readonly topicPolicy?: PolicyDocument;
  /** The topic SNS names when it asks the key. @default the topic published to */
  readonly encryptingFor?: string;
}

/**
 * alarm → topic → key, as CloudWatch delivers a notification: sns:Publish by CloudWatch's service
 * principal under the topic policy, then the KMS calls under the key policy. The KMS requests carry
 * only what SNS documents on them (the topic in the encryption context), no aws:Source* keys.
 */
async function alarmToTopicToKey(t: DeployedTemplate, topic: Topic, request: AlarmRequest): Promise<Path> {
  const publish = await evaluate({
    principal: CLOUDWATCH,
    action: 'sns:Publish',
    resource: topic.arn,
    resourcePolicy: request.topicPolicy ?? topicPolicyOf(t, topic.arn),
    context: { 'aws:SourceArn': request.alarmArn, 'aws:SourceAccount': request.sourceAccount ?? ACCOUNT, 'aws:SecureTransport': 'true' },
  });
  const key = await keySteps(t, { ...topic, arn: request.encryptingFor ?? topic.arn }, CLOUDWATCH, {});
  return new Path(`alarm ${request.alarmArn.split(':alarm:')[1]} (${request.alarmArn.split(':')[4]})`, [
    { what: `topic ${topic.name} (sns:Publish)`, verdict: publish },
    ...key,
  ]);
}

/** The rule that rolls green back, and the function it invokes. */
function rollbackRule(t: DeployedTemplate, env: Env): { arn: string; name: string; functionArn: string } {
  const rules = resourcesOfType(t, 'AWS::Events::Rule').filter(([, r]) =>
    (r.Properties.EventPattern?.detail?.alarmName ?? []).includes(environmentNames(env).rollbackAlarm),
  );
  expect(rules).toHaveLength(1);
  const [id, rule] = rules[0];
  const targets = (rule.Properties.Targets as Json[]).map((target) => t.resolve(target.Arn) as string);
  expect(targets).toHaveLength(1);
  return { arn: t.getAtt(id, 'Arn'), name: t.ref(id), functionArn: targets[0] };
}

/** rule → function, as EventBridge invokes a target: lambda:InvokeFunction by its service principal under the function's permissions. */
async function ruleToFunction(t: DeployedTemplate, ruleArn: string, functionArn: string, sourceAccount = ACCOUNT): Promise<Path> {
  const verdict = await evaluate({
    principal: EVENTBRIDGE,
    action: 'lambda:InvokeFunction',
    resource: functionArn,
    resourcePolicy: functionPolicyOf(t, functionArn),
    context: { 'aws:SourceArn': ruleArn, 'aws:SourceAccount': sourceAccount },
  });
  return new Path(`rule ${ruleArn}`, [{ what: `function ${functionArn.split(':').pop()} (lambda:InvokeFunction)`, verdict }]);
}

/** role → topic → key, as a function publishes: its identity policies with the topic policy, then with the key policy (SNS calls KMS for it). */
async function roleToTopicToKey(t: DeployedTemplate, roleId: string, topic: Topic): Promise<Path> {
  const principal = t.getAtt(roleId, 'Arn');
  const identityPolicies = identityPoliciesOf(t, roleId);
  const publish = await evaluate({
    principal,
    action: 'sns:Publish',
    resource: topic.arn,
    identityPolicies,
    resourcePolicy: topicPolicyOf(t, topic.arn),
    context: { 'aws:SecureTransport': 'true' },
  });
  const key = await keySteps(t, topic, principal, { 'kms:ViaService': `sns.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT }, identityPolicies);
  return new Path(`role ${roleId}`, [{ what: `topic ${topic.name} (sns:Publish)`, verdict: publish }, ...key]);
}

/** The traffic controller: the function the rollback rule invokes, and its role. */
function controllerOf(t: DeployedTemplate, env: Env): { functionArn: string; roleId: string; environment: Record<string, string> } {
  const { functionArn } = rollbackRule(t, env);
  const [, fn] = resourcesOfType(t, 'AWS::Lambda::Function').find(([id]) => t.getAtt(id, 'Arn') === functionArn)!;
  return { functionArn, roleId: fn.Properties.Role['Fn::GetAtt'][0], environment: t.resolve(fn.Properties.Environment?.Variables ?? {}) };
}

describe.each(ENVIRONMENTS)('%s: alarms reach the people on call', (env) => {
  const t = () => templates[env];

  test('every alarm action, of every metric and composite alarm, is delivered: alarm → topic → key', async () => {
    const paths: Path[] = [];
    for (const alarm of alarmsOf(t())) {
      for (const topicArn of alarm.notifies) paths.push(await alarmToTopicToKey(t(), topicAt(t(), topicArn), { alarmArn: alarm.arn }));
    }
    // Alarms do notify, so this proves something.
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => !p.delivered).map(String)).toEqual([]);
  });

  test('every alarm this environment creates, the rollback composite included, is one each topic admits', async () => {
    const alarms = alarmsOf(t());
    expect(alarms.map((a) => a.name)).toContain(environmentNames(env).rollbackAlarm);
    const refused: string[] = [];
    for (const alarm of alarms) {
      for (const topic of alertTopics(t())) {
        const path = await alarmToTopicToKey(t(), topic, { alarmArn: alarm.arn });
        if (!path.delivered) refused.push(path.toString());
      }
    }
    expect(refused).toEqual([]);
  });
});

describe.each(ENVIRONMENTS)('%s: the topics and their key admit nobody else', (env) => {
  const t = () => templates[env];
  const other: Env = env === 'prod' ? 'dev' : 'prod';
  /** One alarm of this environment that notifies, and its topic. */
  const notifying = () => {
    const alarm = alarmsOf(t()).find((a) => a.notifies.length > 0)!;
    return { alarm, topic: topicAt(t(), alarm.notifies[0]) };
  };

  test(`an alarm of ${other} is refused by ${env}'s topics`, async () => {
    for (const alarm of alarmsOf(templates[other])) {
      for (const topic of alertTopics(t())) {
        const path = await alarmToTopicToKey(t(), topic, { alarmArn: alarm.arn });
        expect({ ...read(path), topicStep: path.steps[0].verdict }).toEqual({ ...read(path), delivered: false, topicStep: 'ImplicitlyDenied' });
      }
    }
  });

  test('an alarm of the same name in another account is refused', async () => {
    const { alarm, topic } = notifying();
    for (const sourceAccount of [ACCOUNT, OTHER_ACCOUNT]) {
      const path = await alarmToTopicToKey(t(), topic, { alarmArn: alarmArn(alarm.name, OTHER_ACCOUNT), sourceAccount });
      expect({ ...read(path), topicStep: path.steps[0].verdict }).toEqual({ ...read(path), delivered: false, topicStep: 'ImplicitlyDenied' });
    }
  });

  test("CloudWatch acting for another account is refused, even naming this environment's alarm", async () => {
    const { alarm, topic } = notifying();
    const path = await alarmToTopicToKey(t(), topic, { alarmArn: alarm.arn, sourceAccount: OTHER_ACCOUNT });
    expect({ ...read(path), topicStep: path.steps[0].verdict }).toEqual({ ...read(path), delivered: false, topicStep: 'ImplicitlyDenied' });
  });

  test("CloudWatch may use the key only for this environment's topics", async () => {
    const { alarm, topic } = notifying();
    const elsewhere = [
      ...alertTopics(templates[other]).map((o) => o.arn),
      `arn:${PARTITION}:sns:${REGION}:${OTHER_ACCOUNT}:${topic.name}`,
      `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:some-other-topic`,
    ];
    for (const encryptingFor of elsewhere) {
      const path = await alarmToTopicToKey(t(), topic, { alarmArn: alarm.arn, encryptingFor });
      const keyVerdicts = path.steps.slice(1).map((s) => s.verdict);
      expect({ ...read(path), keyVerdicts }).toEqual({ ...read(path), delivered: false, keyVerdicts: KEY_ACTIONS.map(() => 'ImplicitlyDenied') });
    }
  });

  test('negative control: with the CloudWatch statement taken out (the TLS deny alone, as before), the same alarm is refused', async () => {
    const { alarm, topic } = notifying();
    const policy = topicPolicyOf(t(), topic.arn);
    const withoutCloudWatch = {
      ...policy,
      Statement: policy.Statement.filter((s) => ![s.Principal?.Service].flat().includes(CLOUDWATCH)),
    };
    // What is left is the TLS-only deny that enforceSSL writes, and nothing that allows.
    expect(withoutCloudWatch.Statement.length).toBeGreaterThan(0);
    expect(withoutCloudWatch.Statement.length).toBeLessThan(policy.Statement.length);
    expect(withoutCloudWatch.Statement.map((s) => s.Effect)).toEqual(withoutCloudWatch.Statement.map(() => 'Deny'));

    const today = await alarmToTopicToKey(t(), topic, { alarmArn: alarm.arn });
    const before = await alarmToTopicToKey(t(), topic, { alarmArn: alarm.arn, topicPolicy: withoutCloudWatch });
    expect(read(today)).toEqual({ ...read(today), delivered: true });
    expect({ ...read(before), topicStep: before.steps[0].verdict }).toEqual({ ...read(before), delivered: false, topicStep: 'ImplicitlyDenied' });
  });
});

describe.each(ENVIRONMENTS)('%s: the rollback alarm reaches the traffic controller', (env) => {
  const t = () => templates[env];

  test('rule → controller: EventBridge may invoke the controller for the rollback rule', async () => {
    const rule = rollbackRule(t(), env);
    const path = await ruleToFunction(t(), rule.arn, rule.functionArn);
    expect(read(path)).toEqual({ ...read(path), delivered: true });
  });

  test('another rule, of this account or another, may not invoke the controller', async () => {
    const rule = rollbackRule(t(), env);
    const others: [string, string][] = [
      [`arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/someone-elses-rule`, ACCOUNT],
      [`arn:${PARTITION}:events:${REGION}:${OTHER_ACCOUNT}:rule/${rule.name}`, OTHER_ACCOUNT],
    ];
    for (const [ruleArn, account] of others) {
      const path = await ruleToFunction(t(), ruleArn, rule.functionArn, account);
      expect(read(path)).toEqual({ ...read(path), delivered: false });
    }
  });

  test('controller → critical topic → key: the controller can page', async () => {
    const controller = controllerOf(t(), env);
    const critical = alertTopics(t()).find((topic) => topic.name === environmentNames(env).alertTopic('critical'))!;
    // The topic the controller is configured to page is the critical one.
    const topicsNamed = Object.values(controller.environment).filter((value) => alertTopics(t()).some((topic) => topic.arn === value));
    expect(topicsNamed).toEqual([critical.arn]);
    const path = await roleToTopicToKey(t(), controller.roleId, critical);
    expect(read(path)).toEqual({ ...read(path), delivered: true });
  });
});
