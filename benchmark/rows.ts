/**
 * The rows of `npm run bench`'s table, by name and in order: the bench prints exactly these, and
 * test/bench-table.test.ts checks that docs/figures.md's table has exactly these. Plain data (no CDK,
 * no synth), so the test stays fast.
 */
import { fastRollbackOf, THRESHOLDS } from '../lib/monitoring/thresholds';

/** The functions of the stack whose bundle and cold init are measured, and the logical-id prefix that finds each in the assembly. */
export const BENCH_FUNCTIONS = [
  { label: 'traffic controller', idPrefix: 'TrafficControlController' },
  { label: 'health check', idPrefix: 'HealthCheckFunction' },
  { label: 'API-key check', idPrefix: 'ApiKeysCheck' },
] as const;
export type BenchFunction = (typeof BENCH_FUNCTIONS)[number]['label'];

/** The environments synthesized, and the bare app they are compared with. */
export const SYNTH_TARGETS = ['dev', 'prod', 'bare'] as const;
export type SynthTarget = (typeof SYNTH_TARGETS)[number];

/** Where the rollback handler's AWS calls go: in-process mocks, or moto's server over HTTP. */
export const ROLLBACK_BACKENDS = ['in-process mocks', 'moto over the wire'] as const;
export type RollbackBackend = (typeof ROLLBACK_BACKENDS)[number];
export const ROLLBACK_STARTS = ['cold', 'warm'] as const;
export type RollbackStart = (typeof ROLLBACK_STARTS)[number];
/** How far a rollback has got: the write sent, or the read-back that shows blue alone answered. */
export const ROLLBACK_MILESTONES = ['ModifyListener issued', 'verified'] as const;
export type RollbackMilestone = (typeof ROLLBACK_MILESTONES)[number];

export const HEALTH_CHECK_CASES = ['all healthy', 'everything hanging'] as const;
export type HealthCheckCase = (typeof HEALTH_CHECK_CASES)[number];

/** The green alarms that roll green back, by their name's stable part: each rollback row, then its fast alarm; one time-to-blue row each. */
export const ROLLBACK_ALARMS: readonly string[] = THRESHOLDS.filter((row) => row.rollsGreenBack).flatMap((row) => {
  const fast = fastRollbackOf(row);
  return fast ? [row.name, fast.name] : [row.name];
});

const SYNTH_ROW: Record<SynthTarget, string> = {
  dev: 'synth, dev',
  prod: 'synth, prod (examples/prod.json)',
  bare: 'synth, bare CDK app with one NodejsFunction',
};

/** Each row's name, built from the measured thing, so the bench and the test spell it the same way. */
export const rowName = {
  synth: (target: SynthTarget) => SYNTH_ROW[target],
  bundle: (fn: BenchFunction) => `bundle size, ${fn}`,
  coldInit: (fn: BenchFunction) => `cold init, ${fn}`,
  rollback: (backend: RollbackBackend, start: RollbackStart, milestone: RollbackMilestone) => `rollback, ${backend}, ${start}: event → ${milestone}`,
  healthCheck: (which: HealthCheckCase) => `health-check run, ${which}`,
  timeToBlue: (alarmRow: string) => `first bad minute → blue alone, ${alarmRow} (green)`,
};

/** Every row of the table, in the order printed. */
export const BENCH_ROWS: readonly string[] = [
  ...SYNTH_TARGETS.map(rowName.synth),
  ...BENCH_FUNCTIONS.map((f) => rowName.bundle(f.label)),
  ...BENCH_FUNCTIONS.map((f) => rowName.coldInit(f.label)),
  ...ROLLBACK_BACKENDS.flatMap((backend) =>
    ROLLBACK_STARTS.flatMap((start) => ROLLBACK_MILESTONES.map((milestone) => rowName.rollback(backend, start, milestone))),
  ),
  ...HEALTH_CHECK_CASES.map(rowName.healthCheck),
  ...ROLLBACK_ALARMS.map(rowName.timeToBlue),
];
