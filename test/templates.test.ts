/**
 * Updating a deployed dev or prod stack replaces nothing it did not mean to: its template is the
 * one in test/fixtures/templates, asset hashes aside (test/support/template-snapshots.ts).
 */
import * as fs from 'fs';
import { SNAPSHOT_CASES, snapshotFile, withoutAssetHashes } from './support/template-snapshots';

test.each(Object.keys(SNAPSHOT_CASES))(
  'the %s template is the deployed one, asset hashes aside (npm run snapshots after a change meant to alter it)',
  (name) => {
    const kept = JSON.parse(fs.readFileSync(snapshotFile(name), 'utf8')) as unknown;
    expect(withoutAssetHashes(SNAPSHOT_CASES[name]())).toEqual(kept);
  },
);
