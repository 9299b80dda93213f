/** Keys the wizard puts in the app secret itself, by the component they come from. */
export const DERIVED_KEYS = {
  database: ['DATABASE_URL'],
  /** With database.urlParts, for apps that assemble their own URL. */
  databaseParts: ['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'],
  /** With database.proxy: the instance itself, for what a proxy cannot carry. */
  databaseDirect: ['DATABASE_DIRECT_URL'],
  /** With Aurora readers: the reader endpoint. */
  databaseRead: ['DATABASE_READ_URL'],
  cache: ['REDIS_URL'],
  cognito: ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID', 'COGNITO_CLIENT_SECRET'],
} as const;

export const ALL_DERIVED_KEYS: readonly string[] = Object.values(DERIVED_KEYS).flat();

/** The derived keys this config's components produce. */
// Structural, not the schema's Config: the schema imports the list above, and this file must not import it back.
export function derivedKeys(config: {
  database?: { urlParts?: boolean; proxy?: boolean; readers?: number };
  cache?: unknown;
  auth?: { cognito?: unknown };
}): string[] {
  return [
    ...(config.database ? DERIVED_KEYS.database : []),
    ...(config.database?.urlParts ? DERIVED_KEYS.databaseParts : []),
    ...(config.database?.proxy ? DERIVED_KEYS.databaseDirect : []),
    ...(config.database?.readers ? DERIVED_KEYS.databaseRead : []),
    ...(config.cache ? DERIVED_KEYS.cache : []),
    ...(config.auth?.cognito ? DERIVED_KEYS.cognito : []),
  ];
}
