/**
 * The README's configuration table, rendered from the schema: one row per field with its dev and
 * prod defaults, the values it allows (read from the JSON Schema the field emits), what it sets
 * and where it comes from. A test keeps the README's copy equal to this.
 */
import { EnvironmentName } from './environments';
import { DeclaredField, declaredFields, defaultIn, formatPath } from './fields';
import { environmentJsonSchema } from './json-schema';
import { settingsSchema } from './schema';

/** The README block the table lives in: between `<!-- config-table:start -->` and `<!-- config-table:end -->`. */
export const CONFIG_TABLE_MARKER = 'config-table';

type JsonSchema = { readonly [key: string]: unknown };

/** The table, in Markdown. */
export function configTableMarkdown(): string {
  const schema = environmentJsonSchema();
  return [
    '| field | dev default | prod default | allowed | what it sets | where it comes from |',
    '| --- | --- | --- | --- | --- | --- |',
    ...declaredFields(settingsSchema).map((field) => {
      const allowed = field.info.allowed ?? allowedValues(schemaAt(schema, field.path));
      return `| \`${formatPath(field.path)}\` | ${defaultCell(field, 'dev')} | ${defaultCell(field, 'prod')} | ${cell(allowed)} | ${cell(field.info.description)} | ${cell(field.info.source)} |`;
    }),
  ].join('\n');
}

/** The README with its configuration block replaced by the current table; undefined when the markers are missing. */
export function withConfigTable(readme: string): string | undefined {
  const block = new RegExp(`(<!-- ${CONFIG_TABLE_MARKER}:start -->\\n)[\\s\\S]*?(<!-- ${CONFIG_TABLE_MARKER}:end -->)`);
  return block.test(readme) ? readme.replace(block, (_, start: string, end: string) => `${start}${configTableMarkdown()}\n${end}`) : undefined;
}

function defaultCell(field: DeclaredField, envName: EnvironmentName): string {
  const value = defaultIn(field, envName);
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
