/**
 * Regenerates what is written from the configuration schema: the committed JSON Schema and the
 * README's configuration table. Run `npm run docs:config` after changing a field.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_TABLE_MARKER, withConfigTable } from './config-table';
import { cdkJsonSchemaText, CONFIG_JSON_SCHEMA_FILE } from './json-schema';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const README = path.join(REPO_ROOT, 'README.md');

fs.mkdirSync(path.dirname(path.join(REPO_ROOT, CONFIG_JSON_SCHEMA_FILE)), { recursive: true });
fs.writeFileSync(path.join(REPO_ROOT, CONFIG_JSON_SCHEMA_FILE), cdkJsonSchemaText());
const readme = withConfigTable(fs.readFileSync(README, 'utf8'));
if (readme === undefined) {
  console.error(`README.md has no <!-- ${CONFIG_TABLE_MARKER}:start --> ... <!-- ${CONFIG_TABLE_MARKER}:end --> block to write the table into`);
  process.exit(1);
}
fs.writeFileSync(README, readme);
console.log(`wrote ${CONFIG_JSON_SCHEMA_FILE} and the configuration table in README.md`);
