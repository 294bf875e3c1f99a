/**
 * The environments this app knows, and the configuration's types, read from the schema (schema.ts),
 * where every field is declared with its description, range and source.
 */
import { z } from 'zod';
import type { BoopEnvironment } from '../../common/names';
import type { environmentConfigSchema } from './schema';

/** True where BOOP's production rules apply (ven_live_ ids, https/wss only, confirmation): the environment talks to BOOP production, whatever its name. */
export function isProduction(config: { readonly boopEnvironment: BoopEnvironment }): boolean {
  return config.boopEnvironment === 'production';
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

type Settings = Omit<EnvironmentConfig, 'envName' | 'boopEnvironment'>;
/**
 * What an environment's configuration starts from (ENVIRONMENT_DEFAULTS in load-config.ts): every
 * declared default. Fields without one are absent: the optional ones, and those the vendor supplies
 * (test/config checks this list).
 */
export type EnvironmentDefaults = Omit<Settings, 'boop' | 'service'> & {
  readonly boop: Omit<Settings['boop'], 'vendorId'>;
  readonly service: Omit<Settings['service'], 'images'> & { readonly images: Partial<Settings['service']['images']> };
};
