import { link, lstat, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { readFileSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { StateError } from '../errors.js';
import { pidAlive } from './pid-alive.js';
import { writeSynced } from './write-synced.js';

export interface LockInfo {
  id: string;
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export interface Lock {
  info: LockInfo;
  release(): Promise<void>;
  /** Set when a dead holder's lock was broken to take this one. */
  brokeStale?: LockInfo;
  /** Why this run no longer holds the lock, once it is so (a lease-based lock only). */
  lost?(): string | undefined;
}

/** What the lock file says: a holder, nothing, or bytes that are not a lock (empty, truncated, unreadable). */
type Found = { kind: 'held'; info: LockInfo } | { kind: 'absent' } | { kind: 'invalid'; id: string; ageMs: number; why: string };

/** An unreadable lock older than this was left by a crash, not by a run still writing it. */
const INVALID_GRACE_MS = 10_000;

/** Locks this process holds, so a forced exit (a second Ctrl-C) can still release them. */
const held = new Map<string, string>();

async function writeTemp(dir: string, info: LockInfo): Promise<string> {
  const tmp = join(dir, `.lock.${info.id}.${process.pid}.tmp`);
  await writeSynced(tmp, JSON.stringify(info, null, 2) + '\n');
  return tmp;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * Takes the env's lock. The lock file only ever appears whole: its content is
 * written to a temp file first and put in place with link(), which fails when
 * a lock exists, so two runs cannot both win and a kill can never leave an
 * empty lock behind.
 *
 * A lock whose holder was on this host and is no longer running is stale. To
 * take it over, a run must first create the claim file `<lock>.takeover-<id>`
 * (O_EXCL) for that exact holder id, then check the lock still names that
 * holder, and only then replace it with rename(). Of any number of runs that
 * find the same dead holder, exactly one creates the claim; a run that finds
 * the lock changed after claiming backs off. A claim whose creator died too is
 * superseded by the next numbered claim, so nothing wedges forever.
 */
export async function acquireLock(path: string, command: string, now: Date): Promise<Lock> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info: LockInfo = { id: randomBytes(4).toString('hex'), pid: process.pid, host: hostname(), command, startedAt: now.toISOString() };
  const tmp = await writeTemp(dir, info);
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await link(tmp, path);
        return made(path, info);
      } catch (e) {
        if (code(e) !== 'EEXIST') throw e;
      }
      const found = await inspect(path);
      if (found.kind === 'absent') continue;
      if (found.kind === 'held' && (found.info.host !== info.host || pidAlive(found.info.pid))) throw lockedError(path, found);
      if (found.kind === 'invalid' && found.ageMs < INVALID_GRACE_MS) throw lockedError(path, found);
      const staleId = found.kind === 'held' ? found.info.id : found.id;
      const outcome = await takeOver(path, staleId, tmp);
      if (outcome === 'won')
        return made(
          path,
          info,
          found.kind === 'held'
            ? found.info
            : { id: staleId, pid: 0, host: info.host, command: `(${found.kind === 'invalid' ? found.why : ''})`, startedAt: '' },
        );
      // Lost the claim or the lock changed under us: look again (the new holder is most likely alive, which ends the loop with exit 3).
      await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 20)));
    }
    throw lockedError(path, await inspect(path));
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

function made(path: string, info: LockInfo, brokeStale?: LockInfo): Lock {
  held.set(path, info.id);
  return {
    info,
    brokeStale,
    release: async () => {
      held.delete(path);
      const current = await inspect(path);
      if (current.kind === 'held' && current.info.id === info.id) await unlink(path).catch(() => undefined);
    },
  };
}

/** Replaces the lock of `staleId` with ours, if and only if this run wins that holder's claim. */
async function takeOver(path: string, staleId: string, tmp: string): Promise<'won' | 'lost'> {
  const claim = await claimFor(path, staleId);
  if (!claim) return 'lost';
  try {
    const now = await inspect(path);
    const still = (now.kind === 'held' && now.info.id === staleId) || (now.kind === 'invalid' && now.id === staleId);
    if (!still) return 'lost';
    // Only a holder of this claim may replace this lock, and we hold it alone: the read above cannot go stale before the rename.
    const copy = `${tmp}.takeover`;
    await link(tmp, copy);
    await rename(copy, path);
    return 'won';
  } finally {
    await unlink(claim).catch(() => undefined);
  }
}

/** Creates the first free claim file for `staleId`; undefined when a live run holds one. */
async function claimFor(path: string, staleId: string): Promise<string | undefined> {
  for (let n = 1; n < 50; n++) {
    const claim = `${path}.takeover-${staleId}.${n}`;
    try {
      const fh = await open(claim, 'wx', 0o600);
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname() }));
      await fh.close();
      return claim;
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    }
    // Someone claimed it. Alive: they will finish the takeover. Dead (or unreadable after a moment): try the next number.
    let claimer: { pid?: number; host?: string } | undefined;
    try {
      claimer = JSON.parse(await readFile(claim, 'utf8'));
    } catch {
      const age = await lstat(claim)
        .then((s) => Date.now() - s.mtimeMs)
        .catch(() => INVALID_GRACE_MS);
      if (age < INVALID_GRACE_MS) return undefined;
    }
    if (claimer && (claimer.host !== hostname() || pidAlive(claimer.pid ?? 0))) return undefined;
  }
  return undefined;
}

async function inspect(path: string): Promise<Found> {
  let text: string;
  let st: Stats | undefined;
  try {
    st = await lstat(path);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (code(e) === 'ENOENT') return { kind: 'absent' };
    return {
      kind: 'invalid',
      id: `unreadable-${st?.ino ?? 0}`,
      ageMs: st ? Date.now() - st.mtimeMs : Infinity,
      why: `cannot be read: ${code(e) ?? (e as Error).message}`,
    };
  }
  const invalid = (why: string): Found => ({ kind: 'invalid', id: `unreadable-${st.ino}`, ageMs: Date.now() - st.mtimeMs, why });
  if (!text.trim()) return invalid('is empty (a run was killed while taking it)');
  try {
    const info = JSON.parse(text) as LockInfo;
    if (!info || typeof info.id !== 'string' || typeof info.pid !== 'number') return invalid('does not name a holder');
    return { kind: 'held', info };
  } catch {
    return invalid('is not valid JSON (a run was killed while writing it)');
  }
}

function lockedError(path: string, found: Found): StateError {
  if (found.kind === 'held') {
    const h = found.info;
    return new StateError(`lock state: ${path} is held by pid ${h.pid} on ${h.host} running "${h.command}" since ${h.startedAt}`, {
      hint: `Wait for it to finish. If that run is gone, break the lock with: deploy-wizard unlock ${h.id}`,
    });
  }
  if (found.kind === 'invalid') {
    return new StateError(`lock state: ${path} ${found.why}`, {
      hint: `If no other deploy-wizard run is active, break it with: deploy-wizard unlock ${found.id} (runs take it over by themselves ${INVALID_GRACE_MS / 1000}s after it was last written).`,
    });
  }
  return new StateError(`lock state: could not take ${path}; other runs kept taking it`, { hint: 'Run again when the other runs have finished.' });
}

export async function readLock(path: string): Promise<LockInfo | undefined> {
  const found = await inspect(path);
  return found.kind === 'held' ? found.info : undefined;
}

/**
 * Breaks a lock, but only the one the user named, so a new holder is never
 * broken by mistake. It takes the holder's claim first, like a takeover, so
 * it cannot race one.
 */
export async function breakLock(path: string, id: string): Promise<LockInfo> {
  const found = await inspect(path);
  if (found.kind === 'absent') throw new StateError(`unlock: there is no lock at ${path}`, { hint: 'Nothing to break; run the command again.' });
  const currentId = found.kind === 'held' ? found.info.id : found.id;
  if (currentId !== id) {
    const who = found.kind === 'held' ? `${currentId} (pid ${found.info.pid} on ${found.info.host})` : `${currentId} (the lock file ${found.why})`;
    throw new StateError(`unlock: the lock is held by ${who}, not ${id}`, { hint: `Run deploy-wizard unlock ${currentId} if that run is gone.` });
  }
  const claim = await claimFor(path, id);
  if (!claim) throw new StateError(`unlock: another run is taking over lock ${id} right now`, { hint: 'Run the command again.' });
  try {
    const again = await inspect(path);
    const againId = again.kind === 'held' ? again.info.id : again.kind === 'invalid' ? again.id : undefined;
    if (againId !== id) throw new StateError(`unlock: lock ${id} was already replaced`, { hint: 'Run the command again.' });
    const moved = `${path}.broken-${id}`;
    await rename(path, moved);
    await unlink(moved).catch(() => undefined);
  } finally {
    await unlink(claim).catch(() => undefined);
  }
  return found.kind === 'held' ? found.info : { id, pid: 0, host: hostname(), command: `(lock file ${found.why})`, startedAt: '' };
}

/**
 * For a forced exit (a second Ctrl-C): removes the locks this process holds,
 * synchronously, if they still name it.
 */
export function releaseHeldLocksSync(): void {
  for (const [path, id] of held) {
    try {
      const info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      if (info.id === id) unlinkSync(path);
    } catch {
      /* gone or not ours */
    }
  }
  held.clear();
}
