import { createReadStream, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readFile, readdir, readlink } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

/** A .dockerignore pattern compiled to a test; `!` re-includes. */
interface Rule {
  negate: boolean;
  re: RegExp;
}

function compile(pattern: string): Rule | undefined {
  let p = pattern.trim();
  if (!p || p.startsWith('#')) return undefined;
  const negate = p.startsWith('!');
  if (negate) p = p.slice(1).trim();
  p = posix.normalize(p.replace(/^\/+/, '')).replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      re += '.*';
      i++;
      if (p[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern matching a directory also excludes everything below it.
  return { negate, re: new RegExp(`^${re}(?:/.*)?$`) };
}

export interface ListOptions {
  /**
   * Paths relative to the context that are never part of it, whatever
   * .dockerignore says: the wizard's own state directory. Its files change
   * during a run (state saves, the lock), so they must not reach the hash,
   * the tar or the image.
   */
  exclude?: readonly string[];
}

const vanished = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

/** The result, or undefined when the file vanished meanwhile: it is then simply not part of the context. */
async function unlessVanished<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (vanished(e)) return undefined;
    throw e;
  }
}

/**
 * Files of the build context, relative and sorted, after .dockerignore (last
 * matching rule wins, as Docker does). Symbolic links are listed as links and
 * never followed, as Docker sends them. A directory that vanishes while it is
 * walked is skipped, not fatal.
 */
export async function listContext(dir: string, opts: ListOptions = {}): Promise<string[]> {
  let rules: Rule[] = [];
  try {
    rules = (await readFile(join(dir, '.dockerignore'), 'utf8'))
      .split('\n')
      .map(compile)
      .filter((r): r is Rule => !!r);
  } catch {
    /* no .dockerignore */
  }
  const excluded = (opts.exclude ?? []).map((p) => p.replace(/\/+$/, '')).filter(Boolean);
  const isExcluded = (rel: string) => excluded.some((x) => rel === x || rel.startsWith(`${x}/`));
  const ignored = (rel: string) => rules.reduce((acc, r) => (r.re.test(rel) ? !r.negate : acc), false);
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(dir, rel), { withFileTypes: true });
    } catch (e) {
      if (rel && vanished(e)) return;
      throw e;
    }
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (isExcluded(child)) continue;
      if (e.isDirectory()) {
        // Docker still walks an ignored directory when a later "!" rule may re-include something in it.
        if (ignored(child) && !rules.some((r) => r.negate)) continue;
        await walk(child);
      } else if ((e.isFile() || e.isSymbolicLink()) && !ignored(child)) out.push(child);
    }
  };
  await walk('');
  return out.sort();
}

/** What one context entry contributes to the hash: path, kind, mode, size, and the sha256 of its bytes (a symlink's bytes are its target). */
function entryLine(path: string, kind: 'file' | 'symlink', mode: number, size: number, sha: string): string {
  return `${path}\0${kind}\0${(mode & 0o777).toString(8)}\0${size}\0${sha}\n`;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** What a file looked like when its digest was taken; any difference means it is read again. */
export interface CachedDigest {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
  sha: string;
}

/**
 * Digests of files by absolute path, kept between runs (as git's index keeps
 * stat data): a file whose size, mtime, ctime, inode and mode all match is not
 * read again. Entries for files written in the last two seconds are never
 * stored, since a second write within the clock's granularity would keep the
 * same mtime.
 */
export type DigestCache = Map<string, CachedDigest>;

const RACY_MS = 2_000;

function cached(cache: DigestCache | undefined, full: string, st: Stats): string | undefined {
  const c = cache?.get(full);
  if (!c) return undefined;
  return c.size === st.size && c.mtimeMs === st.mtimeMs && c.ctimeMs === st.ctimeMs && c.ino === st.ino && c.mode === st.mode ? c.sha : undefined;
}

function remember(cache: DigestCache | undefined, full: string, st: Stats, sha: string): void {
  if (!cache) return;
  if (Date.now() - st.mtimeMs < RACY_MS || Date.now() - st.ctimeMs < RACY_MS) cache.delete(full);
  else cache.set(full, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode, sha });
}

/**
 * sha256 over every context entry's path, kind, mode, size and content digest:
 * a changed file changes the image tag. A file that vanishes between listing
 * and hashing is simply not part of the context. With a cache, files whose
 * metadata has not changed since the last run are not read.
 */
export async function hashContext(dir: string, files: readonly string[], cache?: DigestCache): Promise<string> {
  const h = createHash('sha256');
  if (cache) {
    // Forget files of this context that are gone, so the cache does not grow with every deleted file.
    const listed = new Set(files.map((f) => join(dir, f)));
    for (const key of cache.keys()) if (key.startsWith(join(dir, '/')) && !listed.has(key)) cache.delete(key);
  }
  for (const f of files) {
    const full = join(dir, f);
    try {
      const st = await lstat(full);
      if (st.isSymbolicLink()) {
        const target = await readlink(full);
        h.update(entryLine(f, 'symlink', st.mode, Buffer.byteLength(target), sha256(target)));
      } else if (st.isFile()) {
        const hit = cached(cache, full, st);
        if (hit) {
          h.update(entryLine(f, 'file', st.mode, st.size, hit));
          continue;
        }
        const fh = await open(full, 'r');
        try {
          const now = await fh.stat();
          const fileHash = createHash('sha256');
          if (now.size > 0) await hashStream(fh.createReadStream({ start: 0, end: now.size - 1, autoClose: false }), fileHash);
          const sha = fileHash.digest('hex');
          h.update(entryLine(f, 'file', st.mode, now.size, sha));
          remember(cache, full, now, sha);
        } finally {
          await fh.close();
        }
      }
    } catch (e) {
      if (!vanished(e)) throw e;
    }
  }
  return h.digest('hex');
}

async function hashStream(stream: Readable, h: Hash): Promise<void> {
  for await (const chunk of stream) h.update(chunk as Buffer);
}

export interface PackedContext {
  /** The tar stream to send to Docker. */
  stream: Readable;
  /** Resolves, once the tar is complete, to the hash of exactly what was packed (same scheme as hashContext). */
  hash: Promise<string>;
}

/**
 * Packs `files` into a tar stream without holding the context in memory,
 * hashing exactly the bytes it sends. Symlinks go in as links. A file that
 * vanishes is left out (and so changes the hash); a file that changes size
 * while it is read fails the stream with a message naming it, instead of
 * leaving the build request open with nothing sent.
 */
export function packContext(dir: string, files: readonly string[], onProgress?: () => void): PackedContext {
  const pack = tar.pack();
  const h = createHash('sha256');
  const hash = (async () => {
    for (const f of files) {
      const full = join(dir, f);
      const st = await unlessVanished(lstat(full));
      if (!st) continue;
      if (st.isSymbolicLink()) {
        const target = await unlessVanished(readlink(full));
        if (target === undefined) continue;
        h.update(entryLine(f, 'symlink', st.mode, Buffer.byteLength(target), sha256(target)));
        await new Promise<void>((res, rej) =>
          pack.entry({ name: f, type: 'symlink', linkname: target, mode: st.mode & 0o7777, mtime: st.mtime }, (err) => (err ? rej(err) : res())),
        );
        continue;
      }
      if (!st.isFile()) continue;
      const fh = await unlessVanished(open(full, 'r'));
      if (!fh) continue;
      try {
        const size = (await fh.stat()).size;
        const fileHash = createHash('sha256');
        await new Promise<void>((res, rej) => {
          const entry = pack.entry({ name: f, type: 'file', size, mode: st.mode & 0o7777, mtime: st.mtime }, (err) =>
            err ? rej(new Error(`build context: ${f} changed size while it was being sent (${err.message}); run again once it is stable`)) : res(),
          );
          if (size === 0) return entry.end();
          const src = createReadStream('', { fd: fh.fd, start: 0, end: size - 1, autoClose: false });
          src.on('data', (chunk) => {
            fileHash.update(chunk as Buffer);
            onProgress?.();
          });
          src.on('error', rej);
          src.pipe(entry);
        });
        h.update(entryLine(f, 'file', st.mode, size, fileHash.digest('hex')));
      } finally {
        await fh.close();
      }
    }
    pack.finalize();
    return h.digest('hex');
  })();
  hash.catch((e) => pack.destroy(e as Error));
  return { stream: pack as unknown as Readable, hash };
}
