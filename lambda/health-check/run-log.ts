import { SLOTS } from '../../common/slots';
import { CheckResult } from './check-result';
import { HealthReport } from './run';

/** The one log line of a run: whether everything passed, and every check's verdict and reason. */
export interface RunLogLine {
  readonly healthy: boolean;
  readonly message: string;
  readonly fields: { readonly ms: number; readonly checks: Readonly<Record<string, CheckResult>> };
}

/** A run as one structured line; the logger redacts it again on the way out. */
export function runLogLine(report: HealthReport): RunLogLine {
  const { boopApi, vendorWebSocket, slots, keyRotation } = report.results;
  const checks: Record<string, CheckResult> = {
    boopApi,
    vendorWebSocket,
    ...Object.fromEntries(SLOTS.map((slot) => [`${slot}Slot`, slots[slot]])),
    keyRotation,
  };
  const failed = Object.entries(checks).filter(([, result]) => !result.healthy);
  const message =
    failed.length === 0 ? 'health check: all passed' : `health check: ${failed.map(([name, result]) => `${name} ${result.failure ?? 'failed'}`).join(', ')}`;
  return { healthy: failed.length === 0, message, fields: { ms: report.ms, checks } };
}
