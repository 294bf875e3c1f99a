import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENT_DEFAULTS } from '../lib/config/environment-config';
import { optionalFieldPaths } from '../lib/config/load-config';
import { sourcesMarkdown, thresholdsMarkdown } from './readme-tables';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

function between(marker: string): string {
  const match = new RegExp(`<!-- ${marker}:start -->\\n([\\s\\S]*?)\\n<!-- ${marker}:end -->`).exec(README);
  if (!match) throw new Error(`README has no ${marker} block`);
  return match[1].trim();
}

/** Every leaf field of a configuration, as dotted paths (lists are leaves). */
function fieldPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => fieldPaths(child, prefix ? `${prefix}.${key}` : key));
}

describe('README tells the truth', () => {
  test('its thresholds table is the one in lib/thresholds.ts', () => {
    expect(between('thresholds')).toBe(thresholdsMarkdown());
  });

  test('it cites the source of every threshold', () => {
    expect(between('sources')).toBe(sourcesMarkdown());
  });

  test('its configuration reference names every field', () => {
    const fields = [...fieldPaths(ENVIRONMENT_DEFAULTS.prod), ...optionalFieldPaths()].filter((field) => field !== 'envName');
    const missing = fields.filter((field) => !README.includes(`\`${field}\``));
    expect(missing).toEqual([]);
  });
});
