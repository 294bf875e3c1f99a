/**
 * Rollback handler timing: the deployed controller bundle, given the alarm event, from the handler
 * call to ModifyListener issued and to the read-back that shows blue alone, cold (a fresh process,
 * the bundle's load included) and warm; with in-process mocks, and over the wire against moto's
 * server when it can run here. Each child process runs benchmark/rollback-invoke.ts, compiled to
 * plain JavaScript first so no TypeScript loader sits in the timed path.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';
import { SETTINGS_VARIABLES } from '../common/payloads';
import { startMoto, whyMotoCannotRun } from '../test/aws/moto';
import { BundleFigures, errorLine, REPO_NODE_MODULES } from './bundles';
import { createMotoWorld, motoClients, resetMotoWorld } from './moto-world';
import { BENCH_REGION, RollbackJob, RollbackResult, RollbackTiming, RollbackWorld } from './rollback-world';
import { median } from './runs';

/** Stand-in ARNs for the in-process mocks: a documentation account, never a real one. */
const MOCK_WORLD: RollbackWorld = {
  listenerArn: `arn:aws:elasticloadbalancing:${BENCH_REGION}:111122223333:listener/app/boop-bench/abc/def`,
  blue: `arn:aws:elasticloadbalancing:${BENCH_REGION}:111122223333:targetgroup/boop-bench-blue/1`,
  green: `arn:aws:elasticloadbalancing:${BENCH_REGION}:111122223333:targetgroup/boop-bench-green/2`,
  topicArn: `arn:aws:sns:${BENCH_REGION}:111122223333:boop-bench-critical`,
};

/** Medians of one backend's runs, in milliseconds. */
export interface RollbackMedians {
  readonly cold: RollbackTiming;
  readonly warm: RollbackTiming;
  readonly coldRuns: number;
  readonly warmRuns: number;
}

/** Both backends; over the wire is a reason instead when moto cannot run here. */
export interface RollbackFigures {
  readonly mocks: RollbackMedians;
  readonly wire: RollbackMedians | { readonly skipped: string };
}

/** Compiles the child process's script into the work directory; the SDK and the mocks stay outside it, resolved from node_modules. */
function compileChild(workDir: string): string {
  const outfile = path.join(workDir, 'rollback-invoke.js');
  buildSync({
    entryPoints: [path.join(__dirname, 'rollback-invoke.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: ['@aws-sdk/*', '@smithy/*', 'aws-sdk-client-mock'],
    logLevel: 'error',
  });
  return outfile;
}

/** The controller's deployed variables with the world's ARNs where the template has references. */
function controllerVariables(controller: BundleFigures, world: RollbackWorld): Record<string, string> {
  return {
    ...controller.variables,
    [SETTINGS_VARIABLES.stackId]: `arn:aws:cloudformation:${BENCH_REGION}:111122223333:stack/boop-bench/1`,
    [SETTINGS_VARIABLES.listenerArn]: world.listenerArn,
    [SETTINGS_VARIABLES.blueTargetGroupArn]: world.blue,
    [SETTINGS_VARIABLES.greenTargetGroupArn]: world.green,
    [SETTINGS_VARIABLES.criticalTopicArn]: world.topicArn,
  };
}

function runChild(child: string, workDir: string, job: RollbackJob): RollbackResult {
  const jobFile = path.join(workDir, `rollback-job-${job.backend}.json`);
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const result = spawnSync(process.execPath, [child, jobFile], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_PATH: REPO_NODE_MODULES } });
  if (result.status !== 0) throw new Error(`rollback benchmark (${job.backend}) failed: ${errorLine(result.stderr)}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as RollbackResult;
}

function medians(colds: RollbackTiming[], warm: RollbackTiming[]): RollbackMedians {
  const of = (runs: RollbackTiming[]) => ({ issued: median(runs.map((r) => r.issued)), verified: median(runs.map((r) => r.verified)) });
  return { cold: of(colds), warm: of(warm), coldRuns: colds.length, warmRuns: warm.length };
}

/** Times the rollback with in-process mocks and, when moto runs here, over the wire. */
export async function measureRollback(
  controller: BundleFigures,
  runs: { cold: number; warm: number; wireWarm: number },
  workDir: string,
  progress: (line: string) => void,
): Promise<RollbackFigures> {
  const child = compileChild(workDir);
  const stickinessSeconds = Number(controller.variables[SETTINGS_VARIABLES.stickinessSeconds]);
  const job = (backend: RollbackJob['backend'], world: RollbackWorld, warm: number): RollbackJob => ({
    backend,
    bundle: controller.file,
    variables: controllerVariables(controller, world),
    world,
    stickinessSeconds,
    warm,
  });

  const mockColds = Array.from({ length: runs.cold }, () => runChild(child, workDir, job('mocks', MOCK_WORLD, 0)).cold);
  const mockWarm = runChild(child, workDir, job('mocks', MOCK_WORLD, runs.warm)).warm;
  const mocks = medians(mockColds, mockWarm);
  progress(`rollback, mocks: cold verified ${mocks.cold.verified.toFixed(1)} ms, warm verified ${mocks.warm.verified.toFixed(2)} ms`);

  const why = whyMotoCannotRun();
  if (why !== undefined) {
    progress(`rollback over the wire skipped: ${why}`);
    return { mocks, wire: { skipped: why } };
  }
  const moto = await startMoto();
  try {
    const world = await createMotoWorld(moto.endpoint, BENCH_REGION);
    const clients = motoClients(moto.endpoint, BENCH_REGION);
    const stateParameter = controller.variables[SETTINGS_VARIABLES.stateParameterName];
    const wireColds: RollbackTiming[] = [];
    for (let i = 0; i < runs.cold; i++) {
      await resetMotoWorld(clients, world, stateParameter, stickinessSeconds);
      wireColds.push(runChild(child, workDir, job('wire', world, 0)).cold);
    }
    await resetMotoWorld(clients, world, stateParameter, stickinessSeconds);
    const wireWarm = runChild(child, workDir, job('wire', world, runs.wireWarm)).warm;
    const wire = medians(wireColds, wireWarm);
    progress(`rollback, moto: cold verified ${wire.cold.verified.toFixed(1)} ms, warm verified ${wire.warm.verified.toFixed(2)} ms`);
    return { mocks, wire };
  } finally {
    await moto.stop();
  }
}
