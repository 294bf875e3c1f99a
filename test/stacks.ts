import * as fs from 'fs';
import * as path from 'path';
import { createApp } from '../lib/app';
import { BoopIntegrationStack } from '../lib/boop-integration-stack';

/** cdk.json's context: the real app's input. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'),
).context;

/** The example production values shipped in examples/prod.json. */
export const EXAMPLE_PROD_CONTEXT = { env: 'prod', configFile: 'examples/prod.json' };

/** Builds an environment's stack through the real app entry, as `cdk synth -c env=<name>` would. */
export function buildStack(env: 'dev' | 'prod', context: Record<string, unknown> = {}): BoopIntegrationStack {
  const base = env === 'prod' ? EXAMPLE_PROD_CONTEXT : { env: 'dev' };
  return createApp({ context: { ...CDK_JSON_CONTEXT, ...base, ...context } }).stack;
}
