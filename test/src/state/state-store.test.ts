import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { StateStore, checkIdentity } from '../../../src/state/state-store.js';
import { emptyState, STATE_VERSION } from '../../../src/state/state-file.js';
import { StateError } from '../../../src/errors.js';

const now = new Date('2026-11-22T00:00:00Z');
const tmp = () => mkdtempSync(join(tmpdir(), 'dw-state-'));

describe('state store', () => {
  it('starts empty, saves with mode 0600 and keeps a .bak of the previous version', async () => {
    const root = tmp();
    const store = new StateStore(root, 'prod');
    const s = await store.load('app', now);
    expect(s).toMatchObject({ version: STATE_VERSION, app: 'app', env: 'prod', steps: {} });
    s.steps['a'] = { status: 'done', outputs: { id: 1 } };
    await store.save(s, now);
    expect(statSync(store.paths.file).mode & 0o777).toBe(0o600);
    expect(statSync(store.paths.dir).mode & 0o777).toBe(0o700);
    s.steps['a'] = { status: 'done', outputs: { id: 2 } };
    await store.save(s, now);
    expect(JSON.parse(readFileSync(store.paths.bak, 'utf8')).steps.a.outputs.id).toBe(1);
    expect(statSync(store.paths.bak).mode & 0o777).toBe(0o600);
    expect((await new StateStore(root, 'prod').load('app', now)).steps['a']?.outputs).toEqual({ id: 2 });
  });

  it('refuses a newer format version with exit 3', async () => {
    const root = tmp();
    const store = new StateStore(root, 'prod');
    mkdirSync(store.paths.dir, { recursive: true });
    writeFileSync(store.paths.file, JSON.stringify({ ...emptyState('app', 'prod', now), version: STATE_VERSION + 1 }));
    const err = await store.load('app', now).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/newer than this wizard understands/);
  });

  it('refuses state of another app, and a corrupt file, without touching it', async () => {
    const root = tmp();
    const store = new StateStore(root, 'prod');
    await store.save(emptyState('other', 'prod', now), now);
    await expect(store.load('app', now)).rejects.toThrow(/belongs to app "other"/);
    writeFileSync(store.paths.file, '{"version":1,');
    await expect(store.load('app', now)).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(store.paths.file, 'utf8')).toBe('{"version":1,');
  });

  it('records the account and region, and refuses a mismatch with exit 3', () => {
    const s = emptyState('app', 'prod', now);
    checkIdentity(s, '111111111111', 'us-east-1');
    expect(s).toMatchObject({ account: '111111111111', region: 'us-east-1' });
    expect(() => checkIdentity(s, '222222222222', 'us-east-1')).toThrow(/belongs to AWS account 111111111111/);
    expect(() => checkIdentity(s, '111111111111', 'eu-west-1')).toThrow(/deployed to us-east-1/);
  });

  it('survives concurrent writers: the file is always one complete version', async () => {
    const root = tmp();
    const a = new StateStore(root, 'prod');
    const b = new StateStore(root, 'prod');
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const s = emptyState('app', 'prod', now);
      s.steps['w'] = { status: 'done', outputs: { writer: i % 2 ? 'a' : 'b', i, pad: 'x'.repeat(5000) } };
      writes.push((i % 2 ? a : b).save(s, now));
    }
    // Read while the writes are in flight: never a torn file.
    let done = false;
    const all = Promise.all(writes).finally(() => (done = true));
    let seen = 0;
    while (!done) {
      try {
        expect(JSON.parse(readFileSync(a.paths.file, 'utf8')).steps.w.outputs.pad).toHaveLength(5000);
        seen++;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      await new Promise((r) => setImmediate(r));
    }
    await all;
    expect(seen).toBeGreaterThan(0);
    const final = JSON.parse(readFileSync(a.paths.file, 'utf8'));
    // One whole version from one writer: its fields agree with each other.
    expect(Number.isInteger(final.steps.w.outputs.i)).toBe(true);
    expect(final.steps.w.outputs.writer).toBe(final.steps.w.outputs.i % 2 ? 'a' : 'b');
    expect(readdirSync(a.paths.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the previous state when a write fails between temp file and rename', async () => {
    const root = tmp();
    const good = new StateStore(root, 'prod');
    const s = emptyState('app', 'prod', now);
    s.steps['a'] = { status: 'done', outputs: { v: 'old' } };
    await good.save(s, now);
    const crashing = new StateStore(root, 'prod', {
      rename: async () => {
        throw Object.assign(new Error('disk gone'), { code: 'EIO' });
      },
    });
    s.steps['a'] = { status: 'done', outputs: { v: 'new' } };
    await expect(crashing.save(s, now)).rejects.toThrow('disk gone');
    expect((await good.load('app', now)).steps['a']?.outputs).toEqual({ v: 'old' });
  });

  it('ignores and removes a temp file left by a process killed before its rename', async () => {
    const root = tmp();
    const store = new StateStore(root, 'prod');
    const s = emptyState('app', 'prod', now);
    s.steps['a'] = { status: 'done', outputs: { v: 'committed' } };
    await store.save(s, now);
    // A real process that dies (SIGKILL) right after writing its temp file.
    const child = spawn(process.execPath, [
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(store.paths.dir)} + '/.prod.state.json.' + process.pid + '.deadbeef.tmp', '{"half":'); process.kill(process.pid, 'SIGKILL')`,
    ]);
    await new Promise((r) => child.on('close', r));
    expect(readdirSync(store.paths.dir).some((n) => n.endsWith('.tmp'))).toBe(true);
    expect((await store.load('app', now)).steps['a']?.outputs).toEqual({ v: 'committed' });
    expect(readdirSync(store.paths.dir).some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('one ordered writer: saves from several callers never overlap and the last state always lands last', async () => {
    const root = tmp();
    let inFlight = 0;
    let maxInFlight = 0;
    const { rename } = await import('node:fs/promises');
    const store = new StateStore(root, 'prod', {
      rename: async (a, b) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        await rename(a, b);
        inFlight--;
      },
    });
    const s = await store.load('app', now);
    // The runner's transitions and a step's intents, saved concurrently as they are in a real run.
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      s.steps[i % 2 ? 'runner' : 'intents'] = { status: 'running', outputs: { i } };
      saves.push(store.save(s, now));
    }
    await Promise.all(saves);
    expect(maxInFlight).toBe(1);
    const saved = JSON.parse(readFileSync(store.paths.file, 'utf8'));
    expect(saved.steps.runner.outputs.i).toBe(39);
    expect(saved.steps.intents.outputs.i).toBe(38);
  });

  it.each([
    ['null', 'null', /holds null/],
    ['an array', '[]', /holds an array/],
    ['no steps', '{"version": 1, "app": "app", "env": "prod"}', /no "app" or no "steps"/],
    ['truncated JSON', '{"version": 1, "app": "ap', /not valid JSON/],
  ])('a state file holding %s exits 3 with a sentence, offering a good .bak', async (_what, text, why) => {
    const root = tmp();
    const store = new StateStore(root, 'prod');
    const good = await store.load('app', now);
    await store.save(good, now);
    await store.save(good, now); // now a .bak exists
    writeFileSync(store.paths.file, text);
    const err = await store.load('app', now).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(why);
    expect(err.hint).toContain(`cp ${store.paths.bak} ${store.paths.file}`);
  });
});
