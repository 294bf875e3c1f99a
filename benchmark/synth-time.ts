/**
 * Synth time: `npx cdk synth -q` as a user runs it, offline in an empty environment (only PATH,
 * and a HOME of its own), for dev, prod and a bare CDK app with one NodejsFunction that this file
 * writes into a temporary directory. The bare app uses this repository's node_modules and is
 * synthesized the same way, so the ratio is what this stack costs over the least a CDK app with a
 * function costs. The last prod run's cloud assembly is kept: the rest of the bench reads it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { environmentNames } from '../common/names';
import { median } from './runs';
import { SYNTH_TARGETS, SynthTarget } from './rows';

const REPO_ROOT = path.resolve(__dirname, '..');
/** The app entry in cdk.json's app command; the bare app's command is the same with its own entry. */
const REPO_APP_ENTRY = 'bin/app.ts';

/** The `-c` arguments of each environment, as the README's commands give them. */
const SYNTH_CONTEXT: Record<SynthTarget, string[]> = {
  dev: [],
  prod: ['-c', 'env=prod', '-c', 'configFile=examples/prod.json'],
  bare: [],
};

/** The bare app: one stack, one NodejsFunction with the defaults, on the runtime this stack's functions use. */
const BARE_APP = `import { App, Stack } from 'aws-cdk-lib';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';

const app = new App();
new NodejsFunction(new Stack(app, 'Bare'), 'Function', { entry: 'handler.ts', runtime: Runtime.NODEJS_24_X });
`;

/** The synth times, and where the last prod synth wrote its cloud assembly. */
export interface SynthTimes {
  /** Median seconds per target, and the runs behind each. */
  readonly seconds: Record<SynthTarget, number>;
  readonly runs: number;
  /** The directory of the last prod run's cloud assembly. */
  readonly prodAssembly: string;
}

/** Writes the bare app into `dir`: cdk.json with the same app command as this repo's, the app, its handler, and this repo's node_modules. */
function writeBareApp(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const { app } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { app: string };
  if (!app.includes(REPO_APP_ENTRY))
    throw new Error(`cdk.json's app command "${app}" no longer runs ${REPO_APP_ENTRY}; update the bare app's command in benchmark/synth-time.ts`);
  fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: app.replace(REPO_APP_ENTRY, 'app.ts') }));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench-bare-app', private: true }));
  // NodejsFunction finds its project root by the lock file; nothing is installed from it.
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'bench-bare-app', lockfileVersion: 3, requires: true, packages: {} }));
  fs.writeFileSync(path.join(dir, 'app.ts'), BARE_APP);
  fs.writeFileSync(path.join(dir, 'handler.ts'), 'export const handler = async () => ({ ok: true });\n');
}

/** Times `synth` runs of each target, interleaved so a burst of load elsewhere on the machine spreads over all three. */
export function measureSynth(runs: number, workDir: string, progress: (line: string) => void): SynthTimes {
  const bareDir = path.join(workDir, 'bare-app');
  writeBareApp(bareDir);
  const home = path.join(workDir, 'home');
  fs.mkdirSync(home);
  const times: Record<SynthTarget, number[]> = { dev: [], prod: [], bare: [] };
  let prodAssembly = '';
  for (let run = 1; run <= runs; run++) {
    for (const target of SYNTH_TARGETS) {
      const out = path.join(workDir, `synth-${target}-${run}`);
      const started = performance.now();
      const result = spawnSync('npx', ['cdk', 'synth', '-q', ...SYNTH_CONTEXT[target], '-o', out], {
        cwd: target === 'bare' ? bareDir : REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: home },
        encoding: 'utf8',
      });
      const seconds = (performance.now() - started) / 1000;
      if (result.status !== 0) {
        const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-5).join('\n');
        throw new Error(`cdk synth of ${target} failed (exit ${result.status ?? result.signal}):\n${tail}`);
      }
      times[target].push(seconds);
      progress(`synth ${target} ${run}/${runs}: ${seconds.toFixed(1)} s`);
      if (target === 'prod') prodAssembly = out;
    }
  }
  if (!fs.existsSync(path.join(prodAssembly, `${environmentNames('prod').stack}.template.json`))) {
    throw new Error(`the prod synth wrote no ${environmentNames('prod').stack}.template.json in ${prodAssembly}`);
  }
  return { seconds: { dev: median(times.dev), prod: median(times.prod), bare: median(times.bare) }, runs, prodAssembly };
}

/** A fresh working directory for one bench run, under the system's temporary directory. */
export function benchWorkDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'boop-bench-'));
}
