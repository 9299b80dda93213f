import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { acquireLock, breakLock, readLock } from '../../../src/state/lock.js';
import { StateError } from '../../../src/errors.js';

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

  it('real processes started together against one dead holder: exactly one takes the lock, every time', async () => {
    const script = `
      const { acquireLock } = await import(${JSON.stringify(join(import.meta.dirname, '../../../dist/src/state/lock.js'))});
      const [path, at] = process.argv.slice(1);
      while (Date.now() < Number(at)) {}
      try {
        const lock = await acquireLock(path, 'racer', new Date());
        console.log('won ' + (lock.brokeStale ? 'stale' : 'fresh'));
        await new Promise((r) => setTimeout(r, 1500));
        await lock.release();
      } catch (e) { console.log('lost ' + e.exitCode); }`;
    for (let round = 0; round < 5; round++) {
      const path = lockPath();
      const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, JSON.stringify({ id: `dead${round}`, pid: dead, host: hostname(), command: 'deploy-wizard deploy', startedAt: now.toISOString() }));
      const at = Date.now() + 700;
      const outs = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<string>((resolve) => {
              const c = spawn(process.execPath, ['--input-type=module', '-e', script, path, String(at)], { stdio: ['ignore', 'pipe', 'inherit'] });
              let out = '';
              c.stdout.on('data', (d) => (out += d));
              c.on('close', () => resolve(out.trim()));
            }),
        ),
      );
      expect(
        outs.filter((o) => o.startsWith('won')),
        outs.join(','),
      ).toEqual(['won stale']);
      expect(outs.filter((o) => o === 'lost 3')).toHaveLength(7);
      expect(existsSync(path)).toBe(false);
    }
  }, 60_000);

  it('an empty lock file (a kill between create and write) is named clearly, unlock breaks it, and an old one is taken over', async () => {
    const path = lockPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '');
    const err = await acquireLock(path, 'x', now).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(/is empty/);
    const id = /deploy-wizard unlock (\S+)/.exec(err.hint)![1]!;
    expect(id).toMatch(/^unreadable-\d+$/);
    await breakLock(path, id);
    expect(existsSync(path)).toBe(false);

    writeFileSync(path, '{"id": "trunc');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const lock = await acquireLock(path, 'x', now);
    expect(lock.brokeStale?.id).toMatch(/^unreadable-/);
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });
});
