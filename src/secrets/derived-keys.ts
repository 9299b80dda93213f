/** Keys the wizard puts in the app secret itself, by the component they come from. */
export const DERIVED_KEYS = {
  database: ['DATABASE_URL'],
  cache: ['REDIS_URL'],
  cognito: ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID', 'COGNITO_CLIENT_SECRET'],
} as const;

export const ALL_DERIVED_KEYS: readonly string[] = Object.values(DERIVED_KEYS).flat();

/** The derived keys this config's components produce. */
// Structural, not the schema's Config: the schema imports the list above, and this file must not import it back.
export function derivedKeys(config: { database?: unknown; cache?: unknown; auth?: { cognito?: unknown } }): string[] {
  return [
    ...(config.database ? DERIVED_KEYS.database : []),
    ...(config.cache ? DERIVED_KEYS.cache : []),
    ...(config.auth?.cognito ? DERIVED_KEYS.cognito : []),
  ];
}
