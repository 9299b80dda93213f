import type { CommonOptions, Io } from '../options.js';
import { systemClock } from '../clock.js';
import { previewCost } from '../session.js';
import { previewConfig } from './preview-config.js';
import { previewStates } from './preview-states.js';
import type { PreviewTarget } from './open-preview.js';

/** A preview's config, its prefixes and its cache database: the same for up and down. */
export function derive(t: Pick<PreviewTarget, 'loaded' | 'previews'>, name: string, cacheDb: number | undefined) {
  const cacheKeyPrefix = t.loaded.config.cache && !cacheDb ? `previews:${name}:` : undefined;
  const bucketPrefix = `previews/${name}/`;
  return { config: previewConfig(t.loaded.config, { bucketPrefix, cacheKeyPrefix }), bucketPrefix, cacheKeyPrefix, host: `${name}.${t.previews.domain}` };
}

const ageOf = (from: string, now: Date) => {
  const h = (now.getTime() - Date.parse(from)) / 3_600_000;
  return h < 48 ? `${Math.floor(h)}h` : `${Math.floor(h / 24)}d`;
};

/** The previews of a parent that are up, with their age, URL and monthly cost: for preview list and status. */
export async function previewRows(t: Pick<PreviewTarget, 'loaded' | 'previews' | 'parent'>, opts: CommonOptions, io: Io) {
  const now = systemClock.now();
  return (await previewStates(t.loaded, opts, io, t.parent)).map((s) => {
    const r = s.preview!;
    return {
      name: r.name,
      url: r.url ?? `(not up yet) ${r.host}`,
      age: ageOf(r.createdAt, now),
      updated: ageOf(r.upAt, now),
      upAt: r.upAt,
      database: r.database ?? '-',
      monthly: previewCost(derive(t, r.name, r.cacheDb).config).total,
    };
  });
}

export function formatPreviewRows(rows: Awaited<ReturnType<typeof previewRows>>): string {
  if (!rows.length) return 'No previews are up.';
  const head = ['NAME', 'URL', 'AGE', 'UPDATED', 'DATABASE', 'MONTHLY'];
  const body = rows.map((r) => [r.name, r.url, r.age, `${r.updated} ago`, r.database, `$${r.monthly}`]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(w[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
