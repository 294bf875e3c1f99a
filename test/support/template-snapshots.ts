/**
 * The templates an existing stack was deployed from, kept in test/fixtures/templates: a change
 * that renames a resource or a logical id replaces it on the next deploy, so test/environments.test.ts
 * compares each case with its fixture. Only asset hashes (each function's code) are left out.
 * After a change that is meant to alter a template, `npm run snapshots` writes the fixtures again;
 * the diff under review then shows what an update of a deployed stack would do.
 */
import * as fs from 'fs';
import * as path from 'path';
import { build } from './synth';
import { Json, REPO_ROOT } from './context';

export const SNAPSHOT_FOLDER = path.join(REPO_ROOT, 'test', 'fixtures', 'templates');

/** The environments every existing user has: cdk.json's dev, and prod as the README's example configures it. */
export const SNAPSHOT_CASES: Readonly<Record<string, () => Json>> = {
  dev: () => build('dev').template.toJSON() as Json,
  prod: () => build('prod').template.toJSON() as Json,
};

/** A template with each asset hash (a function's code, which any source change moves) replaced by a marker. */
export function withoutAssetHashes(template: Json): Json {
  return JSON.parse(JSON.stringify(template).replace(/\b[0-9a-f]{64}\b/g, '<asset-hash>')) as Json;
}

export function snapshotFile(name: string): string {
  return path.join(SNAPSHOT_FOLDER, `${name}.json`);
}

/** Writes every case's fixture (the `npm run snapshots` script). */
export function writeSnapshots(): void {
  fs.mkdirSync(SNAPSHOT_FOLDER, { recursive: true });
  for (const [name, template] of Object.entries(SNAPSHOT_CASES)) {
    fs.writeFileSync(snapshotFile(name), `${JSON.stringify(withoutAssetHashes(template()), null, 2)}\n`);
  }
}
