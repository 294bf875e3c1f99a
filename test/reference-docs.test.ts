/**
 * The reference pages the README links tell the truth: docs/alarms.md's thresholds table and its
 * sources are the ones in lib/monitoring/thresholds.ts, and docs/health-check.md names every failure
 * the health check's log can give and every health metric.
 */
import * as fs from 'fs';
import * as path from 'path';
import { HEALTH_CHECK_METRICS } from '../common/contract';
import { FAILURES } from '../lambda/health-check/check-result';
import { sourcesMarkdown, thresholdsMarkdown } from './alarm-tables';

const ROOT = path.join(__dirname, '..');
const ALARMS_DOC = 'docs/alarms.md';
const HEALTH_CHECK_DOC = 'docs/health-check.md';
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The text between `<!-- <marker>:start -->` and `<!-- <marker>:end -->` of a page. */
function between(file: string, marker: string): string {
  const match = new RegExp(`<!-- ${marker}:start -->\\n([\\s\\S]*?)\\n<!-- ${marker}:end -->`).exec(read(file));
  if (!match) throw new Error(`${file} has no ${marker} block`);
  return match[1].trim();
}

describe(`${ALARMS_DOC} tells the truth`, () => {
  test('its thresholds table is the one in lib/monitoring/thresholds.ts', () => {
    expect(between(ALARMS_DOC, 'thresholds')).toBe(thresholdsMarkdown());
  });

  test('it cites the source of every threshold', () => {
    expect(between(ALARMS_DOC, 'sources')).toBe(sourcesMarkdown());
  });
});

describe(`${HEALTH_CHECK_DOC} tells the truth`, () => {
  test('it lists every failure the log can name, and every health metric', () => {
    const page = read(HEALTH_CHECK_DOC);
    const listed = /its failure \(([^)]*)\)/
      .exec(page.replace(/\n/g, ' '))![1]
      .match(/`([a-z-]+)`/g)!
      .map((code) => code.slice(1, -1));
    expect(listed).toEqual([...FAILURES]);
    for (const metric of Object.keys(HEALTH_CHECK_METRICS)) expect(page).toContain(`\`${metric}\``);
  });
});
