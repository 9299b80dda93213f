import type { Config } from '../config/schema.js';
import type { PreviewsSection } from '../config/previews-schema.js';
import { ALL_DERIVED_KEYS } from '../secrets/derived-keys.js';

/** The services a preview runs: previews.services, or every web service. */
export const previewServices = (config: Config, p: PreviewsSection): string[] =>
  p.services ??
  Object.values(config.services)
    .filter((s) => s.kind === 'web')
    .map((s) => s.name);

/**
 * The config a preview runs with, derived from its parent's: only the services it lists, each at previews.size
 * with one task and no autoscaling or Spot; the images they use; no schedules, domain, CDN, WAF, alarms or
 * budget (the parent's serve it, or a preview needs none); the database reached directly, not through the
 * parent's proxy (which knows only the parent's credentials), with no readers; and the migrations only when the
 * preview has a database of its own to migrate.
 */
export function previewConfig(parent: Config, o: { bucketPrefix: string; cacheKeyPrefix?: string }): Config {
  const p = parent.previews!;
  const names = previewServices(parent, p);
  const services = Object.fromEntries(
    Object.entries(parent.services)
      .filter(([n]) => names.includes(n))
      .map(([n, s]) => {
        const { autoscaling: _a, capacity: _c, hosts: _h, ...rest } = s;
        const environment = {
          ...s.environment,
          ...(parent.buckets ? { BUCKET_PREFIX: o.bucketPrefix } : {}),
          ...(parent.cache && o.cacheKeyPrefix ? { CACHE_KEY_PREFIX: o.cacheKeyPrefix } : {}),
        };
        return [n, { ...rest, cpu: p.size.cpu, memory: p.size.memory, desiredCount: 1, environment }];
      }),
  ) as Config['services'];
  const used = new Set(Object.values(services).flatMap((s) => [s.image, ...(s.sidecars ?? []).map((c) => c.image)]));
  const images = Object.fromEntries(Object.entries(parent.images).filter(([n]) => used.has(n))) as Config['images'];
  // A derived key the parent replaced with a value of its own would point the preview at the parent's data.
  const secrets = Object.fromEntries(Object.entries(parent.secrets).filter(([k]) => !ALL_DERIVED_KEYS.includes(k))) as Config['secrets'];
  const { domain: _d, site: _s, edge: _e, alarms: _al, budget: _b, previews: _p, loadBalancer: _lb, ...rest } = parent;
  return {
    ...rest,
    images,
    services,
    secrets,
    schedules: {},
    volumes: {},
    ...(parent.database ? { database: { ...parent.database, proxy: false, readers: 0, multiAz: false } } : {}),
    // Migrations run on the preview's own database, in a service it has (the parent's choice, when it runs it).
    migrations:
      parent.migrations && p.database !== 'shared'
        ? { ...parent.migrations, service: parent.migrations.service && names.includes(parent.migrations.service) ? parent.migrations.service : undefined }
        : undefined,
  } as Config;
}
