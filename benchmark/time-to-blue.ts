/**
 * The worst case from the first bad minute to blue alone, per alarm that rolls green back, from the
 * synthesized prod template: the member alarms of the rollback composite, each with its period and
 * datapoints to alarm as deployed, plus what AWS adds (stated as assumptions, below) plus the
 * measured handler time. Beside it, the guides' own figures and whether the alarm meets them.
 */
import { environmentNames } from '../common/names';
import { DETECTION_TARGET_MINUTES, ROLLBACK_AFTER_CONSECUTIVE_FAILURES } from '../lib/guides';
import { Assembly } from '../test/support/synth';
import { Cfn, resourcesOfType } from '../test/support/resources';
import { ROLLBACK_ALARMS } from './rows';
import { ALLOWANCES } from './allowances';

/** CloudWatch's shortest standard period: an alarm with a shorter one is high-resolution. */
const STANDARD_PERIOD_SECONDS = 60;

/** How long CloudWatch takes from the end of an alarm's last bad datapoint to ALARM, at worst. */
export function cloudWatchAllowanceSeconds(periodSeconds: number): number {
  const evaluation = periodSeconds < STANDARD_PERIOD_SECONDS ? ALLOWANCES.alarmEvaluation.highResolutionSeconds : ALLOWANCES.alarmEvaluation.seconds;
  return ALLOWANCES.metricIngestion.seconds + evaluation;
}

/** One rollback alarm as deployed. */
export interface DeployedRollbackAlarm {
  /** Which rollback alarm: its name's stable part, a threshold row's or a fast rollback alarm's (`SERVICE_DOWN_10S`). */
  readonly row: string;
  readonly alarmName: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

/** One row's worst case, in seconds, and its verdicts against the guides. */
export interface TimeToBlue {
  readonly alarm: DeployedRollbackAlarm;
  /** First bad minute → ALARM: the bad periods, then CloudWatch's allowance. */
  readonly detectSeconds: number;
  /** First bad minute → blue alone: detection, EventBridge's allowance, the measured handler. */
  readonly totalSeconds: number;
  /** MON "Success Metrics": detected within DETECTION_TARGET_MINUTES. */
  readonly meetsDetection: boolean;
  /** How long the alarm's bad datapoints last, in minutes: the guide's failed checks, read as one a minute. */
  readonly badMinutes: number;
  /** MIG "Automatic Rollback Triggers": rolled back after at most ROLLBACK_AFTER_CONSECUTIVE_FAILURES bad checks. */
  readonly meetsConsecutiveFailures: boolean;
}

/** An alarm's period: its own, or for metric math the longest of its metrics'. */
function periodOf(properties: Cfn): number {
  if (typeof properties.Period === 'number') return properties.Period;
  const periods = ((properties.Metrics ?? []) as Cfn[]).map((m) => m.MetricStat?.Period).filter((p): p is number => typeof p === 'number');
  if (periods.length === 0) throw new Error(`alarm ${properties.AlarmName} has no period in the template`);
  return Math.max(...periods);
}

/**
 * The rollback composite's member alarms, read from the template: the composite's rule names each
 * member by Fn::GetAtt; each member's name says which threshold row and slot it is.
 */
export function deployedRollbackAlarms(assembly: Pick<Assembly, 'resources'>): DeployedRollbackAlarm[] {
  const names = environmentNames('prod');
  const composite = resourcesOfType(assembly, 'AWS::CloudWatch::CompositeAlarm').find(([, r]) => r.Properties.AlarmName === names.rollbackAlarm);
  if (!composite) throw new Error(`the prod template has no composite alarm ${names.rollbackAlarm}`);
  const memberIds = [...JSON.stringify(composite[1].Properties.AlarmRule).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)].map((m) => m[1]);
  const members = memberIds.map((id) => {
    const resource = assembly.resources[id];
    if (resource?.Type !== 'AWS::CloudWatch::Alarm') throw new Error(`${names.rollbackAlarm} names ${id}, which is not a metric alarm of the template`);
    const p = resource.Properties;
    const row = ROLLBACK_ALARMS.find((r) => p.AlarmName === names.alarm(r, 'green'));
    if (!row)
      throw new Error(
        `${names.rollbackAlarm} has member ${p.AlarmName}, which is no rollback row's green alarm nor its fast one (lib/monitoring/thresholds.ts rollsGreenBack, fastRollback)`,
      );
    return {
      row,
      alarmName: p.AlarmName,
      periodSeconds: periodOf(p),
      evaluationPeriods: p.EvaluationPeriods,
      datapointsToAlarm: p.DatapointsToAlarm ?? p.EvaluationPeriods,
    };
  });
  const missing = ROLLBACK_ALARMS.filter((r) => !members.some((m) => m.row === r));
  if (missing.length > 0)
    throw new Error(`${names.rollbackAlarm} does not include the green alarm ${missing.join(', ')}, which lib/monitoring/thresholds.ts says rolls green back`);
  return ROLLBACK_ALARMS.map((r) => members.find((m) => m.row === r)!);
}

/** Each rollback alarm's worst case to blue alone, with the handler's measured event → verified time (cold) added. */
export function timesToBlue(alarms: readonly DeployedRollbackAlarm[], handlerSeconds: number): TimeToBlue[] {
  return alarms.map((alarm) => {
    const badSeconds = alarm.periodSeconds * alarm.datapointsToAlarm;
    const detectSeconds = badSeconds + cloudWatchAllowanceSeconds(alarm.periodSeconds);
    const badMinutes = badSeconds / 60;
    return {
      alarm,
      detectSeconds,
      totalSeconds: detectSeconds + ALLOWANCES.eventDelivery.seconds + handlerSeconds,
      meetsDetection: detectSeconds <= DETECTION_TARGET_MINUTES * 60,
      badMinutes,
      meetsConsecutiveFailures: badMinutes <= ROLLBACK_AFTER_CONSECUTIVE_FAILURES,
    };
  });
}
