import { createHash } from 'node:crypto';
import type { ServiceSpec } from '../config/schema.js';

/** The keys of the app secret a service receives: those it lists, or all of them. */
export const keysFor = (s: Pick<ServiceSpec, 'secrets'>, keys: readonly string[]): string[] => keys.filter((k) => !s.secrets || s.secrets.includes(k));

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
