import { open, readFile, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { StateError } from '../errors.js';
import { pidAlive } from './state-store.js';

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
}

/**
 * Takes the env's lock file (created with O_EXCL, so two runs cannot both win).
 * A lock whose holder was on this host and is no longer running is stale and is
 * broken; any other held lock is an error naming its holder (exit 3).
 */
export async function acquireLock(path: string, command: string, now: Date): Promise<Lock> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const info: LockInfo = { id: randomBytes(4).toString('hex'), pid: process.pid, host: hostname(), command, startedAt: now.toISOString() };
  let brokeStale: LockInfo | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(JSON.stringify(info, null, 2) + '\n');
      await fh.close();
      return {
        info,
        brokeStale,
        release: async () => {
          const current = await readLock(path);
          if (current?.id === info.id) await unlink(path).catch(() => undefined);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readLock(path);
    if (holder && holder.host === info.host && !pidAlive(holder.pid)) {
      await unlink(path).catch(() => undefined);
      brokeStale = holder;
      continue;
    }
    throw lockedError(path, holder);
  }
  throw lockedError(path, await readLock(path));
}

function lockedError(path: string, holder: LockInfo | undefined): StateError {
  const who = holder ? `pid ${holder.pid} on ${holder.host} running "${holder.command}" since ${holder.startedAt}` : 'an unreadable lock file';
  return new StateError(`lock state: ${path} is held by ${who}`, {
    hint: holder
      ? `Wait for it to finish. If that run is gone, break the lock with: deploy-wizard unlock ${holder.id}`
      : `If no other run is active, delete ${path}.`,
  });
}

export async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/** Breaks a lock, but only the one the user named, so a new holder is never broken by mistake. */
export async function breakLock(path: string, id: string): Promise<LockInfo> {
  const holder = await readLock(path);
  if (!holder) throw new StateError(`unlock: there is no lock at ${path}`);
  if (holder.id !== id) {
    throw new StateError(`unlock: the lock is held by ${holder.id} (pid ${holder.pid} on ${holder.host}), not ${id}`, {
      hint: `Run deploy-wizard unlock ${holder.id} if that run is gone.`,
    });
  }
  await unlink(path);
  return holder;
}
