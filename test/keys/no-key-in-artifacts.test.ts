/**
 * A BOOP API key never reaches what a deploy writes: a key planted in the deployer's environment
 * (where the guide's services read it) or in a context value that is no configuration field is in
 * no file of the cloud assembly (templates, function bundles, manifests), and a key written into
 * configuration is refused without being echoed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { API_KEY_PREFIX, KEY_VARIABLES } from '../../common/keys/api-keys';
import { ConfigError, loadConfig } from '../../lib/config/load-config';
import { environmentContext, REPO_ROOT } from '../support/context';
import { synthAssembly } from '../support/synth';

/** A key of the right shape, made at run time so no fixture looks like a real one. */
const plantedKey = (prefix: string) => prefix + randomBytes(12).toString('hex');

function filesUnder(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

test('a key in the deployer environment or in a context value that is not configuration is in no file of the cloud assembly', () => {
  const planted = Object.fromEntries(Object.entries(API_KEY_PREFIX).map(([env, prefix]) => [env, plantedKey(prefix)]));
  const inContext = plantedKey(API_KEY_PREFIX.production);
  const saved = { ...process.env };
  Object.assign(process.env, { [KEY_VARIABLES.primary]: planted.production, [KEY_VARIABLES.secondary]: planted.development });
  try {
    // `-c apiKey=…` is no configuration field (those are dotted paths), so synth reads past it; it must not be written anywhere.
    const assembly = synthAssembly('prod', { 'boop.keyRotationDate': '2026-12-01', 'apiKey': inContext });
    planted.context = inContext;
    const files = filesUnder(assembly.directory);
    expect(files.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(0);
    const leaks = files.filter((file) => {
      const text = fs.readFileSync(file, 'latin1');
      return Object.values(planted).some((key) => text.includes(key));
    });
    expect(leaks).toEqual([]);
  } finally {
    process.env = saved;
  }
});

test.each([
  ['cdk.json', (key: string) => ({ 'boop:environments': { prod: { boop: { apiKey: key } } } })],
  ['-c', (key: string) => ({ 'boop.api_key': key })],
  ['-c (nested secret)', (key: string) => ({ 'alerts.slack.token': key })],
])('a key written into configuration (%s) is refused, named by field, never echoed', (_where, set) => {
  const key = plantedKey(API_KEY_PREFIX.production);
  let error: unknown;
  try {
    loadConfig({ context: environmentContext('prod', set(key)), cwd: REPO_ROOT });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  expect(message).toMatch(/looks like a secret.*npm run keys -- put/);
  expect(message).not.toContain(key);
});
