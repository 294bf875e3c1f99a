import * as fs from 'fs';
import * as path from 'path';
import {
  DEFAULT_ENVIRONMENT,
  ENVIRONMENT_DEFAULTS,
  ENVIRONMENT_NAMES,
  EnvironmentConfig,
  EnvironmentName,
} from './environment-config';
import { validateConfig } from './validate-config';

/** Context key in cdk.json holding per-environment overrides: { "dev": {...}, "prod": {...} }. */
export const ENVIRONMENTS_CONTEXT_KEY = 'boop:environments';
/** Context key naming a JSON file of overrides for the selected environment (e.g. examples/prod.json). */
export const CONFIG_FILE_CONTEXT_KEY = 'configFile';
/** Context key selecting the environment. */
export const ENV_CONTEXT_KEY = 'env';

/** Fields that may be absent; every other field is present in the defaults. */
const OPTIONAL_FIELDS = new Set([
  'account',
  'region',
  'boop.keyRotationDate',
  'loadBalancer.certificateArn',
  'network.availabilityZones',
  'alerts.pagerDutyIntegrationUrl',
  'alerts.slack',
]);
/** Objects whose keys are free (validated elsewhere) rather than fixed fields. */
const FREE_FORM_FIELDS = new Set(['alarms.overrides']);
/** Fields that are objects with fixed keys even though their default is absent. */
const OPTIONAL_OBJECT_FIELDS: Record<string, readonly string[]> = { 'alerts.slack': ['workspaceId', 'channelId'] };
/** Every optional field as a dotted path, objects expanded to their fields (for documentation checks). */
export function optionalFieldPaths(): string[] {
  return [...OPTIONAL_FIELDS].flatMap((field) => (OPTIONAL_OBJECT_FIELDS[field] ?? ['']).map((child) => (child ? `${field}.${child}` : field)));
}

/** Optional fields that hold text (all but the zone list); like every field whose default is text, a -c value for them is never parsed as JSON. */
const TEXT_FIELDS = new Set(optionalFieldPaths().filter((field) => field !== 'network.availabilityZones'));

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[], readonly envName?: string) {
    super(formatProblems(problems, envName));
    this.name = 'ConfigError';
  }
}

function formatProblems(problems: readonly string[], envName?: string): string {
  const where = envName ? ` for environment "${envName}"` : '';
  const plural = problems.length === 1 ? 'problem' : 'problems';
  return [`boop-deploy: configuration${where} has ${problems.length} ${plural}:`, ...problems.map((p) => `  - ${p}`)].join('\n');
}

/** Reads CDK context the way `app.node` does; kept abstract so tests can pass plain objects. */
export interface ConfigSources {
  /** All context values (cdk.json, cdk.context.json, -c). */
  readonly context: Readonly<Record<string, unknown>>;
  /** Directory relative file paths are resolved from. @default process.cwd() */
  readonly cwd?: string;
}

/**
 * Builds the selected environment's configuration: defaults, then cdk.json's `boop:environments`,
 * then a `-c configFile=` file, then per-deploy `-c <field.path>=<value>` values.
 * Throws ConfigError listing every problem at once.
 */
export function loadConfig(sources: ConfigSources): EnvironmentConfig {
  const context = sources.context;
  const envName = selectEnvironment(context[ENV_CONTEXT_KEY]);
  const problems: string[] = [];
  let merged: unknown = ENVIRONMENT_DEFAULTS[envName];

  const fromCdkJson = context[ENVIRONMENTS_CONTEXT_KEY];
  if (fromCdkJson !== undefined) {
    if (!isPlainObject(fromCdkJson)) {
      problems.push(`context "${ENVIRONMENTS_CONTEXT_KEY}" must be an object keyed by environment name (${ENVIRONMENT_NAMES.join(', ')})`);
    } else {
      for (const name of Object.keys(fromCdkJson)) {
        if (!(ENVIRONMENT_NAMES as readonly string[]).includes(name)) {
          problems.push(`context "${ENVIRONMENTS_CONTEXT_KEY}" has unknown environment "${name}"; known: ${ENVIRONMENT_NAMES.join(', ')}`);
        }
      }
      merged = applyOverrides(merged, fromCdkJson[envName], `cdk.json ${ENVIRONMENTS_CONTEXT_KEY}.${envName}`, problems);
    }
  }

  const configFile = context[CONFIG_FILE_CONTEXT_KEY];
  if (configFile !== undefined) {
    merged = applyOverrides(merged, readConfigFile(configFile, sources.cwd ?? process.cwd(), problems), `config file ${String(configFile)}`, problems);
  }

  merged = applyOverrides(merged, perDeployOverrides(context, problems), '-c', problems);

  const config = { ...(merged as EnvironmentConfig), envName };
  problems.push(...validateConfig(config));
  if (problems.length > 0) throw new ConfigError(problems, envName);
  return config;
}

function selectEnvironment(value: unknown): EnvironmentName {
  if (value === undefined) return DEFAULT_ENVIRONMENT;
  if (typeof value === 'string' && (ENVIRONMENT_NAMES as readonly string[]).includes(value)) return value as EnvironmentName;
  throw new ConfigError([`unknown environment "${String(value)}" given with -c env; known environments: ${ENVIRONMENT_NAMES.join(', ')}`]);
}

function readConfigFile(file: unknown, cwd: string, problems: string[]): unknown {
  if (typeof file !== 'string' || file === '') {
    problems.push(`-c ${CONFIG_FILE_CONTEXT_KEY} must be a path to a JSON file`);
    return undefined;
  }
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch {
    problems.push(`config file ${file} cannot be read (looked for ${full})`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    problems.push(`config file ${file} is not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * `-c service.images.green=repo:tag` style values: any context key whose first segment is a config
 * section. A dotted key whose first segment is one typo away from a section is a problem, not ignored.
 */
function perDeployOverrides(context: Readonly<Record<string, unknown>>, problems: string[]): Record<string, unknown> {
  const sections = Object.keys(ENVIRONMENT_DEFAULTS[DEFAULT_ENVIRONMENT]).filter((s) => s !== 'envName').concat('account', 'region');
  const overrides: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(context)) {
    const segments = key.split('.');
    if (!sections.includes(segments[0])) {
      const near = segments.length > 1 ? sections.find((section) => editDistance(section, segments[0]) <= 2) : undefined;
      if (near) problems.push(`-c ${key}: unknown field; did you mean ${[near, ...segments.slice(1)].join('.')}?`);
      continue;
    }
    let target = overrides;
    for (const segment of segments.slice(0, -1)) {
      target[segment] = isPlainObject(target[segment]) ? target[segment] : {};
      target = target[segment] as Record<string, unknown>;
    }
    target[segments[segments.length - 1]] = parseContextValue(key, raw);
  }
  return overrides;
}

/**
 * The CLI passes -c values as strings; JSON gives numbers, booleans and lists their type. Text fields
 * stay as given: `-c account=012345678901` must not become the number 12345678901.
 */
function parseContextValue(field: string, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (TEXT_FIELDS.has(field) || typeof defaultAt(field) === 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Deep-merges `overrides` onto `base`; objects merge, lists and values replace. Unknown fields are problems. */
function applyOverrides(base: unknown, overrides: unknown, origin: string, problems: string[], fieldPath = ''): unknown {
  if (overrides === undefined) return base;
  if (!isPlainObject(overrides)) {
    problems.push(`${origin}: ${fieldPath || 'the overrides'} must be an object`);
    return base;
  }
  const result: Record<string, unknown> = { ...(isPlainObject(base) ? base : {}) };
  for (const [key, value] of Object.entries(overrides)) {
    const field = fieldPath ? `${fieldPath}.${key}` : key;
    if (key === 'envName') {
      problems.push(`${origin}: envName cannot be overridden; select the environment with -c env=<name>`);
      continue;
    }
    const known = isPlainObject(base) && key in base;
    const freeForm = [...FREE_FORM_FIELDS].some((f) => fieldPath === f || fieldPath.startsWith(`${f}.`));
    if (!known && !freeForm && !OPTIONAL_FIELDS.has(field) && !(OPTIONAL_OBJECT_FIELDS[fieldPath] ?? []).includes(key)) {
      const siblings = isPlainObject(base) ? Object.keys(base).concat(optionalChildren(fieldPath)) : [];
      problems.push(`${origin}: unknown field "${field}"${siblings.length ? `; known fields here: ${siblings.join(', ')}` : ''}`);
      continue;
    }
    const current = isPlainObject(base) ? base[key] : undefined;
    const descends = isPlainObject(value) && (isPlainObject(current) || freeForm || field in OPTIONAL_OBJECT_FIELDS);
    result[key] = descends ? applyOverrides(current ?? {}, value, origin, problems, field) : value;
  }
  return result;
}

/** The dev default at a dotted field path (both environments' defaults have the same shape). */
function defaultAt(field: string): unknown {
  let value: unknown = ENVIRONMENT_DEFAULTS[DEFAULT_ENVIRONMENT];
  for (const segment of field.split('.')) value = isPlainObject(value) ? value[segment] : undefined;
  return value;
}

function optionalChildren(fieldPath: string): string[] {
  const prefix = fieldPath ? `${fieldPath}.` : '';
  return [...OPTIONAL_FIELDS].filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes('.')).map((f) => f.slice(prefix.length));
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
