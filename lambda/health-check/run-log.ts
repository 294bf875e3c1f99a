import { SLOTS } from '../../common/slots';
import { CheckResult, NotChecked, wasChecked } from './check-result';
import { GreenServiceReading } from './green-service';
import { HealthReport } from './run';

/** The one log line of a run: whether everything checked passed, every check's verdict and reason, and why a check was left out. */
export interface RunLogLine {
  readonly healthy: boolean;
  readonly message: string;
  readonly fields: {
    readonly ms: number;
    readonly checks: Readonly<Record<string, CheckResult | NotChecked>>;
    /** Whether green's service runs tasks, or why that could not be read (green is then checked). */
    readonly greenService: GreenServiceReading;
  };
}

/** A run as one structured line; the logger redacts it again on the way out. */
export function runLogLine(report: HealthReport): RunLogLine {
  const { boopApi, vendorWebSocket, slots, keyRotation, greenService } = report.results;
  const checks: Record<string, CheckResult | NotChecked> = {
    boopApi,
    vendorWebSocket,
    ...Object.fromEntries(SLOTS.map((slot) => [`${slot}Slot`, slots[slot]])),
    keyRotation,
  };
  const entries = Object.entries(checks);
  const failed = entries.filter((entry): entry is [string, CheckResult] => wasChecked(entry[1]) && !entry[1].healthy);
  const leftOut = entries.flatMap(([, result]) => (wasChecked(result) ? [] : [result.reason]));
  const verdict =
    failed.length === 0 ? 'health check: all passed' : `health check: ${failed.map(([name, result]) => `${name} ${result.failure ?? 'failed'}`).join(', ')}`;
  // A green checked only because its service could not be read says so: the fail-safe is visible, not silent.
  const message = [verdict, ...leftOut, ...(greenService.known ? [] : [greenService.reason])].join('; ');
  return { healthy: failed.length === 0, message, fields: { ms: report.ms, checks, greenService } };
}
