import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CachedDigest, DigestCache } from './build-context.js';

/**
 * The build context's file digests between runs, in the wizard's own
 * directory (which is never part of a context). A missing or damaged file is
 * an empty cache: it only saves reading files again, it never decides a tag.
 */
export async function loadDigestCache(path: string): Promise<DigestCache> {
  try {
    const raw = JSON.parse(await readFile(path, 'utf8')) as { version?: number; entries?: Record<string, CachedDigest> };
    if (raw.version !== 1 || typeof raw.entries !== 'object' || raw.entries === null) return new Map();
    return new Map(Object.entries(raw.entries));
  } catch {
    return new Map();
  }
}

export async function saveDigestCache(path: string, cache: DigestCache): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ version: 1, entries: Object.fromEntries(cache) }), { mode: 0o600 });
  await rename(tmp, path);
}
