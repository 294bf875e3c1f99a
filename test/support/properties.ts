/**
 * How every property test draws its cases: from one fixed seed, so a run's verdict never depends
 * on a random draw. `FC_SEED=<integer>` explores another seed and `FC_NUM_RUNS=<n>` changes how
 * many cases each property tries. A failure prints fast-check's seed and path; keep the case it
 * found as a named regression in its test file.
 */
import fc from 'fast-check';

/** The seed of every property test unless FC_SEED names another. */
export const DEFAULT_SEED = 20_261_207;

/** fast-check's parameters for every property from these environment variables; a bad value throws, naming it. */
export function propertyParameters(env: NodeJS.ProcessEnv): { seed: number; numRuns?: number } {
  const seed = integer(env, 'FC_SEED', -(2 ** 31), 2 ** 31 - 1) ?? DEFAULT_SEED;
  const numRuns = integer(env, 'FC_NUM_RUNS', 1, 1_000_000);
  return numRuns === undefined ? { seed } : { seed, numRuns };
}

/** A property's number of runs: its own unless FC_NUM_RUNS says otherwise. */
export function numRuns(own: number): number {
  return integer(process.env, 'FC_NUM_RUNS', 1, 1_000_000) ?? own;
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name}=${text}: give an integer from ${min} to ${max}, or unset it`);
  return value;
}

/** Configures fast-check for this test file; jest runs it before each file (jest.config.js setupFiles). */
export function configurePropertyTests(): void {
  fc.configureGlobal(propertyParameters(process.env));
}
