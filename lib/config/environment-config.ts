/**
 * The configuration's types and each environment's defaults, both read from the schema
 * (schema.ts), where every field is declared with its description, range and source.
 */
import { z } from 'zod';
import { EnvironmentName, ENVIRONMENT_NAMES } from './environments';
import { declaredFields, groupFields, isPlainObject } from './fields';
import { environmentConfigSchema, settingsSchema } from './schema';

export { boopEnvironment, DEFAULT_ENVIRONMENT, ENVIRONMENT_NAMES, isProduction } from './environments';
export type { EnvironmentName } from './environments';

/** Nothing in a loaded configuration may change after loading. */
type DeepReadonly<T> = T extends readonly (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** One environment's configuration, as loaded and checked. */
export type EnvironmentConfig = DeepReadonly<z.output<typeof environmentConfigSchema>>;
/** How the integration service reaches BOOP; becomes the container's BOOP_* environment. */
export type BoopConnectionConfig = EnvironmentConfig['boop'];
/** The Fargate services, one per slot. */
export type ServiceConfig = EnvironmentConfig['service'];
/** How green's share of traffic grows. */
export type RolloutConfig = EnvironmentConfig['rollout'];
/** The load balancer in front of both slots. */
export type LoadBalancerConfig = EnvironmentConfig['loadBalancer'];
/** The network the services run in. */
export type NetworkConfig = EnvironmentConfig['network'];
/** Who hears about an alarm, per severity (Monitoring Overview guide, "Alert Severity Levels"). */
export type AlertTargetsConfig = EnvironmentConfig['alerts'];
/** The alarm table's per-environment knobs. */
export type AlarmsConfig = EnvironmentConfig['alarms'];

type Settings = Omit<EnvironmentConfig, 'envName'>;
/**
 * What an environment's configuration starts from: every declared default. Fields without one are
 * absent: the optional ones, and those the vendor supplies (test/config checks this list).
 */
export type EnvironmentDefaults = Omit<Settings, 'boop' | 'service'> & {
  readonly boop: Omit<Settings['boop'], 'vendorId'>;
  readonly service: Omit<Settings['service'], 'images'> & { readonly images: Partial<Settings['service']['images']> };
};

function defaultsFor(envName: EnvironmentName): EnvironmentDefaults {
  const defaults: Record<string, unknown> = {};
  // Every group that may not be absent starts empty, so a missing required field is named by its own path.
  const ensureGroups = (type: z.ZodType, target: Record<string, unknown>) => {
    for (const [name, child] of Object.entries(groupFields(type) ?? {})) {
      if (child instanceof z.ZodObject) ensureGroups(child, (target[name] = {}) as Record<string, unknown>);
    }
  };
  ensureGroups(settingsSchema, defaults);
  for (const { path, info } of declaredFields(settingsSchema)) {
    const value = info[envName];
    if (value === undefined) continue;
    let target = defaults;
    for (const segment of path.slice(0, -1)) target = (isPlainObject(target[segment]) ? target[segment] : (target[segment] = {})) as Record<string, unknown>;
    target[path[path.length - 1]] = structuredClone(value);
  }
  return deepFreeze(defaults) as unknown as EnvironmentDefaults;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) Object.values(value).forEach(deepFreeze);
  return Object.freeze(value);
}

/** Each environment's defaults (from BOOP's guides where they say; see schema.ts). Values a vendor must supply are absent. */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<EnvironmentName, EnvironmentDefaults>> = Object.fromEntries(
  ENVIRONMENT_NAMES.map((envName) => [envName, defaultsFor(envName)]),
) as Record<EnvironmentName, EnvironmentDefaults>;
