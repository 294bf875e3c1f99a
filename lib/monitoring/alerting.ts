import { ArnFormat, CfnDynamicReference, CfnDynamicReferenceService, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { environmentNames } from '../../common/names';
import { AlertTargetsConfig } from '../config/environment-config';
import { NOTIFYING_SEVERITIES, NotifyingSeverity, SEVERITY_ROUTING } from './thresholds';

const KEY_DELETION_WINDOW = Duration.days(30);
const CLOUDWATCH = new iam.ServicePrincipal('cloudwatch.amazonaws.com');

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
    const stack = Stack.of(this);
    const severities = NOTIFYING_SEVERITIES as NotifyingSeverity[];
    const names = environmentNames(props.envName);
    this.key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the ${names.prefix} alert topics`,
      enableKeyRotation: true,
      pendingWindow: KEY_DELETION_WINDOW,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // CloudWatch publishes alarm notifications itself, so it needs the key (the AWS-managed SNS key cannot grant that).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsUseTheKeyForTheseTopicsOnly',
        principals: [CLOUDWATCH],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // CloudWatch documents no aws:Source* key on these KMS calls, so scope by the topic SNS names in every call's encryption context.
        conditions: {
          StringEquals: {
            'kms:EncryptionContext:aws:sns:topicArn': severities.map((s) =>
              stack.formatArn({ service: 'sns', resource: names.alertTopic(s), arnFormat: ArnFormat.NO_RESOURCE_NAME }),
            ),
          },
        },
      }),
    );
    const thisEnvironmentsAlarms = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${names.alarmPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const topics = {} as Record<NotifyingSeverity, sns.Topic>;
    for (const severity of severities) {
      const route = SEVERITY_ROUTING[severity];
      const topic = new sns.Topic(this, `${severity}Topic`, {
        topicName: names.alertTopic(severity),
        displayName: `BOOP ${props.envName} ${severity} alerts`,
        masterKey: this.key,
        enforceSSL: true,
      });
      // The TLS-only policy replaces SNS's default one, so CloudWatch must be let in: this account's alarms of this environment only.
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsOfThisEnvironmentPublish',
          principals: [CLOUDWATCH],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: { 'aws:SourceArn': thisEnvironmentsAlarms },
          },
        }),
      );
      if (route.email) {
        for (const email of targets.emails[severity as keyof AlertTargetsConfig['emails']] ?? []) {
          topic.addSubscription(new subscriptions.EmailSubscription(email));
        }
      }
      if (route.pagerDuty && targets.pagerDutyIntegrationUrlParameter) {
        // The integration URL carries its key, so CloudFormation reads it from SSM at deploy time and the template holds only the name (SNS takes no ssm-secure).
        const integrationUrl = new CfnDynamicReference(CfnDynamicReferenceService.SSM, targets.pagerDutyIntegrationUrlParameter).toString();
        new sns.Subscription(topic, 'PagerDuty', { topic, endpoint: integrationUrl, protocol: sns.SubscriptionProtocol.HTTPS });
      }
      topics[severity] = topic;
    }
    this.topics = topics;

    if (targets.slack) {
      new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: names.chatChannel,
        slackWorkspaceId: targets.slack.workspaceId,
        slackChannelId: targets.slack.channelId,
        notificationTopics: severities.filter((s) => SEVERITY_ROUTING[s].slack).map((s) => topics[s]),
        // The channel only receives notifications; nobody can run AWS commands from Slack.
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
      });
    }
  }
}
