/**
 * The environments this app knows, and the configuration's types, read from the schema (schema.ts),
 * where every field is declared with its description, range and source.
 */
import { z } from 'zod';
import { BoopEnvironment, boopEnvironmentOf } from '../../common/keys/api-keys';
import { EnvironmentName } from '../../common/names';
import type { environmentConfigSchema } from './schema';

export { ENVIRONMENT_NAMES } from '../../common/names';
export type { EnvironmentName } from '../../common/names';
/** The environment when `-c env` is not given. */
export const DEFAULT_ENVIRONMENT: EnvironmentName = 'dev';

/** True where BOOP's production rules apply (ven_live_ ids, https/wss only, confirmation). */
export function isProduction(config: { readonly envName: EnvironmentName }): boolean {
  return config.envName === 'prod';
}

/** The guide's BOOP_ENV value for an environment. */
export function boopEnvironment(config: { readonly envName: EnvironmentName }): BoopEnvironment {
  return boopEnvironmentOf(config.envName);
}

/** How a message names an environment: "production" or "dev". */
export function environmentInWords(envName: EnvironmentName): string {
  return envName === 'prod' ? 'production' : envName;
}

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

type Settings = Omit<EnvironmentConfig, 'envName'>;
/**
 * What an environment's configuration starts from (ENVIRONMENT_DEFAULTS in load-config.ts): every
 * declared default. Fields without one are absent: the optional ones, and those the vendor supplies
 * (test/config checks this list).
 */
export type EnvironmentDefaults = Omit<Settings, 'boop' | 'service'> & {
  readonly boop: Omit<Settings['boop'], 'vendorId'>;
  readonly service: Omit<Settings['service'], 'images'> & { readonly images: Partial<Settings['service']['images']> };
};
