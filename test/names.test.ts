/**
 * Every name derived from an environment comes from common/names.ts: nothing else spells one out,
 * and the names keep the promises the stack relies on, for any environment name the rule allows:
 * two environments in one account never share a name, each knows its own alarms, and every name
 * fits AWS's limits.
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { environmentNameProblem, environmentNames, MAX_ENVIRONMENT_NAME_LENGTH } from '../common/names';
import { slotsJudged } from '../lib/monitoring/alarms';
import { THRESHOLDS } from '../lib/monitoring/thresholds';
import { numRuns } from './support/properties';
import { Cfn, CfnResource } from './support/resources';
import { snapshotFile } from './support/template-snapshots';

const REPO_ROOT = path.join(__dirname, '..');
const SCANNED_FOLDERS = ['bin', 'lib', 'lambda', 'common', 'cli', 'benchmark', 'test'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'cdk.out']);
const NAMES_MODULE = path.join('common', 'names.ts');
/** It spells every form of a name on purpose, to show that an environment's template differs from another's by its name alone. */
const SPELLS_NAMES = path.join('test', 'environments.test.ts');
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

/** AWS's namespaces of the names the stack sets, with the longest name each allows, and whether the namespace spans the account's regions. */
const NAMESPACES = [
  { types: ['AWS::Lambda::Function'], property: 'FunctionName', limit: 64, accountWide: false },
  { types: ['AWS::ECS::Service'], property: 'ServiceName', limit: 255, accountWide: false },
  { types: ['AWS::SNS::Topic'], property: 'TopicName', limit: 256, accountWide: false },
  { types: ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'], property: 'AlarmName', limit: 255, accountWide: false },
  { types: ['AWS::Logs::QueryDefinition'], property: 'Name', limit: 255, accountWide: false },
  { types: ['AWS::SSM::Parameter'], property: 'Name', limit: 1011, accountWide: false },
  { types: ['AWS::CloudWatch::Dashboard'], property: 'DashboardName', limit: 255, accountWide: true },
  { types: ['AWS::Chatbot::SlackChannelConfiguration'], property: 'ConfigurationName', limit: 128, accountWide: true },
] as const;
const STACK_NAME_LIMIT = 128;

/** Every name a template sets, by namespace (the property of NAMESPACES). */
function templateNames(template: Cfn): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const namespace of NAMESPACES) {
    const set = Object.values(template.Resources as Record<string, CfnResource>)
      .filter((resource) => (namespace.types as readonly string[]).includes(resource.Type) && typeof resource.Properties?.[namespace.property] === 'string')
      .map((resource) => resource.Properties[namespace.property] as string);
    names.set(namespace.types[0], set);
  }
  return names;
}

/** The names the dev and prod stacks set (prod adds the Slack channel), from their templates (test/fixtures/templates, which test/environments.test.ts keeps equal to a synth). */
const built = {
  dev: templateNames(JSON.parse(fs.readFileSync(snapshotFile('dev'), 'utf8'))),
  prod: templateNames(JSON.parse(fs.readFileSync(snapshotFile('prod'), 'utf8'))),
};

/**
 * The names environment `env` gets: each name the dev or prod template sets, its environment prefix
 * replaced. Every name starts with the prefix (tested below), and an environment of another name
 * gets exactly this (test/environments.test.ts); so the properties hold for any name.
 */
function namesOf(env: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const [type, devNames] of built.dev) {
    const prodNames = built.prod.get(type)!;
    const tails = [
      ...new Set([
        ...devNames.map((name) => name.slice(environmentNames('dev').prefix.length)),
        ...prodNames.map((name) => name.slice(environmentNames('prod').prefix.length)),
      ]),
    ];
    names.set(
      type,
      tails.map((tail) => `${environmentNames(env).prefix}${tail}`),
    );
  }
  return names;
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

/** Environment names as a team writes them, often one name extending another (prod, prod-eu), sometimes the longest allowed. */
const environmentName = fc.oneof(
  fc.constantFrom('dev', 'prod', 'staging', 'prod-eu', 'prod-us', 'a', 'dev-2'),
  fc.stringMatching(/^[a-z][a-z0-9]{0,5}(?:-[a-z0-9]{1,5}){0,3}$/),
  fc.constant(`x${'0'.repeat(MAX_ENVIRONMENT_NAME_LENGTH - 1)}`),
);
/** Two distinct names, the second often the first with a word added. */
const twoNames = fc
  .tuple(environmentName, fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/)), environmentName)
  .map(([first, word, other]) => [first, word === null ? other : `${first}-${word}`] as const)
  .filter(([first, second]) => first !== second && environmentNameProblem(second) === undefined && environmentNameProblem(first) === undefined);

test('no file but common/names.ts builds an environment name by hand', () => {
  const found = SCANNED_FOLDERS.flatMap(typeScriptFiles)
    .filter((file) => file !== NAMES_MODULE && file !== SPELLS_NAMES)
    .flatMap((file) =>
      fs
        .readFileSync(path.join(REPO_ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, index) => (HAND_BUILT_NAME.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
    );
  expect(found).toEqual([]);
});

describe('the names the templates set', () => {
  test.each(['dev', 'prod'] as const)('each name of the %s template starts with its environment prefix and comes from common/names.ts', (env) => {
    for (const names of built[env].values()) {
      for (const name of names) expect(name.startsWith(`${environmentNames(env).prefix}-`) || name.startsWith(`${environmentNames(env).prefix}/`)).toBe(true);
    }
  });

  test("every alarm of the thresholds table, and the rollback alarm, is one the environment owns and its alert topics' prefix admits", () => {
    for (const env of ['dev', 'prod']) {
      const names = environmentNames(env);
      const alarms = [...THRESHOLDS.flatMap((row) => slotsJudged(row).map((slot) => names.alarm(row.name, slot))), names.rollbackAlarm];
      expect(alarms.filter((alarm) => !names.ownsAlarm(alarm) || !admittedBy(`${names.alarmPrefix}*`)(alarm))).toEqual([]);
    }
  });
});

describe('any two environments', () => {
  test('share no name in any namespace, so both can live in one account (dashboards and Chatbot span its regions)', () => {
    fc.assert(
      fc.property(twoNames, ([first, second]) => {
        const [mine, theirs] = [namesOf(first), namesOf(second)];
        for (const [type, names] of mine) expect(theirs.get(type)!.filter((name) => names.includes(name))).toEqual([]);
        expect(environmentNames(first).stack).not.toBe(environmentNames(second).stack);
      }),
      { numRuns: numRuns(300) },
    );
  });

  test("own none of each other's alarms (what rollout status lists), even where one name extends the other", () => {
    fc.assert(
      fc.property(twoNames, ([first, second]) => {
        const alarms = namesOf(second).get('AWS::CloudWatch::Alarm')!;
        expect(alarms.filter((alarm) => environmentNames(first).ownsAlarm(alarm))).toEqual([]);
        expect(alarms.every((alarm) => environmentNames(second).ownsAlarm(alarm))).toBe(true);
      }),
      { numRuns: numRuns(300) },
    );
  });
});

describe('the longest environment name', () => {
  const longest = `x${'0'.repeat(MAX_ENVIRONMENT_NAME_LENGTH - 1)}`;

  test("gives names within every AWS limit, the stack's included", () => {
    for (const namespace of NAMESPACES) {
      expect(
        namesOf(longest)
          .get(namespace.types[0])!
          .filter((name) => name.length > namespace.limit),
      ).toEqual([]);
    }
    expect(environmentNames(longest).stack.length).toBeLessThanOrEqual(STACK_NAME_LIMIT);
  });

  test('is the longest that does: one character more breaks a limit, and the name rule refuses it', () => {
    const tooLong = `${longest}0`;
    expect(
      NAMESPACES.some((namespace) =>
        namesOf(tooLong)
          .get(namespace.types[0])!
          .some((name) => name.length > namespace.limit),
      ),
    ).toBe(true);
    expect(environmentNameProblem(tooLong)).toMatch(new RegExp(`at most ${MAX_ENVIRONMENT_NAME_LENGTH} characters`));
  });
});
