import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AlertTargetsConfig } from './config/environment-config';
import { NOTIFYING_SEVERITIES, NotifyingSeverity, SEVERITY_ROUTING } from './thresholds';

const KEY_DELETION_WINDOW = Duration.days(30);

export interface AlertingProps {
  /** The environment's name, part of every topic name. */
  readonly envName: string;
  /** Who is told about each severity. */
  readonly targets: AlertTargetsConfig;
  /** What happens to the topics' key when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One encrypted SNS topic per notifying severity, subscribed as the monitoring guide routes them:
 * critical pages (PagerDuty) and goes to Slack and email, high to Slack and email, medium to email.
 */
export class Alerting extends Construct {
  public readonly topics: Readonly<Record<NotifyingSeverity, sns.Topic>>;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { targets } = props;
    this.key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the boop-${props.envName} alert topics`,
      enableKeyRotation: true,
      pendingWindow: KEY_DELETION_WINDOW,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // CloudWatch publishes alarm notifications itself, so it needs the key (the AWS-managed SNS key cannot grant that).
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      // Only this account's alarms, not CloudWatch acting for anyone else.
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));

    const topics = {} as Record<NotifyingSeverity, sns.Topic>;
    for (const severity of NOTIFYING_SEVERITIES as NotifyingSeverity[]) {
      const route = SEVERITY_ROUTING[severity];
      const topic = new sns.Topic(this, `${severity}Topic`, {
        topicName: `boop-${props.envName}-alerts-${severity}`,
        displayName: `BOOP ${props.envName} ${severity} alerts`,
        masterKey: this.key,
        enforceSSL: true,
      });
      if (route.email) {
        for (const email of targets.emails[severity as keyof AlertTargetsConfig['emails']] ?? []) {
          topic.addSubscription(new subscriptions.EmailSubscription(email));
        }
      }
      if (route.pagerDuty && targets.pagerDutyIntegrationUrl) {
        topic.addSubscription(new subscriptions.UrlSubscription(targets.pagerDutyIntegrationUrl, { protocol: sns.SubscriptionProtocol.HTTPS }));
      }
      topics[severity] = topic;
    }
    this.topics = topics;

    if (targets.slack) {
      new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: `boop-${props.envName}-alerts`,
        slackWorkspaceId: targets.slack.workspaceId,
        slackChannelId: targets.slack.channelId,
        notificationTopics: (NOTIFYING_SEVERITIES as NotifyingSeverity[]).filter((s) => SEVERITY_ROUTING[s].slack).map((s) => topics[s]),
        // The channel only receives notifications; nobody can run AWS commands from Slack.
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
      });
    }
  }
}
