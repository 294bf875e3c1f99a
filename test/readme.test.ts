import * as fs from 'fs';
import { HEALTH_CHECK_METRICS } from '../common/contract';
import { FAILURES } from '../lambda/health-check/check-result';
import * as path from 'path';
import { keyParameterProblems } from '../common/keys/parameter-check';
import { environmentNames } from '../common/names';
import { keyCheckRefusal } from '../lambda/key-check/check';
import { sourcesMarkdown, thresholdsMarkdown } from './readme-tables';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

function between(marker: string): string {
  const match = new RegExp(`<!-- ${marker}:start -->\\n([\\s\\S]*?)\\n<!-- ${marker}:end -->`).exec(README);
  if (!match) throw new Error(`README has no ${marker} block`);
  return match[1].trim();
}

describe('README tells the truth', () => {
  test('its thresholds table is the one in lib/monitoring/thresholds.ts', () => {
    expect(between('thresholds')).toBe(thresholdsMarkdown());
  });

  test('it cites the source of every threshold', () => {
    expect(between('sources')).toBe(sourcesMarkdown());
  });

  test("its sample refusal of a deploy is the presence check's own words", () => {
    const secondary = environmentNames('prod').parameters.secondaryApiKey;
    expect(README).toContain(keyCheckRefusal('prod', keyParameterProblems({ envName: 'prod', parameters: { secondary } }, [])));
  });

  test('its health-check section lists every failure the log can name, and every health metric with what reads it', () => {
    const section = README.slice(README.indexOf('## Health check'), README.indexOf('## Configuration'));
    const listed = /its failure \(([^)]*)\)/
      .exec(section.replace(/\n/g, ' '))![1]
      .match(/`([a-z-]+)`/g)!
      .map((code) => code.slice(1, -1));
    expect(listed).toEqual([...FAILURES]);
    for (const metric of Object.keys(HEALTH_CHECK_METRICS)) expect(section).toContain(`\`${metric}\``);
  });
});
