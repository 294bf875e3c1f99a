/**
 * The bench's output: a line naming the machine, one markdown table with a row for each name of
 * BENCH_ROWS in that order, and the assumptions the time-to-blue rows rest on. A row the bench
 * measured but the list does not name, or the other way round, is an error, not a quiet gap.
 */
import * as os from 'os';
import { DETECTION_TARGET_MINUTES, ROLLBACK_AFTER_CONSECUTIVE_FAILURES } from '../lib/guides';
import { ALLOWANCES } from './allowances';
import { BENCH_ROWS } from './rows';

/** One row's cells after its name. */
export interface RowCells {
  /** The figure: a median, a size, or the computed worst case. */
  readonly value: string;
  /** How many runs the median is of ("—" for what does not vary, such as a size). */
  readonly runs: string;
  /** What was timed, or what the figure is made of. */
  readonly how: string;
  /** Measured here, or computed from what AWS is assumed to add. @default MEASURED_HERE */
  readonly basis?: string;
  /** Against the monitoring guide's detection target; time-to-blue rows only. */
  readonly detection?: string;
  /** Against the migration guide's consecutive failures; time-to-blue rows only. */
  readonly consecutiveFailures?: string;
}

/** The basis of a figure timed or sized on the machine in the line above the table. */
export const MEASURED_HERE = 'measured on this machine';

/** The basis of the time-to-blue rows: AWS's share is assumed, and only an account can measure it. */
export function computedBasis(): string {
  const { metricIngestion, alarmEvaluation, eventDelivery } = ALLOWANCES;
  return (
    `computed from assumed allowances: ${metricIngestion.seconds} s ${metricIngestion.what}, ` +
    `${alarmEvaluation.seconds} s (${alarmEvaluation.highResolutionSeconds} s high-resolution) ${alarmEvaluation.what}, ` +
    `${eventDelivery.seconds} s ${eventDelivery.what}; npm run rollout -- rehearse measures the composite's evaluation and the delivery on an account, not the ingestion (that needs errors on green)`
  );
}

const HEADER = [
  'figure',
  'median',
  'measured or computed',
  'runs',
  'what is timed, or what it is made of',
  `guide: detected within ${DETECTION_TARGET_MINUTES} min (Monitoring Overview, "Success Metrics", MTTD)`,
  `guide: rolled back after ${ROLLBACK_AFTER_CONSECUTIVE_FAILURES} consecutive failures (Migration Overview, "Automatic Rollback Triggers")`,
];

/** The machine, in the line above the table: CPU, cores, Node, date, and how busy it was. */
export function machineLine(now: Date): string {
  const cpus = os.cpus();
  const load = os.loadavg()[0].toFixed(2);
  return `Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ${now.toISOString().slice(0, 10)} (load average ${load} at the start)`;
}

/** The table, one row per name of BENCH_ROWS, from the cells measured for each. */
export function renderTable(cells: ReadonlyMap<string, RowCells>): string {
  const unlisted = [...cells.keys()].filter((name) => !BENCH_ROWS.includes(name));
  const missing = BENCH_ROWS.filter((name) => !cells.has(name));
  if (unlisted.length > 0 || missing.length > 0) {
    throw new Error(`the bench's rows differ from benchmark/rows.ts: unlisted ${JSON.stringify(unlisted)}, missing ${JSON.stringify(missing)}`);
  }
  const line = (values: readonly string[]) => `| ${values.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    line(HEADER),
    line(HEADER.map(() => '---')),
    ...BENCH_ROWS.map((name) => {
      const c = cells.get(name)!;
      return line([name, c.value, c.basis ?? MEASURED_HERE, c.runs, c.how, c.detection ?? '', c.consecutiveFailures ?? '']);
    }),
  ].join('\n');
}

/** The allowances behind the time-to-blue rows, one line each with its source. */
export function assumptionLines(): string[] {
  return [
    'Assumptions of the "first bad minute → blue alone" rows (benchmark/time-to-blue.ts ALLOWANCES), none measured on an account; `npm run rollout -- rehearse --env <a non-production env>` measures the evaluation and delivery on yours (its line `time-to-blue-alone`; the ingestion is not measured, and its line `high-resolution-probe` says why; docs/design.md "Rollback"):',
    ...Object.values(ALLOWANCES).map((a) => {
      const highResolution = 'highResolutionSeconds' in a ? ` (${a.highResolutionSeconds} s for a high-resolution alarm)` : '';
      return `- ${a.what}: ${a.seconds} s${highResolution}. ${a.why}.`;
    }),
  ];
}

/** Seconds, for synth times. */
export const seconds = (s: number) => `${s.toFixed(1)} s`;

/** Milliseconds with the digits that mean something at that size. */
export function milliseconds(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A worst case in minutes and seconds. */
export function minutesSeconds(totalSeconds: number): string {
  const minutes = Math.floor(totalSeconds / 60);
  const rest = totalSeconds - minutes * 60;
  const restText = Number.isInteger(rest) ? `${rest} s` : `${rest.toFixed(1)} s`;
  return minutes === 0 ? restText : `${minutes} min ${restText}`;
}

/** A size in kB (1000 bytes), raw and gzipped. */
export const kilobytes = (raw: number, gzipped: number) => `${(raw / 1000).toFixed(1)} kB (${(gzipped / 1000).toFixed(1)} kB gzipped)`;
