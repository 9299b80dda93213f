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

/** The key of a service's own DATABASE_URL shape (services.<name>.database), which that service sees as DATABASE_URL. */
export const serviceDatabaseKey = (service: string) => `DATABASE_URL_${service.toUpperCase().replace(/-/g, '_')}`;

/** The services with a DATABASE_URL shape of their own, in a raw or parsed config. */
export const servicesWithDatabaseShape = (config: { database?: unknown; services?: Record<string, { database?: unknown }> }): string[] =>
  config.database ? Object.entries(config.services ?? {}).flatMap(([name, s]) => (s?.database ? [name] : [])) : [];

/** Whether DB_HOST, DB_PORT, DB_NAME, DB_USER and DB_PASSWORD are derived: database.urlParts, or a service's own. */
export const wantsUrlParts = (config: { database?: { urlParts?: boolean }; services?: Record<string, { database?: { urlParts?: boolean } }> }) =>
  !!config.database?.urlParts || Object.values(config.services ?? {}).some((s) => s?.database?.urlParts);

/** The derived keys this config's components produce. */
// Structural, not the schema's Config: the schema imports the list above, and this file must not import it back.
export function derivedKeys(config: {
  database?: { urlParts?: boolean; proxy?: boolean; readers?: number };
  services?: Record<string, { database?: { urlParts?: boolean } }>;
  cache?: unknown;
  auth?: { cognito?: unknown };
}): string[] {
  return [
    ...(config.database ? DERIVED_KEYS.database : []),
    ...(config.database && wantsUrlParts(config) ? DERIVED_KEYS.databaseParts : []),
    ...(config.database?.proxy ? DERIVED_KEYS.databaseDirect : []),
    ...(config.database?.readers ? DERIVED_KEYS.databaseRead : []),
    ...servicesWithDatabaseShape(config).map(serviceDatabaseKey),
    ...(config.cache ? DERIVED_KEYS.cache : []),
    ...(config.auth?.cognito ? DERIVED_KEYS.cognito : []),
  ];
}
