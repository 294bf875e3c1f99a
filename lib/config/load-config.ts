/**
 * Loading: the selected environment's defaults, then cdk.json's `boop:environments`, then a
 * `-c configFile=` file, then per-deploy `-c <field.path>=<value>` values; then the schema's
 * check. Every problem is collected and thrown at once as a ConfigError, each naming its field.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { EnvironmentConfig, EnvironmentDefaults } from './environment-config';
import { BOOP_ENVIRONMENT_FIELD, ENVIRONMENTS_CONTEXT_KEY, problemsOf, readDeclarations, sharedPlaceProblem, unknownEnvironment } from './environments';
import { declaredDefaults, declaredFields, fieldOf, FieldPath, formatPath, groupFields, isPlainObject, isTextField, SettingInfo, valueAt } from './fields';
import { show } from './formats';
import { putKeyCommand } from '../../common/keys/api-keys';
import { BOOP_ENVIRONMENTS, BoopEnvironment, DEFAULT_ENVIRONMENT, IMAGE_PARAMETERS } from '../../common/names';
import { SLOTS } from '../../common/slots';
import { sensitiveKeyName } from '../../common/logging';
import { environmentConfigSchema, settingsSchema } from './schema';

export { ENVIRONMENTS_CONTEXT_KEY } from './environments';
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

/** The defaults of an environment bound to each BOOP environment, as declared in schema.ts (from BOOP's guides where they say). Values a vendor must supply are absent. */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<BoopEnvironment, EnvironmentDefaults>> = Object.fromEntries(
  BOOP_ENVIRONMENTS.map((boopEnvironment) => [boopEnvironment, declaredDefaults(settingsSchema, boopEnvironment) as unknown as EnvironmentDefaults]),
) as Record<BoopEnvironment, EnvironmentDefaults>;

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
  const fromCdkJson = context[ENVIRONMENTS_CONTEXT_KEY];
  const declarations = readDeclarations(fromCdkJson);
  const selected = context[ENV_CONTEXT_KEY] ?? DEFAULT_ENVIRONMENT;
  const declared = typeof selected === 'string' ? declarations.environments.get(selected) : undefined;
  if (!declared) throw new ConfigError([...declarations.problems.map((p) => p.problem), unknownEnvironment(selected, declarations.environments, '-c env')]);
  const { name: envName, boopEnvironment } = declared;
  // Another declaration's problem waits until that environment is selected: it must not hold up this one's deploy.
  const problems: string[] = problemsOf(declarations, envName);
  let merged: unknown = ENVIRONMENT_DEFAULTS[boopEnvironment];

  if (isPlainObject(fromCdkJson) && Object.hasOwn(fromCdkJson, envName)) {
    // The binding is the declaration's, read above; the rest are the environment's fields.
    const settings = without(fromCdkJson[envName], [BOOP_ENVIRONMENT_FIELD]);
    merged = merge(merged, knownFields(settings, `cdk.json ${ENVIRONMENTS_CONTEXT_KEY}.${envName}`, problems));
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

  merged = merge(
    merged,
    knownFields(withoutWaivers(withoutImages(perDeployOverrides(context, problems), envName, problems), envName, problems), '-c', problems),
  );
  for (const field of EMPTY_MEANS_NONE) if (valueAt(merged, field.path) === '') merged = without(merged, field.path);
  const [account, region] = [valueAt(merged, ['account']), valueAt(merged, ['region'])];
  const clash = sharedPlaceProblem(
    declared,
    { account: typeof account === 'string' ? account : undefined, region: typeof region === 'string' ? region : undefined },
    declarations,
  );
  if (clash) problems.push(clash);

  const result = environmentConfigSchema.safeParse({ ...(merged as object), envName, boopEnvironment });
  if (!result.success) problems.push(...describeIssues(result.error.issues, merged, boopEnvironment));
  if (problems.length > 0) throw new ConfigError([...new Set(problems)], envName);
  return result.data as EnvironmentConfig;
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
  if (field === BOOP_ENVIRONMENT_FIELD) {
    return `${origin}: ${BOOP_ENVIRONMENT_FIELD} is declared once, in cdk.json's ${ENVIRONMENTS_CONTEXT_KEY}.<env>, and nowhere else can change which BOOP environment an environment talks to`;
  }
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
    if (key === BOOP_ENVIRONMENT_FIELD) problems.push(unknownField('-c', segments, settingsSchema));
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
function withoutImages(overrides: Record<string, unknown>, envName: string, problems: string[]): Record<string, unknown> {
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

/** Per-deploy waivers, refused: one given with -c would hold for one deploy and leave no record in cdk.json, where a waiver is reviewed. */
function withoutWaivers(overrides: Record<string, unknown>, envName: string, problems: string[]): Record<string, unknown> {
  if (!Object.hasOwn(overrides, 'productionWaivers')) return overrides;
  problems.push(
    `-c productionWaivers: a waiver given with -c lasts one deploy and is recorded nowhere you review; write it in cdk.json's ${ENVIRONMENTS_CONTEXT_KEY}.${envName}.productionWaivers`,
  );
  delete overrides.productionWaivers;
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
function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, boopEnvironment: BoopEnvironment): string[] {
  const missing = new Map<string, string>();
  for (const issue of issues) {
    const value = valueAt(input, issue.path);
    if ((value === undefined || value === '') && (issue.code === 'invalid_type' || issue.code === 'too_small')) {
      const field = formatPath(issue.path);
      const what = DECLARED.get(field)?.whatToSet;
      missing.set(field, `${field}: missing${what ? `; set ${typeof what === 'function' ? what(boopEnvironment) : what}` : ''}`);
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
