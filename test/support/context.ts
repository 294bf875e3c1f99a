/**
 * The real app's inputs, read the way the CDK CLI reads them: cdk.json's "context" and the example
 * production config file. Tests start from these and add what `-c key=value` would add.
 */
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The example production config, as given to `-c configFile=` (relative to the repo root, like the README's command). */
export const PROD_EXAMPLE_FILE = 'examples/prod.json';

export type Json = Record<string, unknown>;

function readJson(relative: string): Json {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, relative), 'utf8')) as Json;
}

/** cdk.json's "context" object: feature flags plus `boop:environments`. A fresh copy on every call. */
export function cdkJsonContext(): Json {
  return structuredClone(readJson('cdk.json').context as Json);
}

/** examples/prod.json. A fresh copy on every call. */
export function prodExample(): Json {
  return readJson(PROD_EXAMPLE_FILE);
}

/** cdk.json's context plus per-run `-c` values (the CLI passes those as strings). */
export function appContext(extra: Json = {}): Json {
  return { ...cdkJsonContext(), ...extra };
}

/** The context of `cdk synth -c env=prod -c configFile=examples/prod.json`, plus extra `-c` values. */
export function prodExampleContext(extra: Json = {}): Json {
  return appContext({ env: 'prod', configFile: PROD_EXAMPLE_FILE, ...extra });
}

/** The context of `cdk synth -c env=<env>`, for prod with `-c configFile=examples/prod.json`, plus extra `-c` values. */
export function environmentContext(env: 'dev' | 'prod', extra: Json = {}): Json {
  return env === 'prod' ? prodExampleContext(extra) : appContext({ env, ...extra });
}
