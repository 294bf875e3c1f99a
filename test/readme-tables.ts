import { THRESHOLDS, ThresholdRow } from '../lib/thresholds';

const COMPARISON = { 'above': '>', 'at-or-above': '≥', 'below': '<' } as const;
const UNIT = { percent: ' %', milliseconds: ' ms', count: '' } as const;
const SCOPE = { 'slot': 'each slot', 'all': 'all traffic', 'slot-and-all': 'each slot and all traffic', 'stack': 'environment' } as const;

function judgedOver(row: ThresholdRow): string {
  if (row.datapointsToAlarm === 1 && row.evaluationPeriods === 1) return `${row.periodMinutes} min`;
  return `${row.datapointsToAlarm} of ${row.evaluationPeriods} × ${row.periodMinutes} min`;
}

/** The README's thresholds table, rendered from the one table in lib/thresholds.ts. */
export function thresholdsMarkdown(): string {
  return [
    '| alarm | measures | fires when | judged over | for | severity | rolls green back | no data means |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...THRESHOLDS.map((row) => `| ${row.name} | ${row.measures} | ${COMPARISON[row.comparison]} ${row.threshold}${UNIT[row.unit]} | ${judgedOver(row)} | ${SCOPE[row.scope]} | ${row.severity} | ${row.rollsGreenBack ? 'yes' : 'no'} | ${row.missingData} |`),
  ].join('\n');
}

/** Where each row's number comes from. */
export function sourcesMarkdown(): string {
  return THRESHOLDS.map((row) => `- ${row.name}: ${row.source}`).join('\n');
}
