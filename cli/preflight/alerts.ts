/**
 * Whether each configured alert target can work: the PagerDuty parameter exists (its value, which
 * carries the integration key, is never read); the Slack workspace and channel (accepted by AWS Chatbot
 * in the deployed stack, else the console steps); e-mail subscriptions confirmed, once the stack has made them.
 */
import { DescribeStackResourceCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { blocker, CheckResult, errorName, passed, PreflightCheck, unchecked, warning } from './check';

/** SNS's SubscriptionArn of an e-mail subscription whose address has not clicked the link yet. */
const PENDING = 'PendingConfirmation';

export const pagerDutyCheck: PreflightCheck = {
  name: 'PagerDuty',
  service: 'SSM',
  permissions: ['ssm:DescribeParameters'],
  run: async ({ region, facts, clients }, signal) => {
    const name = facts.config.alerts.pagerDutyIntegrationUrlParameter;
    if (!name) return passed('not configured');
    const answer = await clients.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }), {
      abortSignal: signal,
    });
    const parameter = answer.Parameters?.find((p) => p.Name === name);
    // The stack reads it with an {{resolve:ssm:...}} reference, which takes String parameters only.
    const put = `aws ssm put-parameter --name ${name} --type String --value file://pagerduty-url.txt --region ${region} (a file holding the integration URL, so it stays out of your shell history)`;
    if (!parameter) return blocker(`${name} does not exist in ${region}: the deploy cannot resolve it`, put);
    if (parameter.Type !== 'String')
      return blocker(`${name} is a ${parameter.Type}, not a String: CloudFormation's {{resolve:ssm:...}} cannot read it`, `delete it and ${put}`);
    return passed(`${name} exists (String)`);
  },
};

/** The CloudFormation type of the Slack target's channel configuration. */
const SLACK_CHANNEL_TYPE = 'AWS::Chatbot::SlackChannelConfiguration';

/** A resource of a deployed template, as GetTemplate returns it. */
interface DeployedResource {
  readonly Type?: string;
  readonly Properties?: { readonly SlackWorkspaceId?: unknown; readonly SlackChannelId?: unknown };
}

export const slackCheck: PreflightCheck = {
  name: 'Slack',
  service: 'CloudFormation',
  permissions: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'cloudformation:DescribeStackResource'],
  run: async ({ facts, clients, stack }, signal) => {
    const slack = facts.config.alerts.slack;
    if (!slack) return passed('not configured');
    const target = `workspace ${slack.workspaceId}, channel ${slack.channelId}`;
    // AWS Chatbot itself is not asked (docs/design.md "Preflight"); a deployed channel configuration is AWS Chatbot's own yes.
    if (await stack()) {
      const body = (await clients.cloudformation.send(new GetTemplateCommand({ StackName: facts.stackName }), { abortSignal: signal })).TemplateBody ?? '{}';
      let resources: Record<string, DeployedResource> = {};
      try {
        resources = (JSON.parse(body) as { Resources?: Record<string, DeployedResource> }).Resources ?? {};
      } catch {
        // Not JSON: not a template this app deployed; judged as no channel configuration.
      }
      const deployed = Object.entries(resources).find(
        ([, r]) => r.Type === SLACK_CHANNEL_TYPE && r.Properties?.SlackWorkspaceId === slack.workspaceId && r.Properties?.SlackChannelId === slack.channelId,
      );
      if (deployed) {
        const detail = await clients.cloudformation.send(new DescribeStackResourceCommand({ StackName: facts.stackName, LogicalResourceId: deployed[0] }), {
          abortSignal: signal,
        });
        const status = detail.StackResourceDetail?.ResourceStatus ?? '';
        if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE') {
          return passed(
            `${target}: AWS Chatbot accepted the stack's channel configuration (${status}); if alerts stop arriving, check that the app (@Amazon Q, formerly @aws) is still in the channel`,
          );
        }
      }
    }
    return unchecked(
      `${target}: preflight cannot ask AWS Chatbot before it has accepted the stack's channel configuration; a deploy fails there if the workspace is not authorized`,
      `AWS Chatbot console > Configured clients must list Slack workspace ${slack.workspaceId} (else Configure new client > Slack); in a private channel, type /invite @Amazon Q (formerly @aws)`,
    );
  },
};

export const emailCheck: PreflightCheck = {
  name: 'e-mail',
  service: 'SNS',
  permissions: ['sns:ListSubscriptionsByTopic', 'cloudformation:DescribeStacks'],
  run: async ({ region, caller, facts, clients, stack }, signal): Promise<CheckResult> => {
    const configured = Object.values(facts.config.alerts.emails).flat();
    const pagerDuty = facts.config.alerts.pagerDutyIntegrationUrlParameter;
    if (configured.length === 0 && !pagerDuty) return passed('not configured');
    if (!(await stack()))
      return unchecked(
        'not deployed yet: after the first deploy each address gets a mail from AWS Notifications whose link it must click; run preflight again then',
      );
    const partition = caller.arn.split(':')[1];
    const pending: string[] = [];
    // PagerDuty's https subscription confirms itself at once; one still pending means SNS could not reach the URL (its endpoint is never printed).
    const unconfirmedPages: string[] = [];
    let topics = 0;
    for (const topic of facts.topicNames) {
      const topicArn = `arn:${partition}:sns:${region}:${caller.account}:${topic}`;
      let nextToken: string | undefined;
      do {
        const page = await clients.sns
          .send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: nextToken }), { abortSignal: signal })
          .catch((error: unknown) => {
            // A topic this version adds that the deployed stack lacks yet: its subscriptions come with the deploy.
            if (errorName(error) === 'NotFoundException' || errorName(error) === 'NotFound') return undefined;
            throw error;
          });
        if (!page) break;
        if (nextToken === undefined) topics++;
        for (const s of page.Subscriptions ?? []) {
          if (s.SubscriptionArn !== PENDING) continue;
          if (s.Protocol === 'email') pending.push(`${s.Endpoint} (${topic})`);
          if (s.Protocol === 'https') unconfirmedPages.push(topic);
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    if (unconfirmedPages.length > 0)
      return blocker(
        `PagerDuty's subscription of ${unconfirmedPages.join(', ')} is not confirmed, so critical pages do not reach PagerDuty: SNS could not confirm the integration URL in ${pagerDuty}`,
        `check the URL in PagerDuty and put it again without a trailing newline or space (README "First deploy", step 7), then deploy again`,
      );
    if (pending.length === 0) return passed(`every e-mail subscription of ${topics} alert topic${topics === 1 ? '' : 's'} is confirmed`);
    return warning(
      `${pending.length} subscription${pending.length === 1 ? '' : 's'} wait for confirmation and get no alert until then: ${pending.join(', ')}`,
      `each address clicks "Confirm subscription" in the mail from AWS Notifications (look in spam too); for a lost mail: SNS console > Subscriptions > the pending one > Request confirmation`,
    );
  },
};
