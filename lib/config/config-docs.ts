/**
 * What is written from the configuration schema: the JSON Schema editors use to complete and check
 * cdk.json (committed as schema/boop-environments.schema.json) and the configuration reference's
 * table (docs/configuration.md). Tests keep both equal to what this renders; `npm run docs:config` runs this file to rewrite them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { BOOP_ENVIRONMENTS, BoopEnvironment, BUILT_IN_ENVIRONMENTS, ENVIRONMENT_NAME, MAX_ENVIRONMENT_NAME_LENGTH } from '../../common/names';
import { BOOP_ENVIRONMENT_FIELD } from './environments';
import { DeclaredField, declaredFields, defaultIn, formatPath, SECTIONS } from './fields';
import { WHOLE_NUMBERS } from './formats';
import { ENVIRONMENTS_CONTEXT_KEY } from './load-config';
import { settingsSchema } from './schema';

/** Where the schema is committed, relative to the repository root. */
export const CONFIG_JSON_SCHEMA_FILE = 'schema/boop-environments.schema.json';
/** The page the table lives in, relative to the repository root. */
export const CONFIG_TABLE_FILE = 'docs/configuration.md';
/** The block of that page the table lives in: between `<!-- config-table:start -->` and `<!-- config-table:end -->`. */
export const CONFIG_TABLE_MARKER = 'config-table';

type JsonSchema = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// The JSON Schema: `context.boop:environments` typed by the configuration schema, the rest of cdk.json left open.

/** One environment's fields as JSON Schema (draft-07, which editors read widely); nothing is required, as each source sets only what it changes. */
export function environmentJsonSchema(): JsonSchema {
  // A type used at several places (the email lists) is the same field there, with the same info.
  const fields = new Map<z.core.$ZodType, DeclaredField>(declaredFields(settingsSchema).map((field) => [field.type, field]));
  const schema: JsonSchema = z.toJSONSchema(settingsSchema, {
    target: 'draft-07',
    io: 'input',
    // The refinements (prod rules, cross-field rules) have no JSON Schema form; loading checks them.
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const field = fields.get(zodSchema);
      const description = field ? describe(field) : SECTIONS.get(zodSchema)?.description;
      if (description) jsonSchema.description = description;
      if (field && field.info.development !== undefined && sameDefault(field)) jsonSchema.default = field.info.development;
      delete jsonSchema.required;
      // A whole number's Number.isInteger refinement has no JSON Schema form; the type says it.
      if (WHOLE_NUMBERS.has(zodSchema)) jsonSchema.type = 'integer';
    },
  });
  // The definition sits inside cdk.json's schema, which names the draft once.
  delete schema.$schema;
  (schema.properties as Record<string, JsonSchema>)[BOOP_ENVIRONMENT_FIELD] = {
    description: `the BOOP environment this environment talks to; its rules and defaults follow it. Declared in cdk.json only; ${Object.entries(
      BUILT_IN_ENVIRONMENTS,
    )
      .map(([name, bound]) => `${name} is always ${bound}`)
      .join(', ')}, any other environment must say`,
    enum: [...BOOP_ENVIRONMENTS],
  };
  return schema;
}

/** The schema for the whole of cdk.json. */
export function cdkJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'boop-deploy cdk.json',
    description: `cdk.json of boop-deploy: "${ENVIRONMENTS_CONTEXT_KEY}" in its context holds each environment's configuration; generated from lib/config/schema.ts`,
    type: 'object',
    properties: {
      context: {
        type: 'object',
        properties: {
          [ENVIRONMENTS_CONTEXT_KEY]: {
            description: `the environments by your own names (dev and prod are always declared), each with the BOOP environment it talks to and the fields that differ from its defaults`,
            type: 'object',
            propertyNames: { pattern: ENVIRONMENT_NAME.source, maxLength: MAX_ENVIRONMENT_NAME_LENGTH },
            properties: Object.fromEntries(
              Object.entries(BUILT_IN_ENVIRONMENTS).map(([name, bound]) => [
                name,
                { allOf: [{ $ref: '#/definitions/environment' }, { type: 'object', properties: { [BOOP_ENVIRONMENT_FIELD]: { const: bound } } }] },
              ]),
            ),
            additionalProperties: {
              allOf: [
                { $ref: '#/definitions/environment' },
                { type: 'object', properties: { [BOOP_ENVIRONMENT_FIELD]: { enum: [...BOOP_ENVIRONMENTS] } }, required: [BOOP_ENVIRONMENT_FIELD] },
              ],
            },
          },
        },
      },
    },
    definitions: { environment: environmentJsonSchema() },
  };
}

/** The committed file's text. */
export function cdkJsonSchemaText(): string {
  return `${JSON.stringify(cdkJsonSchema(), null, 2)}\n`;
}

/** A field's description with its defaults and source, as an editor shows it on hover. */
function describe(field: DeclaredField): string {
  const inWords = (boopEnvironment: BoopEnvironment) => {
    const d = defaultIn(field, boopEnvironment);
    return typeof d === 'string' ? d : JSON.stringify(d.value);
  };
  const defaults = sameDefault(field)
    ? `default: ${inWords('development')}`
    : BOOP_ENVIRONMENTS.map((boopEnvironment) => `against ${boopEnvironment}: ${inWords(boopEnvironment)}`).join(', ');
  return `${field.info.description}. ${defaults}. Source: ${field.info.source}.`;
}

function sameDefault(field: DeclaredField): boolean {
  return JSON.stringify(defaultIn(field, 'development')) === JSON.stringify(defaultIn(field, 'production'));
}

// ---------------------------------------------------------------------------------------------
// The reference table: one row per field with its dev and prod defaults, the values it allows (read
// from the JSON Schema the field emits), what it sets and where it comes from.

/** The table, in Markdown. */
export function configTableMarkdown(): string {
  const schema = environmentJsonSchema();
  return [
    '| field | default against development | default against production | allowed | what it sets | where it comes from |',
    '| --- | --- | --- | --- | --- | --- |',
    ...declaredFields(settingsSchema).map((field) => {
      const allowed = field.info.allowed ?? allowedValues(schemaAt(schema, field.path));
      return `| \`${formatPath(field.path)}\` | ${defaultCell(field, 'development')} | ${defaultCell(field, 'production')} | ${cell(allowed)} | ${cell(field.info.description)} | ${cell(field.info.source)} |`;
    }),
  ].join('\n');
}

/** The page with its configuration block replaced by the current table; undefined when the markers are missing. */
export function withConfigTable(page: string): string | undefined {
  const block = new RegExp(`(<!-- ${CONFIG_TABLE_MARKER}:start -->\\n)[\\s\\S]*?(<!-- ${CONFIG_TABLE_MARKER}:end -->)`);
  return block.test(page) ? page.replace(block, (_, start: string, end: string) => `${start}${configTableMarkdown()}\n${end}`) : undefined;
}

function defaultCell(field: DeclaredField, boopEnvironment: BoopEnvironment): string {
  const value = defaultIn(field, boopEnvironment);
  return typeof value === 'string' ? value : `\`${inline(value.value)}\``;
}

/** A value as written in a cell: text as is, lists with spaces after commas. */
function inline(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  return JSON.stringify(value);
}

function schemaAt(schema: JsonSchema, path: readonly string[]): JsonSchema {
  return path.reduce((node, name) => (node.properties as Record<string, JsonSchema>)[name], schema);
}

/** What a JSON Schema node allows, in a few words. */
function allowedValues(node: JsonSchema): string {
  if (Array.isArray(node.enum)) return `one of ${node.enum.join(', ')}`;
  switch (node.type) {
    case 'integer':
      return `whole number ${node.minimum}..${node.maximum}`;
    case 'number':
      return node.exclusiveMinimum !== undefined
        ? `number between ${node.exclusiveMinimum} and ${node.exclusiveMaximum}, exclusive`
        : `number ${node.minimum}..${node.maximum}`;
    case 'boolean':
      return 'true or false';
    case 'array': {
      const exactly = node.minItems !== undefined && node.minItems === node.maxItems;
      const size = exactly ? ` of ${node.minItems}` : node.maxItems !== undefined ? ` of at most ${node.maxItems}` : '';
      return `list${size}, each ${allowedValues(node.items as JsonSchema)}`;
    }
    case 'string': {
      const formats: Record<string, string> = { uri: 'URL', email: 'email address', date: 'date YYYY-MM-DD' };
      return typeof node.format === 'string' && formats[node.format] ? formats[node.format] : 'text';
    }
    default:
      return 'object';
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

// ---------------------------------------------------------------------------------------------

/** Rewrites the committed JSON Schema and the reference's table; false when the page has no block for the table. */
export function writeConfigDocs(repoRoot: string): boolean {
  const pageFile = path.join(repoRoot, CONFIG_TABLE_FILE);
  const page = withConfigTable(fs.readFileSync(pageFile, 'utf8'));
  if (page === undefined) return false;
  fs.mkdirSync(path.dirname(path.join(repoRoot, CONFIG_JSON_SCHEMA_FILE)), { recursive: true });
  fs.writeFileSync(path.join(repoRoot, CONFIG_JSON_SCHEMA_FILE), cdkJsonSchemaText());
  fs.writeFileSync(pageFile, page);
  return true;
}

// `npm run docs:config`
if (require.main === module) {
  if (writeConfigDocs(path.resolve(__dirname, '..', '..'))) console.log(`wrote ${CONFIG_JSON_SCHEMA_FILE} and the configuration table in ${CONFIG_TABLE_FILE}`);
  else {
    console.error(`${CONFIG_TABLE_FILE} has no <!-- ${CONFIG_TABLE_MARKER}:start --> ... <!-- ${CONFIG_TABLE_MARKER}:end --> block to write the table into`);
    process.exitCode = 1;
  }
}
