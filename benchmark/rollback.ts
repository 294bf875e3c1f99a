/**
 * Rollback benchmark (npm run bench): synthesizes the production stack, takes the controller's
 * deployed bundle from the cloud assembly, reports its size, and times a rollback event from the
 * handler call to ModifyListener issued, cold (fresh process, module load included) and warm,
 * with in-process AWS mocks. It measures this machine and this code path, not AWS's latency.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { functionBundle } from '../test/support/bundle';
import { synthAssembly } from '../test/support/synth';

const COLD_PROCESSES = Number(process.env.BENCH_COLD ?? 15);
const WARM_INVOCATIONS = Number(process.env.BENCH_WARM ?? 500);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const bundle = path.join(functionBundle(synthAssembly('prod'), 'TrafficControlController').directory, 'index.js');
const code = fs.readFileSync(bundle);

const run = (warm: number) => {
  // The bundle leaves the AWS SDK to the runtime; here the repository's node_modules stand in for it.
  const env = { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') };
  const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'rollback-invoke.ts'), bundle, String(warm)], {
    encoding: 'utf8',
    env,
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as { cold: number; sinceProcessStart: number; warm: number[] };
};

const coldRuns = Array.from({ length: COLD_PROCESSES }, () => run(0));
const colds = coldRuns.map((r) => r.cold);
const fromStart = coldRuns.map((r) => r.sinceProcessStart);
const { warm } = run(WARM_INVOCATIONS);

console.log(`controller bundle: ${code.length} bytes (${gzipSync(code).length} gzipped), AWS SDK v3 from the Lambda runtime`);
console.log(
  `cold: event → ModifyListener issued, median ${percentile(colds, 50).toFixed(1)} ms, max ${Math.max(...colds).toFixed(1)} ms over ${COLD_PROCESSES} fresh processes (bundle load included, AWS SDK already loaded)`,
);
console.log(`cold, counted from process start (node, tsx, AWS SDK load): median ${percentile(fromStart, 50).toFixed(0)} ms`);
console.log(
  `warm: event → ModifyListener issued, p50 ${percentile(warm, 50).toFixed(2)} ms, p95 ${percentile(warm, 95).toFixed(2)} ms, p99 ${percentile(warm, 99).toFixed(2)} ms over ${WARM_INVOCATIONS} invocations`,
);
