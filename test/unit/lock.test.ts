import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { acquireLock, breakLock, readLock } from '../../src/state/lock.js';
import { StateError } from '../../src/errors.js';

const now = new Date('2026-11-22T00:00:00Z');
const lockPath = () => join(mkdtempSync(join(tmpdir(), 'dw-lock-')), '.deploy-wizard', 'prod.lock');

describe('lock', () => {
  it('names its holder and refuses a second holder with exit 3', async () => {
    const path = lockPath();
    const lock = await acquireLock(path, 'deploy-wizard deploy', now);
    expect(await readLock(path)).toMatchObject({ pid: process.pid, host: hostname(), command: 'deploy-wizard deploy', startedAt: now.toISOString() });
    const err = await acquireLock(path, 'deploy-wizard deploy', now).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.hint).toContain(`deploy-wizard unlock ${lock.info.id}`);
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('only one of many concurrent acquirers wins', async () => {
    const path = lockPath();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => acquireLock(path, 'x', now)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('breaks a lock whose holder on this host is dead', async () => {
    const path = lockPath();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ id: 'dead0001', pid: dead, host: hostname(), command: 'deploy-wizard deploy', startedAt: now.toISOString() }));
    const lock = await acquireLock(path, 'deploy-wizard deploy', now);
    expect(lock.brokeStale?.id).toBe('dead0001');
    await lock.release();
  });

  it('keeps a lock held on another host until unlock names its ID', async () => {
    const path = lockPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ id: 'remote01', pid: 1, host: 'ci-runner-7', command: 'deploy-wizard deploy', startedAt: now.toISOString() }));
    await expect(acquireLock(path, 'x', now)).rejects.toThrow(/held by pid 1 on ci-runner-7/);
    await expect(breakLock(path, 'wrong')).rejects.toThrow(/held by remote01/);
    expect((await breakLock(path, 'remote01')).host).toBe('ci-runner-7');
    const lock = await acquireLock(path, 'x', now);
    await lock.release();
  });
});
