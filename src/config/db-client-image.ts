import type { Config } from './schema.js';

/**
 * The database client image: the config's, or the official postgres image of
 * the engine's major version from ECR Public (reachable without Docker Hub's
 * pull limits). The major matters: pg_dump refuses a server newer than itself
 * ("aborting because of server version mismatch").
 */
export function dbClientImage(database: NonNullable<Config['database']>): string {
  return database.clientImage ?? `public.ecr.aws/docker/library/postgres:${database.engineVersion.split('.')[0]}-alpine`;
}
