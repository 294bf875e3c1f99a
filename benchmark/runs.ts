/**
 * How many runs each figure of `npm run bench` is the median of, each overridable by an
 * environment variable (e.g. `BENCH_COLD=3 npm run bench` for a quick look). The defaults keep the
 * whole bench within about five minutes on a 2-core machine.
 */

/** The run counts, by what they count. */
export const RUN_DEFAULTS = {
  /** `cdk synth` of dev, prod and the bare app, each. */
  BENCH_SYNTH_RUNS: 5,
  /** Fresh processes for each cold figure (cold init, rollback cold). */
  BENCH_COLD: 9,
  /** Warm rollback invocations in one process, in-process mocks. */
  BENCH_WARM: 200,
  /** Warm rollback invocations in one process, over the wire to moto (each also resets the listener). */
  BENCH_WIRE_WARM: 31,
  /** Health-check runs with everything healthy. */
  BENCH_HEALTHY_RUNS: 30,
  /** Health-check runs with everything hanging (each takes the whole timeout). */
  BENCH_HANGING_RUNS: 3,
} as const;
export type RunCountName = keyof typeof RUN_DEFAULTS;

/** The run counts, each from its environment variable when set; anything but a whole number ≥ 1 is refused. */
export function runCounts(env: NodeJS.ProcessEnv = process.env): Record<RunCountName, number> {
  const counts = { ...RUN_DEFAULTS } as Record<RunCountName, number>;
  for (const name of Object.keys(RUN_DEFAULTS) as RunCountName[]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${name}=${raw} is not a run count: give a whole number of 1 or more, e.g. ${name}=${RUN_DEFAULTS[name]}`);
    counts[name] = value;
  }
  return counts;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
