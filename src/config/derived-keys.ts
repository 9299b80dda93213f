import type { Config } from './schema.js';

/** Keys the wizard puts in the app secret itself, by the component they come from. */
export const DERIVED_KEYS = {
  database: ['DATABASE_URL'],
  cache: ['REDIS_URL'],
  cognito: ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID', 'COGNITO_CLIENT_SECRET'],
} as const;

export const ALL_DERIVED_KEYS: readonly string[] = Object.values(DERIVED_KEYS).flat();

/** The derived keys this config's components produce. */
export function derivedKeys(config: Pick<Config, 'database' | 'cache' | 'auth'>): string[] {
  return [...(config.database ? DERIVED_KEYS.database : []), ...(config.cache ? DERIVED_KEYS.cache : []), ...(config.auth?.cognito ? DERIVED_KEYS.cognito : [])];
}
