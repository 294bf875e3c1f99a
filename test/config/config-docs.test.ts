/**
 * What is generated from the configuration schema stays in step with it: the committed JSON
 * Schema that editors check cdk.json with, and the configuration reference's table. Both are
 * regenerated with `npm run docs:config`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import {
  cdkJsonSchemaText,
  CONFIG_JSON_SCHEMA_FILE,
  CONFIG_TABLE_FILE,
  CONFIG_TABLE_MARKER,
  configTableMarkdown,
  withConfigTable,
} from '../../lib/config/config-docs';
import { BOOP_ENVIRONMENTS, MAX_ENVIRONMENT_NAME_LENGTH } from '../../common/names';
import { readDeclarations } from '../../lib/config/environments';
import { declaredFields, defaultIn, formatPath, valueAt } from '../../lib/config/fields';
import { ENVIRONMENT_DEFAULTS, ENVIRONMENTS_CONTEXT_KEY, loadConfig } from '../../lib/config/load-config';
import { settingsSchema } from '../../lib/config/schema';
import { cdkJsonContext, Json, PROD_EXAMPLE_FILE, prodExample, prodExampleContext, REPO_ROOT } from '../support/context';

const REGENERATE = 'regenerate with: npm run docs:config';
const read = (relative: string) => fs.readFileSync(path.join(REPO_ROOT, relative), 'utf8');
const committedSchema = () => JSON.parse(read(CONFIG_JSON_SCHEMA_FILE)) as Json;

/** A validator built from the committed JSON file alone, as an editor would read it. */
function validatorOf(jsonSchema: Json): z.ZodType {
  return z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]);
}

/** The committed schema's definition of one environment, with the definitions it refers to. */
function environmentValidator(): z.ZodType {
  const schema = committedSchema();
  const definitions = schema.definitions as Record<string, Json>;
  return validatorOf({ ...definitions.environment, definitions });
}

/** The formats JSON Schema draft-07 defines (section 7.3); an editor knows no other, and a validator may refuse the schema over one. */
const STANDARD_FORMATS = [
  'date-time',
  'date',
  'time',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
];

/** Every value of `key` anywhere in a JSON document. */
function valuesOf(key: string, node: unknown): unknown[] {
  if (typeof node !== 'object' || node === null) return [];
  const own = !Array.isArray(node) && Object.hasOwn(node, key) ? [(node as Json)[key]] : [];
  return [...own, ...Object.values(node).flatMap((child) => valuesOf(key, child))];
}

function cdkJson(): Json {
  return JSON.parse(read('cdk.json')) as Json;
}

describe('the JSON Schema editors check cdk.json with', () => {
  test(`${CONFIG_JSON_SCHEMA_FILE} is what the schema emits now (${REGENERATE})`, () => {
    expect(read(CONFIG_JSON_SCHEMA_FILE)).toBe(cdkJsonSchemaText());
  });

  test('every "format" in it is one JSON Schema defines', () => {
    const formats = valuesOf('format', committedSchema());
    expect(formats.length).toBeGreaterThan(0);
    expect(formats.filter((format) => !STANDARD_FORMATS.includes(format as string))).toEqual([]);
  });

  test('cdk.json validates, feature flags and all, and its environments are typed', () => {
    expect(validatorOf(committedSchema()).safeParse(cdkJson()).error?.issues).toBeUndefined();
  });

  test(`${PROD_EXAMPLE_FILE} validates as one environment`, () => {
    expect(environmentValidator().safeParse(prodExample()).error?.issues).toBeUndefined();
  });

  test.each([
    ['a typo in a field name', { boop: { baseUrll: 'https://dev.app.boop.it' } }, ['boop']],
    ['a CPU size Fargate does not offer', { service: { cpu: 300 } }, ['service', 'cpu']],
    ['a fractional number of tasks', { service: { desiredCount: 1.5 } }, ['service', 'desiredCount']],
    ['an email address that is none', { alerts: { emails: { critical: ['x";DROP--@example.com'] } } }, ['alerts', 'emails', 'critical', 0]],
  ])('an editor flags %s in cdk.json', (_name, environment, at) => {
    const json = cdkJson();
    ((json.context as Json)[ENVIRONMENTS_CONTEXT_KEY] as Json).dev = environment;
    const issues = validatorOf(committedSchema()).safeParse(json).error?.issues ?? [];
    expect(issues.map((issue) => issue.path)).toContainEqual(['context', ENVIRONMENTS_CONTEXT_KEY, 'dev', ...at]);
  });

  // The editor's verdict on a declaration is loading's (lib/config/environments.ts).
  test.each([
    ['staging bound to development', { staging: { boopEnvironment: 'development' } }],
    ['prod-eu bound to production', { 'prod-eu': { boopEnvironment: 'production' } }],
    ['prod restating its binding', { prod: { boopEnvironment: 'production' } }],
    ['a name of the longest length', { ['a'.repeat(MAX_ENVIRONMENT_NAME_LENGTH)]: { boopEnvironment: 'development' } }],
    ['staging without its BOOP environment', { staging: {} }],
    ['a BOOP environment that is none', { staging: { boopEnvironment: 'test' } }],
    ['prod bound to development', { prod: { boopEnvironment: 'development' } }],
    ['dev bound to production', { dev: { boopEnvironment: 'production' } }],
    ['a name in capitals', { Staging: { boopEnvironment: 'development' } }],
    ['a name with two hyphens in a row', { 'prod--eu': { boopEnvironment: 'production' } }],
    ['a name ending in a hyphen', { 'prod-': { boopEnvironment: 'production' } }],
    ['a name one character too long', { ['a'.repeat(MAX_ENVIRONMENT_NAME_LENGTH + 1)]: { boopEnvironment: 'development' } }],
  ])('an editor judges a declaration as loading does: %s', (_name, declaration) => {
    const json = cdkJson();
    Object.assign((json.context as Json)[ENVIRONMENTS_CONTEXT_KEY] as Json, declaration);
    const loading = readDeclarations((json.context as Json)[ENVIRONMENTS_CONTEXT_KEY]).problems;
    expect(validatorOf(committedSchema()).safeParse(json).success).toBe(loading.length === 0);
  });

  test('VS Code is pointed at the schema for cdk.json', () => {
    const settings = JSON.parse(read('.vscode/settings.json')) as { 'json.schemas': { fileMatch: string[]; url: string }[] };
    expect(settings['json.schemas']).toContainEqual({ fileMatch: ['/cdk.json'], url: `./${CONFIG_JSON_SCHEMA_FILE}` });
  });
});

describe(`the configuration table of ${CONFIG_TABLE_FILE}`, () => {
  test(`is the one rendered from the schema (${REGENERATE})`, () => {
    const page = read(CONFIG_TABLE_FILE);
    expect(page).toContain(`<!-- ${CONFIG_TABLE_MARKER}:start -->`);
    expect(withConfigTable(page)).toBe(page);
  });

  test('has a row for every declared field', () => {
    const rows = configTableMarkdown().split('\n').slice(2);
    expect(rows.map((row) => /^\| `([^`]+)`/.exec(row)?.[1])).toEqual(declaredFields(settingsSchema).map((field) => formatPath(field.path)));
  });
});

describe('the declared defaults are the ones loading starts from', () => {
  test('ENVIRONMENT_DEFAULTS leaves out only optional fields and those the vendor supplies', () => {
    for (const boopEnvironment of BOOP_ENVIRONMENTS) {
      const absent = declaredFields(settingsSchema).filter((field) => valueAt(ENVIRONMENT_DEFAULTS[boopEnvironment], field.path) === undefined);
      // EnvironmentDefaults (environment-config.ts) types exactly these as absent.
      expect(
        absent.filter((field) => defaultIn(field, boopEnvironment) === 'required' && !field.info.requiredIn).map((field) => formatPath(field.path)),
      ).toEqual(['boop.vendorId', 'service.images.blue', 'service.images.green']);
    }
  });

  test.each(['dev', 'prod'] as const)('%s: a field nobody sets loads with the declared default of its BOOP environment', (envName) => {
    const context = envName === 'prod' ? prodExampleContext() : cdkJsonContext();
    const setByExample = envName === 'prod' ? prodExample() : ((cdkJsonContext()[ENVIRONMENTS_CONTEXT_KEY] as Json).dev as Json);
    const config = loadConfig({ context });
    const defaulted = declaredFields(settingsSchema).filter(
      (field) => field.info[config.boopEnvironment] !== undefined && valueAt(setByExample, field.path) === undefined,
    );
    expect(defaulted.length).toBeGreaterThan(0);
    for (const field of defaulted)
      expect({ field: formatPath(field.path), value: valueAt(config, field.path) }).toEqual({
        field: formatPath(field.path),
        value: field.info[config.boopEnvironment],
      });
  });
});
