/**
 * docs/figures.md shows the latest `npm run bench` table: its rows must be the rows the bench prints
 * now (benchmark/rows.ts), by name; the numbers are the machine's and are not checked.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BENCH_ROWS, ROLLBACK_ALARMS, rowName } from '../benchmark/rows';
import { computedBasis, MEASURED_HERE } from '../benchmark/table';

const FIGURES_DOC = 'docs/figures.md';
/** Where the pasted bench output starts and ends in that page. */
const BENCH_TABLE_MARKERS = { start: '<!-- bench-table:start -->', end: '<!-- bench-table:end -->' } as const;

/** The cells of each body row of the one markdown table between the markers. */
function pageBenchRows(page: string): string[][] {
  const start = page.indexOf(BENCH_TABLE_MARKERS.start);
  const end = page.indexOf(BENCH_TABLE_MARKERS.end);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(
      `${FIGURES_DOC} needs the bench table between ${BENCH_TABLE_MARKERS.start} and ${BENCH_TABLE_MARKERS.end}: run npm run bench and paste its output between them`,
    );
  }
  const tableLines = page
    .slice(start + BENCH_TABLE_MARKERS.start.length, end)
    .split('\n')
    .filter((line) => line.trimStart().startsWith('|'));
  // The header and the --- line come first.
  return tableLines.slice(2).map((line) =>
    line
      .trim()
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim()),
  );
}

const PAGE_ROWS = pageBenchRows(fs.readFileSync(path.join(__dirname, '..', FIGURES_DOC), 'utf8'));

test(`the bench table of ${FIGURES_DOC} has exactly the rows npm run bench prints, in order`, () => {
  expect(PAGE_ROWS.map((cells) => cells[0])).toEqual([...BENCH_ROWS]);
});

test(`${FIGURES_DOC} says of every figure whether it was measured here or computed from assumed allowances, as npm run bench does`, () => {
  const timeToBlue = new Set(ROLLBACK_ALARMS.map(rowName.timeToBlue));
  expect(PAGE_ROWS.map((cells) => [cells[0], cells[2]])).toEqual(BENCH_ROWS.map((name) => [name, timeToBlue.has(name) ? computedBasis() : MEASURED_HERE]));
});
