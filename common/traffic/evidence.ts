/**
 * What a rise or a promotion is judged on besides the record: green's healthy targets and the
 * rollback alarm's state and history. The controller and `rollout plan` read it with this one code.
 */
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EvidenceQuery, RiseEvidence } from './policy';

/** The clients the evidence is read with. */
export interface EvidenceClients {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
}

/** Where the evidence lives. */
export interface EvidenceSources {
  readonly greenTargetGroupArn: string;
  /** The composite alarm that rolls green back. */
  readonly rollbackAlarmName: string;
}

/** Reads green's target health and the rollback alarm's state, and its history from `query.alarmHistorySince` to `now`. */
export async function readRiseEvidence(
  clients: EvidenceClients,
  sources: EvidenceSources,
  query: EvidenceQuery,
  now: Date,
  abortSignal?: AbortSignal,
): Promise<RiseEvidence> {
  const options = { abortSignal };
  const alarmName = sources.rollbackAlarmName;
  const [health, alarms, firedSinceStepStart] = await Promise.all([
    clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: sources.greenTargetGroupArn }), options),
    // Both types: the composite in the stack, or a metric alarm standing in for it where composites do not exist.
    clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }), options),
    query.alarmHistorySince ? alarmFiredSince(clients.cloudwatch, alarmName, query.alarmHistorySince, now, abortSignal) : Promise.resolve(false),
  ]);
  const alarm = [...(alarms.CompositeAlarms ?? []), ...(alarms.MetricAlarms ?? [])].find((a) => a.AlarmName === alarmName);
  return {
    greenHealthyTargets: (health.TargetHealthDescriptions ?? []).filter((t) => t.TargetHealth?.State === 'healthy').length,
    rollbackAlarmFound: alarm !== undefined,
    rollbackAlarmInAlarm: alarm?.StateValue === 'ALARM',
    rollbackAlarmFiredSinceStepStart: firedSinceStepStart,
  };
}

/** Whether the alarm entered ALARM between `since` and `until` (its state history). */
async function alarmFiredSince(cloudwatch: CloudWatchClient, alarmName: string, since: Date, until: Date, abortSignal?: AbortSignal): Promise<boolean> {
  let nextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: alarmName,
        AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
        HistoryItemType: 'StateUpdate',
        StartDate: since,
        EndDate: until,
        NextToken: nextToken,
      }),
      { abortSignal },
    );
    if ((page.AlarmHistoryItems ?? []).some((item) => enteredAlarm(item.HistoryData))) return true;
    nextToken = page.NextToken;
  } while (nextToken);
  return false;
}

/** A StateUpdate history item whose new state is ALARM. */
function enteredAlarm(historyData: string | undefined): boolean {
  try {
    return JSON.parse(historyData ?? '{}')?.newState?.stateValue === 'ALARM';
  } catch {
    return false;
  }
}
