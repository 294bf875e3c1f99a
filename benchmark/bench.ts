/**
 * `npm run bench`: measures this machine and this code, and prints one markdown table to stdout
 * (progress goes to stderr): synth time against a bare app, each function's bundle and cold init,
 * the rollback handler with mocks and over the wire, the health check's run, and each rollback
 * alarm's worst case from the first bad minute to blue alone beside the guides' figures.
 * Run counts: benchmark/runs.ts (BENCH_* variables).
 */
import * as fs from 'fs';
import { performance } from 'perf_hooks';
import { ROLLBACK_AFTER_CONSECUTIVE_FAILURES } from '../lib/guides';
import { assumptionLines, computedBasis, kilobytes, machineLine, milliseconds, minutesSeconds, renderTable, RowCells, seconds } from './table';
import { measureBundles, readAssembly } from './bundles';
import { CHECK_TIMEOUT_MS, measureHealthCheck } from './health-check';
import { measureRollback, RollbackMedians } from './rollback';
import { GREEN_BEFORE_ROLLBACK } from './rollback-world';
import { BENCH_FUNCTIONS, HEALTH_CHECK_CASES, ROLLBACK_BACKENDS, ROLLBACK_MILESTONES, ROLLBACK_STARTS, RollbackBackend, rowName, SYNTH_TARGETS } from './rows';
import { runCounts } from './runs';
import { benchWorkDir, measureSynth } from './synth-time';
import { ALLOWANCES } from './allowances';
import { cloudWatchAllowanceSeconds, deployedRollbackAlarms, timesToBlue } from './time-to-blue';

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** What each rollback row times, by backend and start. */
const ROLLBACK_HOW: Record<RollbackBackend, Record<'cold' | 'warm', string>> = {
  'in-process mocks': {
    cold: 'fresh process: the bundle load and the first event; AWS SDK loaded before (the mocks patch it)',
    warm: `one process, green put back at ${GREEN_BEFORE_ROLLBACK} % between events`,
  },
  'moto over the wire': {
    cold: 'fresh process: AWS SDK and bundle load, the first event; HTTP to moto on 127.0.0.1 through a timing proxy',
    warm: `one process, green put back at ${GREEN_BEFORE_ROLLBACK} % between events; HTTP to moto`,
  },
};

async function main(): Promise<void> {
  const started = performance.now();
  const counts = runCounts();
  const machine = machineLine(new Date());
  const workDir = benchWorkDir();
  const cells = new Map<string, RowCells>();
  try {
    const synth = measureSynth(counts.BENCH_SYNTH_RUNS, workDir, progress);
    for (const target of SYNTH_TARGETS) {
      const ratio = (synth.seconds[target] / synth.seconds.bare).toFixed(2);
      const how =
        target === 'bare'
          ? "one NodejsFunction with the defaults, this repo's node_modules, esbuild locally (no Docker)"
          : `${ratio} × the bare app; \`env -i PATH HOME=<tmp> npx cdk synth -q\`, functions bundled by esbuild locally`;
      cells.set(rowName.synth(target), { value: seconds(synth.seconds[target]), runs: String(synth.runs), how });
    }

    const assembly = readAssembly(synth.prodAssembly, 'prod');
    const bundles = measureBundles(assembly, counts.BENCH_COLD, progress);
    for (const { label } of BENCH_FUNCTIONS) {
      const b = bundles[label];
      cells.set(rowName.bundle(label), {
        value: kilobytes(b.bytes, b.gzippedBytes),
        runs: '—',
        how: 'index.js of the prod assembly (source map aside); the AWS SDK comes from the Lambda runtime',
      });
      cells.set(rowName.coldInit(label), {
        value: milliseconds(b.coldInitMs),
        runs: String(counts.BENCH_COLD),
        how: 'fresh Node process: require of the bundle with its deployed variables, AWS SDK load included',
      });
    }

    const rollback = await measureRollback(
      bundles['traffic controller'],
      { cold: counts.BENCH_COLD, warm: counts.BENCH_WARM, wireWarm: counts.BENCH_WIRE_WARM },
      workDir,
      progress,
    );
    for (const backend of ROLLBACK_BACKENDS) {
      const figures = backend === 'in-process mocks' ? rollback.mocks : rollback.wire;
      for (const start of ROLLBACK_STARTS) {
        for (const milestone of ROLLBACK_MILESTONES) {
          const name = rowName.rollback(backend, start, milestone);
          if ('skipped' in figures) {
            cells.set(name, { value: 'moto not installed', runs: '—', how: figures.skipped });
            continue;
          }
          const timing = start === 'cold' ? figures.cold : figures.warm;
          cells.set(name, {
            value: milliseconds(milestone === 'verified' ? timing.verified : timing.issued),
            runs: String(start === 'cold' ? figures.coldRuns : figures.warmRuns),
            how: ROLLBACK_HOW[backend][start],
          });
        }
      }
    }

    const health = await measureHealthCheck({ healthy: counts.BENCH_HEALTHY_RUNS, hanging: counts.BENCH_HANGING_RUNS }, progress);
    for (const which of HEALTH_CHECK_CASES) {
      cells.set(rowName.healthCheck(which), {
        value: milliseconds(health[which].ms),
        runs: String(health[which].runs),
        how:
          which === 'all healthy'
            ? 'local BOOP API, WebSocket and load balancer (TLS), SSM and ECS mocked; after one warm-up run'
            : `BOOP, the WebSocket, both slots, SSM and ECS never answer; the default ${CHECK_TIMEOUT_MS / 1000} s timeout`,
      });
    }

    // Over the wire is the nearer to AWS; the mocks stand in when moto cannot run.
    const handler: { figures: RollbackMedians; label: string } =
      'skipped' in rollback.wire ? { figures: rollback.mocks, label: 'in-process mocks' } : { figures: rollback.wire, label: 'moto' };
    const handlerSeconds = handler.figures.cold.verified / 1000;
    for (const t of timesToBlue(deployedRollbackAlarms(assembly), handlerSeconds)) {
      const a = t.alarm;
      const periods = `${a.datapointsToAlarm}${a.datapointsToAlarm === a.evaluationPeriods ? '' : ` of ${a.evaluationPeriods}`} × ${a.periodSeconds} s`;
      cells.set(rowName.timeToBlue(a.row), {
        value: minutesSeconds(t.totalSeconds),
        basis: computedBasis(),
        runs: String(handler.figures.coldRuns),
        how: `${periods} + ${cloudWatchAllowanceSeconds(a.periodSeconds)} s CloudWatch + ${ALLOWANCES.eventDelivery.seconds} s EventBridge + ${handlerSeconds.toFixed(2)} s handler (${handler.label}, cold, → verified); ${a.alarmName}`,
        detection: `${t.meetsDetection ? 'yes' : 'no'}: ALARM at worst ${minutesSeconds(t.detectSeconds)} after the first bad minute began`,
        consecutiveFailures:
          `${t.meetsConsecutiveFailures ? 'yes' : 'no'}: after ${a.datapointsToAlarm} bad ${a.periodSeconds} s period${a.datapointsToAlarm === 1 ? '' : 's'}` +
          `${a.periodSeconds < 60 ? `, ${t.badMinutes} min` : ''} (guide: ${ROLLBACK_AFTER_CONSECUTIVE_FAILURES}, read as one check a minute)`,
      });
    }

    process.stdout.write([machine, '', renderTable(cells), '', ...assumptionLines(), ''].join('\n'));
    progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  // One line, a bad run count's included: the message names what is wrong and how to fix it.
  process.stderr.write(`npm run bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
