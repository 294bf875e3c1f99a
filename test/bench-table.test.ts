/**
 * The README shows the latest `npm run bench` table: its rows must be the rows the bench prints
 * now (benchmark/rows.ts), by name; the numbers are the machine's and are not checked.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BENCH_ROWS } from '../benchmark/rows';

const README = path.join(__dirname, '..', 'README.md');
/** Where the pasted bench output starts and ends in the README. */
const BENCH_TABLE_MARKERS = { start: '<!-- bench-table:start -->', end: '<!-- bench-table:end -->' } as const;

/** The first cell of each body row of the one markdown table between the markers. */
function readmeBenchRows(readme: string): string[] {
  const start = readme.indexOf(BENCH_TABLE_MARKERS.start);
  const end = readme.indexOf(BENCH_TABLE_MARKERS.end);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(
      `README.md needs the bench table between ${BENCH_TABLE_MARKERS.start} and ${BENCH_TABLE_MARKERS.end}: run npm run bench and paste its output between them`,
    );
  }
  const tableLines = readme
    .slice(start + BENCH_TABLE_MARKERS.start.length, end)
    .split('\n')
    .filter((line) => line.trimStart().startsWith('|'));
  // The header and the --- line come first.
  return tableLines.slice(2).map((line) =>
    line
      .trim()
      .slice(1)
      .split(/(?<!\\)\|/)[0]
      .trim(),
  );
}

test("the README's bench table has exactly the rows npm run bench prints, in order", () => {
  expect(readmeBenchRows(fs.readFileSync(README, 'utf8'))).toEqual([...BENCH_ROWS]);
});
