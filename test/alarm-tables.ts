import { firesWhen, judgedOver, THRESHOLDS } from '../lib/monitoring/thresholds';

/** How docs/alarms.md and the runbook name an alarm's scope. */
export const SCOPE_WORDS = { 'slot': 'each slot', 'all': 'all traffic', 'slot-and-all': 'each slot and all traffic', 'stack': 'environment' } as const;

/** The thresholds table of docs/alarms.md, rendered from the one table in lib/monitoring/thresholds.ts. */
export function thresholdsMarkdown(): string {
  return [
    '| alarm | measures | fires when | judged over | for | severity | rolls green back | no data means |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...THRESHOLDS.map(
      (row) =>
        `| ${row.name} | ${row.measures} | ${firesWhen(row)} | ${judgedOver(row)} | ${SCOPE_WORDS[row.scope]} | ${row.severity} | ${row.rollsGreenBack ? 'yes' : 'no'} | ${row.missingData} |`,
    ),
  ].join('\n');
}

/** Where each row's number comes from. */
export function sourcesMarkdown(): string {
  return THRESHOLDS.map((row) => `- ${row.name}: ${row.source}`).join('\n');
}
