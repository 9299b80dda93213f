import { createHash } from 'node:crypto';
import type { ServiceSpec } from '../config/schema.js';
import { serviceDatabaseKey, servicesWithDatabaseShape } from './derived-keys.js';

type Reader = Pick<ServiceSpec, 'name' | 'secretEnv' | 'database'>;
type Shapes = { database?: unknown; services: Record<string, { database?: unknown }> };

/**
 * The variables a service sees and the key of the app secret each reads: those it lists (under their own
 * names or another), or every key but the other services' own DATABASE_URL shapes; with a shape of its own,
 * DATABASE_URL reads that. Only keys the secret holds.
 */
export function secretEnvFor(s: Reader, keys: readonly string[], config: Shapes): { name: string; key: string }[] {
  const stored = new Set(keys);
  const shapes = new Set(servicesWithDatabaseShape(config).map(serviceDatabaseKey));
  let env = (s.secretEnv ?? keys.filter((k) => !shapes.has(k)).map((k) => ({ name: k, key: k }))).filter((e) => stored.has(e.key));
  const own = s.database ? serviceDatabaseKey(s.name) : undefined;
  if (own && stored.has(own)) env = [...env.filter((e) => e.name !== 'DATABASE_URL' && e.key !== own), { name: 'DATABASE_URL', key: own }];
  return env.sort((a, b) => a.name.localeCompare(b.name));
}

/** The keys of the app secret a service reads, its sidecars' included (a new value of any of them rolls it). */
export const keysFor = (s: Reader & Pick<ServiceSpec, 'sidecars'>, keys: readonly string[], config: Shapes): string[] => [
  ...new Set(
    [s, ...(s.sidecars ?? []).map((sc) => ({ ...s, secretEnv: sc.secretEnv ?? s.secretEnv }))].flatMap((r) => secretEnvFor(r, keys, config).map((e) => e.key)),
  ),
];

/**
 * Which values of the secret a service's running tasks hold: ECS reads
 * secrets only when a task starts, so a changed value reaches the app only
 * through a new deployment. Made from when each of its keys last changed
 * (never the values), so it changes exactly when one of them does.
 */
export function secretVersion(keys: readonly string[], changedAt: Readonly<Record<string, string>>): string {
  if (!keys.length) return '';
  return createHash('sha256')
    .update(
      [...keys]
        .sort()
        .map((k) => `${k}=${changedAt[k] ?? ''}`)
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 16);
}
