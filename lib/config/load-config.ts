/**
 * Loading: the selected environment's defaults, then cdk.json's `boop:environments`, then a
 * `-c configFile=` file, then per-deploy `-c <field.path>=<value>` values; then the schema's
 * check. Every problem is collected and thrown at once as a ConfigError, each naming its field.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { DEFAULT_ENVIRONMENT, EnvironmentConfig, EnvironmentDefaults, ENVIRONMENT_NAMES, EnvironmentName } from './environment-config';
import { declaredDefaults, declaredFields, fieldOf, FieldPath, formatPath, groupFields, isPlainObject, isTextField, SettingInfo, valueAt } from './fields';
import { show } from './formats';
import { putKeyCommand } from '../../common/keys/api-keys';
import { IMAGE_PARAMETERS } from '../../common/names';
import { SLOTS } from '../../common/slots';
import { sensitiveKeyName } from '../../common/logging';
import { environmentConfigSchema, settingsSchema } from './schema';

/** Context key in cdk.json holding per-environment overrides: { "dev": {...}, "prod": {...} }. */
export const ENVIRONMENTS_CONTEXT_KEY = 'boop:environments';
/** Context key naming a JSON file of overrides for the selected environment (e.g. examples/prod.json). */
export const CONFIG_FILE_CONTEXT_KEY = 'configFile';
/** Context key selecting the environment. */
export const ENV_CONTEXT_KEY = 'env';

/** Fields that existed once: what to do instead (their values are never shown; one carried a key). */
const RETIRED_FIELDS: Readonly<Record<string, string>> = {
  'alerts.pagerDutyIntegrationUrl':
    'the integration URL carries its key, so it stays out of configuration: store it in an SSM String parameter and give that name as alerts.pagerDutyIntegrationUrlParameter (docs/configuration.md "Switching from alerts.pagerDutyIntegrationUrl" says how to switch without losing the subscription)',
};

/** A typo at most this many edits from a field's name gets "did you mean". */
const TYPO_DISTANCE = 2;

const DECLARED: ReadonlyMap<string, SettingInfo> = new Map(declaredFields(settingsSchema).map((field) => [formatPath(field.path), field.info]));
/** Optional fields where an empty value means none: the one way to clear from `-c` what cdk.json sets. */
const EMPTY_MEANS_NONE = declaredFields(settingsSchema).filter((field) => field.info.emptyMeansNone);

/** Each environment's defaults, as declared in schema.ts (from BOOP's guides where they say). Values a vendor must supply are absent. */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<EnvironmentName, EnvironmentDefaults>> = Object.fromEntries(
  ENVIRONMENT_NAMES.map((envName) => [envName, declaredDefaults(settingsSchema, envName) as unknown as EnvironmentDefaults]),
) as Record<EnvironmentName, EnvironmentDefaults>;

export class ConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    readonly envName?: string,
  ) {
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
      for (const name of Object.keys(fromCdkJson).filter((n) => !(ENVIRONMENT_NAMES as readonly string[]).includes(n))) {
        problems.push(`context "${ENVIRONMENTS_CONTEXT_KEY}" has unknown environment "${name}"; known: ${ENVIRONMENT_NAMES.join(', ')}`);
      }
      const origin = `cdk.json ${ENVIRONMENTS_CONTEXT_KEY}.${envName}`;
      merged = merge(merged, knownFields(Object.hasOwn(fromCdkJson, envName) ? fromCdkJson[envName] : undefined, origin, problems));
    }
  }

  const configFile = context[CONFIG_FILE_CONTEXT_KEY];
  if (configFile !== undefined) {
    merged = merge(
      merged,
      knownFields(
        readConfigFile(configFile, sources.cwd ?? process.cwd(), problems),
        `config file ${typeof configFile === 'string' ? configFile : show(configFile)}`,
        problems,
      ),
    );
  }

  merged = merge(merged, knownFields(withoutImages(perDeployOverrides(context, problems), envName, problems), '-c', problems));
  for (const field of EMPTY_MEANS_NONE) if (valueAt(merged, field.path) === '') merged = without(merged, field.path);

  const result = environmentConfigSchema.safeParse({ ...(merged as object), envName });
  if (!result.success) problems.push(...describeIssues(result.error.issues, merged, envName));
  if (problems.length > 0) throw new ConfigError([...new Set(problems)], envName);
  return result.data as EnvironmentConfig;
}

function selectEnvironment(value: unknown): EnvironmentName {
  if (value === undefined) return DEFAULT_ENVIRONMENT;
  if (typeof value === 'string' && (ENVIRONMENT_NAMES as readonly string[]).includes(value)) return value as EnvironmentName;
  throw new ConfigError([
    `unknown environment ${typeof value === 'string' ? `"${value}"` : show(value)} given with -c env; known environments: ${ENVIRONMENT_NAMES.join(', ')}`,
  ]);
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
 * A copy of one source's values holding only declared fields (own keys only, so `__proto__`,
 * `toString` and the like are unknown fields, never followed); each unknown field is a problem.
 */
function knownFields(value: unknown, origin: string, problems: string[], type: z.ZodType = settingsSchema, at: FieldPath = []): unknown {
  if (at.length === 0 && value !== undefined && !isPlainObject(value)) {
    problems.push(`${origin}: must be an object of fields such as { "boop": { ... } }, got ${show(value)}`);
    return undefined;
  }
  if (!isPlainObject(value) || !groupFields(type)) return value;
  const known: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    const field = fieldOf(type, name);
    if (field) known[name] = knownFields(child, origin, problems, field, [...at, name]);
    else problems.push(unknownField(origin, [...at, name], type));
  }
  return known;
}

function unknownField(origin: string, at: FieldPath, parent: z.ZodType): string {
  const field = formatPath(at);
  if (field === 'envName') return `${origin}: envName cannot be overridden; select the environment with -c env=<name>`;
  if (Object.hasOwn(RETIRED_FIELDS, field)) return `${origin}: ${field} is no longer a field; ${RETIRED_FIELDS[field]}`;
  // A field name that would carry a secret (the guide's sensitive names) is refused with where secrets go instead.
  if (sensitiveKeyName(at[at.length - 1])) {
    return `${origin}: ${field} looks like a secret, and secrets never go in configuration (it ends up in the template); BOOP API keys live in SSM: ${putKeyCommand('<env>', 'primary')} (docs/api-keys.md)`;
  }
  const siblings = Object.keys(groupFields(parent) ?? {});
  if (siblings.length === 0) return `${origin}: unknown field "${field}"; ${formatPath(at.slice(0, -1))} has no fields`;
  const near = closest(at[at.length - 1], siblings);
  const hint = near ? `did you mean "${formatPath([...at.slice(0, -1), near])}"?` : `known fields here: ${siblings.join(', ')}`;
  return `${origin}: unknown field "${field}"; ${hint}`;
}

/**
 * `-c service.images.green=repo:tag` style values: every context key whose first segment is a
 * top-level field. Other context keys (feature flags, env, configFile) are not configuration, but a
 * dotted one a typo away from a field is reported rather than ignored.
 */
function perDeployOverrides(context: Readonly<Record<string, unknown>>, problems: string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(context)) {
    const segments = key.split('.');
    if (!fieldOf(settingsSchema, segments[0])) {
      const near = segments.length > 1 ? closest(segments[0], Object.keys(groupFields(settingsSchema) ?? {})) : undefined;
      if (near) problems.push(`-c: unknown field "${key}"; did you mean "${[near, ...segments.slice(1)].join('.')}"?`);
      continue;
    }
    let [type, target]: [z.ZodType, Record<string, unknown>] = [settingsSchema, overrides];
    for (const [i, segment] of segments.entries()) {
      const field = fieldOf(type, segment);
      if (!field) {
        problems.push(unknownField('-c', segments.slice(0, i + 1), type));
        break;
      }
      if (i === segments.length - 1) target[segment] = parseContextValue(field, raw);
      else [type, target] = [field, (isPlainObject(target[segment]) ? target[segment] : (target[segment] = {})) as Record<string, unknown>];
    }
  }
  return overrides;
}

/**
 * The per-deploy values without images, each refused: an image given with -c lasted one deploy, and
 * the next deploy without the flag put the configured image back on a slot serving traffic. A slot's
 * image is its stack parameter's value, which later deploys keep; the configured one is its default.
 */
function withoutImages(overrides: Record<string, unknown>, envName: EnvironmentName, problems: string[]): Record<string, unknown> {
  const images = valueAt(overrides, ['service', 'images']);
  if (!isPlainObject(images)) return overrides;
  for (const slot of SLOTS.filter((slot) => Object.hasOwn(images, slot))) {
    problems.push(
      `-c service.images.${slot}: an image given with -c lasts one deploy; change the ${slot} slot's image with npx cdk deploy -c env=${envName} --parameters ${IMAGE_PARAMETERS[slot]}=<image>, which later deploys keep`,
    );
    delete images[slot];
  }
  return overrides;
}

/**
 * The CLI passes -c values as strings; JSON gives numbers, booleans, lists and objects their type.
 * Text fields stay as given: `-c account=012345678901` must not become the number 12345678901.
 */
function parseContextValue(field: z.ZodType, raw: unknown): unknown {
  if (typeof raw !== 'string' || isTextField(field)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** A copy of `value` without the field at `path`. */
function without(value: unknown, path: FieldPath): unknown {
  if (!isPlainObject(value) || path.length === 0) return value;
  const [name, ...rest] = path;
  const { [name]: child, ...others } = value;
  return rest.length === 0 ? others : { ...others, [name]: without(child, rest) };
}

/** Objects merge field by field; lists and values replace. Both sides hold declared fields only. */
function merge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const result: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(override)) result[name] = merge(base[name], value);
  return result;
}

/** The schema's issues as one line each, naming the field; a missing field gets one line saying what to set. */
function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, envName: EnvironmentName): string[] {
  const missing = new Map<string, string>();
  for (const issue of issues) {
    const value = valueAt(input, issue.path);
    if ((value === undefined || value === '') && (issue.code === 'invalid_type' || issue.code === 'too_small')) {
      const field = formatPath(issue.path);
      const what = DECLARED.get(field)?.whatToSet;
      missing.set(field, `${field}: missing${what ? `; set ${typeof what === 'function' ? what(envName) : what}` : ''}`);
    }
  }
  const others = issues
    .filter((issue) => !missing.has(formatPath(issue.path)))
    .map((issue) => (issue.path.length === 0 ? issue.message : `${formatPath(issue.path)}: ${issue.message}`));
  return [...missing.values(), ...others];
}

/** The closest name within TYPO_DISTANCE edits (and closer than the name is long), for "did you mean". */
function closest(name: string, candidates: readonly string[]): string | undefined {
  const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate.toLowerCase()) }));
  const best = scored.filter((s) => s.distance <= TYPO_DISTANCE && s.distance < name.length).sort((a, b) => a.distance - b.distance)[0];
  return best?.candidate;
}

/** Levenshtein distance. */
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
