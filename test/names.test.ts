/**
 * Every name derived from an environment comes from common/names.ts: nothing else spells one out,
 * and the names keep the promises the stack relies on (alert topics admit the environment's alarms
 * by prefix; two environments in one account never share a name).
 */
import * as fs from 'fs';
import * as path from 'path';
import { environmentNames, EnvironmentNames } from '../common/names';
import { ENVIRONMENT_NAMES } from '../lib/config/environment-config';
import { slotsJudged } from '../lib/monitoring/alarms';
import { NOTIFYING_SEVERITIES, THRESHOLDS } from '../lib/monitoring/thresholds';

const REPO_ROOT = path.join(__dirname, '..');
const SCANNED_FOLDERS = ['bin', 'lib', 'lambda', 'common', 'cli', 'benchmark', 'test'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'cdk.out']);
const NAMES_MODULE = path.join('common', 'names.ts');
/** A name built by hand from an environment: the resource prefix, the parameter root, the stack. */
const HAND_BUILT_NAME = /boop-\$\{|\/boop\/\$\{|BoopIntegration-\$\{|['"`](?:boop-|\/boop\/|BoopIntegration-)['"`]\s*\+/;

function typeScriptFiles(folder: string): string[] {
  const absolute = path.join(REPO_ROOT, folder);
  if (!fs.existsSync(absolute)) return [];
  return fs.readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(folder, entry.name);
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : typeScriptFiles(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/** Every name of an environment: each field, and each name function applied to what the stack passes it. */
function allNames(names: EnvironmentNames): string[] {
  const alarms = THRESHOLDS.flatMap((row) => slotsJudged(row).map((slot) => names.alarm(row.name, slot)));
  const topics = NOTIFYING_SEVERITIES.map((severity) => names.alertTopic(severity));
  const strings = (value: unknown): string[] => {
    if (typeof value === 'string') return [value];
    if (typeof value === 'function') return [(value as (...args: string[]) => string)('any-name', 'green')];
    return Object.values(value as object).flatMap(strings);
  };
  return [...strings(names), ...alarms, ...topics];
}

/** What an IAM ArnLike pattern such as `boop-dev-*` admits. */
function admittedBy(pattern: string): (name: string) => boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (name) => regex.test(name);
}

test('no file but common/names.ts builds an environment name by hand', () => {
  const found = SCANNED_FOLDERS.flatMap(typeScriptFiles)
    .filter((file) => file !== NAMES_MODULE)
    .flatMap((file) =>
      fs
        .readFileSync(path.join(REPO_ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, index) => (HAND_BUILT_NAME.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
    );
  expect(found).toEqual([]);
});

describe.each(ENVIRONMENT_NAMES)('%s', (env) => {
  const names = environmentNames(env);
  const admitted = admittedBy(`${names.alarmPrefix}*`);

  test("every alarm of the thresholds table, and the rollback alarm, is admitted by the alert topics' alarm prefix", () => {
    const alarms = [...THRESHOLDS.flatMap((row) => slotsJudged(row).map((slot) => names.alarm(row.name, slot))), names.rollbackAlarm];
    expect(alarms.filter((alarm) => !admitted(alarm))).toEqual([]);
  });

  test.each(ENVIRONMENT_NAMES.filter((other) => other !== env))('shares no name with %s, and admits none of its alarms', (other) => {
    const mine = new Set(allNames(names));
    const theirs = allNames(environmentNames(other));
    expect(theirs.filter((name) => mine.has(name))).toEqual([]);
    expect(theirs.filter(admitted)).toEqual([]);
  });
});
