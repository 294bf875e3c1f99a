/**
 * Each function's deployed bundle, taken from the cloud assembly `cdk synth` wrote (as the CLI
 * uploads it): its size raw and gzipped, and its cold init, a fresh Node process loading it with
 * the deployed environment variables as Lambda's init does (the AWS SDK, which the runtime
 * provides, is loaded from this repository's node_modules and counted in).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { environmentNames } from '../common/names';
import { functionBundle } from '../test/support/bundle';
import { Assembly } from '../test/support/synth';
import { median } from './runs';
import { BENCH_FUNCTIONS, BenchFunction } from './rows';
import { BENCH_REGION } from './rollback-world';

/** Where the SDK the Lambda runtime would provide comes from here. */
export const REPO_NODE_MODULES = path.resolve(__dirname, '..', 'node_modules');
/** What a variable the template sets by reference (an ARN, a URL of the load balancer) is given locally: init checks only that URLs parse. */
const UNRESOLVED_VARIABLE = 'https://example.invalid';

/** The cloud assembly in `directory`, read as the CLI wrote it. */
export function readAssembly(directory: string, env: 'dev' | 'prod'): Assembly {
  const template = JSON.parse(fs.readFileSync(path.join(directory, `${environmentNames(env).stack}.template.json`), 'utf8'));
  return { directory, template, resources: template.Resources };
}

/** One function's bundle as measured. */
export interface BundleFigures {
  /** The handler file the function runs. */
  readonly file: string;
  readonly bytes: number;
  readonly gzippedBytes: number;
  /** Median milliseconds to load the bundle in a fresh process. */
  readonly coldInitMs: number;
  /** The deployed environment variables, references replaced by placeholders. */
  readonly variables: Record<string, string>;
}

/** The size and cold init of each function of BENCH_FUNCTIONS. */
export function measureBundles(assembly: Assembly, coldRuns: number, progress: (line: string) => void): Record<BenchFunction, BundleFigures> {
  const figures = {} as Record<BenchFunction, BundleFigures>;
  for (const { label, idPrefix } of BENCH_FUNCTIONS) {
    const { directory, resource } = functionBundle(assembly, idPrefix);
    const file = path.join(directory, 'index.js');
    const code = fs.readFileSync(file);
    const declared = (resource.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
    const variables = Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, typeof v === 'string' ? v : UNRESOLVED_VARIABLE]));
    const inits = Array.from({ length: coldRuns }, () => coldInit(file, variables));
    progress(`cold init ${label}: ${inits.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    figures[label] = { file, bytes: code.length, gzippedBytes: gzipSync(code).length, coldInitMs: median(inits), variables };
  }
  return figures;
}

/** Milliseconds for a fresh process to load the bundle, from just before its require to just after. */
function coldInit(file: string, variables: Record<string, string>): number {
  const probe = `const t = performance.now(); require(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  const result = spawnSync(process.execPath, ['-e', probe], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...variables, AWS_REGION: BENCH_REGION, NODE_PATH: REPO_NODE_MODULES },
  });
  if (result.status !== 0) throw new Error(`loading ${file} failed: ${errorLine(result.stderr)}`);
  return Number(result.stdout.trim().split('\n').pop());
}

/** The line of a crashed process's output that says what went wrong. */
export function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.filter((l) => l.trim() !== '').pop() ?? 'no output';
}
