/**
 * The JSON Schema editors use to complete and check cdk.json: `context.boop:environments` is typed
 * by the configuration schema, everything else in cdk.json is left open. Committed as
 * schema/boop-environments.schema.json; a test keeps the file equal to what this emits.
 */
import { z } from 'zod';
import { EnvironmentName, ENVIRONMENT_NAMES } from './environments';
import { DeclaredField, declaredFields, defaultIn } from './fields';
import { ENVIRONMENTS_CONTEXT_KEY } from './load-config';
import { settingsSchema } from './schema';
import { SECTIONS } from './setting';

/** Where the schema is committed, relative to the repository root. */
export const CONFIG_JSON_SCHEMA_FILE = 'schema/boop-environments.schema.json';

type JsonSchema = Record<string, unknown>;

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
      if (field && field.info.dev !== undefined && sameDefault(field)) jsonSchema.default = field.info.dev;
      delete jsonSchema.required;
      // Whole numbers are declared as multiples of 1 (see wholeNumber); say integer, as editors expect.
      if (jsonSchema.type === 'number' && jsonSchema.multipleOf === 1) {
        jsonSchema.type = 'integer';
        delete jsonSchema.multipleOf;
      }
    },
  });
  // The definition sits inside cdk.json's schema, which names the draft once.
  delete schema.$schema;
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
            description: 'per environment, the fields that differ from its defaults',
            type: 'object',
            properties: Object.fromEntries(ENVIRONMENT_NAMES.map((name) => [name, { $ref: '#/definitions/environment' }])),
            additionalProperties: false,
          },
        },
      },
    },
    definitions: { environment: environmentJsonSchema() },
  };
}

/** The committed file's text: two-space JSON with lists of plain values on one line, as prettier writes it. */
export function cdkJsonSchemaText(): string {
  return `${jsonText(cdkJsonSchema(), '')}\n`;
}

function jsonText(value: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object')) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    return `[\n${value.map((item) => `${inner}${jsonText(item, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${jsonText(item, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** A field's description with its defaults and source, as an editor shows it on hover. */
function describe(field: DeclaredField): string {
  const inWords = (envName: EnvironmentName) => {
    const d = defaultIn(field, envName);
    return typeof d === 'string' ? d : JSON.stringify(d.value);
  };
  const defaults = sameDefault(field) ? `default: ${inWords('dev')}` : ENVIRONMENT_NAMES.map((envName) => `${envName}: ${inWords(envName)}`).join(', ');
  return `${field.info.description}. ${defaults}. Source: ${field.info.source}.`;
}

function sameDefault(field: DeclaredField): boolean {
  return JSON.stringify(defaultIn(field, 'dev')) === JSON.stringify(defaultIn(field, 'prod'));
}
