/**
 * Who hears about an alarm: one encrypted, TLS-only SNS topic per notifying severity, and the
 * subscriptions the configuration names, routed as SEVERITY_ROUTING (lib/monitoring/thresholds.ts) says.
 */
import { NOTIFYING_SEVERITIES, NotifyingSeverity, SEVERITY_ROUTING } from '../../lib/monitoring/thresholds';
import { Cfn, CfnResource, referencedId, resourcesOfType } from '../support/resources';
import { build, Built } from '../support/synth';
import { environmentNames } from '../../common/names';

const CHATBOT = 'AWS::Chatbot::SlackChannelConfiguration';
/** The severities that notify someone (low is dashboards only). */
const NOTIFYING = NOTIFYING_SEVERITIES as NotifyingSeverity[];

/** Topic logical id per severity, found by the topic's name. */
function topicsBySeverity(built: Built): Record<NotifyingSeverity, string> {
  const byName = new Map(resourcesOfType(built, 'AWS::SNS::Topic').map(([id, r]) => [r.Properties.TopicName as string, id]));
  return Object.fromEntries(NOTIFYING.map((s) => [s, byName.get(environmentNames(built.config.envName).alertTopic(s))])) as Record<NotifyingSeverity, string>;
}

/** Subscriptions of one topic as `protocol endpoint`. */
function subscriptionsOf(built: Built, topicId: string): string[] {
  return resourcesOfType(built, 'AWS::SNS::Subscription')
    .filter(([, r]) => referencedId(r.Properties.TopicArn) === topicId)
    .map(([, r]) => `${r.Properties.Protocol} ${r.Properties.Endpoint}`)
    .sort();
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** How the PagerDuty subscription names its endpoint: a dynamic reference to the configured SSM String parameter (SNS takes no ssm-secure). */
function pagerDutyReference(built: Built): string {
  return `{{resolve:ssm:${built.config.alerts.pagerDutyIntegrationUrlParameter}}}`;
}

let prod: Built;
let dev: Built;
beforeAll(() => {
  prod = build('prod');
  dev = build('dev');
});

describe.each(['prod', 'dev'] as const)('%s: topics', (which) => {
  const built = () => (which === 'prod' ? prod : dev);

  test('one topic per notifying severity, and no other', () => {
    const topics = topicsBySeverity(built());
    for (const severity of NOTIFYING) expect({ severity, topic: topics[severity] }).toEqual({ severity, topic: expect.any(String) });
    expect(resourcesOfType(built(), 'AWS::SNS::Topic')).toHaveLength(NOTIFYING.length);
  });

  test.each(NOTIFYING.map((s) => [s] as const))('%s: encrypted with a rotating key that CloudWatch may use', (severity) => {
    const topic = built().resources[topicsBySeverity(built())[severity]];
    const keyId = referencedId(topic.Properties.KmsMasterKeyId);
    expect(keyId).toBeDefined();
    const key: CfnResource = built().resources[keyId!];
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    // CloudWatch publishes the alarm notifications to the encrypted topic itself.
    const cloudWatchActions = (key.Properties.KeyPolicy.Statement as Record<string, Cfn>[])
      .filter((s) => s.Effect === 'Allow' && asList(s.Principal?.Service).includes('cloudwatch.amazonaws.com'))
      .flatMap((s) => asList<string>(s.Action));
    expect(cloudWatchActions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });

  test.each(NOTIFYING.map((s) => [s] as const))('%s: refuses publishing without TLS', (severity) => {
    const topicId = topicsBySeverity(built())[severity];
    const denials = resourcesOfType(built(), 'AWS::SNS::TopicPolicy')
      .filter(([, r]) => asList(r.Properties.Topics).some((t) => referencedId(t) === topicId))
      .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Record<string, Cfn>[])
      .filter(
        (s) =>
          s.Effect === 'Deny' && s.Principal === '*' && referencedId(s.Resource) === topicId && String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false',
      );
    expect(denials.length).toBeGreaterThan(0);
    expect(denials.flatMap((s) => asList<string>(s.Action))).toEqual(expect.arrayContaining(['sns:Publish']));
  });
});

describe('prod (examples/prod.json): subscriptions as configured', () => {
  test('the example config names every kind of target, so these tests route something', () => {
    const { alerts } = prod.config;
    expect(alerts.pagerDutyIntegrationUrlParameter).toMatch(/^\//);
    expect(alerts.slack).toBeDefined();
    for (const severity of NOTIFYING) expect(alerts.emails[severity].length).toBeGreaterThan(0);
  });

  test.each(NOTIFYING.map((s) => [s] as const))('%s: email per the config where the severity emails, PagerDuty only where it pages', (severity) => {
    const route = SEVERITY_ROUTING[severity];
    const { alerts } = prod.config;
    const expected = [
      ...(route.email ? alerts.emails[severity].map((e) => `email ${e}`) : []),
      ...(route.pagerDuty ? [`https ${pagerDutyReference(prod)}`] : []),
    ].sort();
    expect(subscriptionsOf(prod, topicsBySeverity(prod)[severity])).toEqual(expected);
  });

  test('PagerDuty is paged from critical alone', () => {
    const paging = resourcesOfType(prod, 'AWS::SNS::Subscription').filter(([, r]) => r.Properties.Endpoint === pagerDutyReference(prod));
    expect(paging.map(([, r]) => r.Properties.Protocol)).toEqual(['https']);
    expect(referencedId(paging[0][1].Properties.TopicArn)).toBe(topicsBySeverity(prod).critical);
  });

  test('the PagerDuty integration URL (it carries its key) is never in the template: only its SSM parameter, resolved at deploy', () => {
    const endpoints = resourcesOfType(prod, 'AWS::SNS::Subscription').map(([, r]) => r.Properties.Endpoint);
    expect(endpoints).toContain(`{{resolve:ssm:${prod.config.alerts.pagerDutyIntegrationUrlParameter}}}`);
    expect(endpoints.filter((endpoint) => /^https?:/.test(String(endpoint)))).toEqual([]);
    expect(JSON.stringify(prod.template.toJSON())).not.toMatch(/pagerduty\.com/i);
  });

  test('no subscription outside the routing', () => {
    const expected = NOTIFYING.reduce(
      (n, s) => n + (SEVERITY_ROUTING[s].email ? prod.config.alerts.emails[s].length : 0) + (SEVERITY_ROUTING[s].pagerDuty ? 1 : 0),
      0,
    );
    expect(resourcesOfType(prod, 'AWS::SNS::Subscription')).toHaveLength(expected);
  });

  test('Slack (AWS Chatbot) posts the configured channel exactly the topics whose severity goes to Slack', () => {
    const configs = resourcesOfType(prod, CHATBOT);
    expect(configs).toHaveLength(1);
    const props = configs[0][1].Properties;
    expect({ workspace: props.SlackWorkspaceId, channel: props.SlackChannelId }).toEqual({
      workspace: prod.config.alerts.slack!.workspaceId,
      channel: prod.config.alerts.slack!.channelId,
    });
    const topics = topicsBySeverity(prod);
    const expected = NOTIFYING.filter((s) => SEVERITY_ROUTING[s].slack).map((s) => topics[s]);
    expect(expected.length).toBeGreaterThan(0);
    expect((props.SnsTopicArns as unknown[]).map(referencedId).sort()).toEqual([...expected].sort());
  });
});

describe('dev (no targets in cdk.json)', () => {
  test('the config has no targets', () => {
    const { alerts } = dev.config;
    expect(alerts.pagerDutyIntegrationUrlParameter).toBeUndefined();
    expect(alerts.slack).toBeUndefined();
    expect(Object.values(alerts.emails).flat()).toEqual([]);
  });

  test('topics exist, but nothing subscribes and there is no Slack channel', () => {
    expect(resourcesOfType(dev, 'AWS::SNS::Topic')).toHaveLength(NOTIFYING.length);
    expect(resourcesOfType(dev, 'AWS::SNS::Subscription')).toEqual([]);
    expect(resourcesOfType(dev, CHATBOT)).toEqual([]);
  });
});
