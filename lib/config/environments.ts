/** The environments this app knows; `-c env=<name>` picks one, none means dev. */
export const ENVIRONMENT_NAMES = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];
export const DEFAULT_ENVIRONMENT: EnvironmentName = 'dev';

/** True where BOOP's production rules apply (ven_live_ ids, https/wss only, confirmation). */
export function isProduction(config: { readonly envName: EnvironmentName }): boolean {
  return config.envName === 'prod';
}

/** The guide's BOOP_ENV value for an environment. */
export function boopEnvironment(config: { readonly envName: EnvironmentName }): 'development' | 'production' {
  return isProduction(config) ? 'production' : 'development';
}

/** How a message names an environment: "production" or "dev". */
export function environmentInWords(envName: EnvironmentName): string {
  return envName === 'prod' ? 'production' : envName;
}
