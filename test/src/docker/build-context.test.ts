import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, unlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { hashContext, listContext, packContext, type DigestCache } from '../../../src/docker/build-context.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dw-ctx-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** Every entry of a tar stream: name, type, link target and body. */
async function untar(stream: NodeJS.ReadableStream): Promise<{ name: string; type: string; linkname?: string; body: string }[]> {
  const out: { name: string; type: string; linkname?: string; body: string }[] = [];
  const extract = tar.extract();
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, s, next) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => {
        out.push({ name: h.name, type: h.type ?? 'file', linkname: h.linkname ?? undefined, body: Buffer.concat(chunks).toString() });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.pipe(extract);
  });
  return out;
}

describe('build context', () => {
  it('honours .dockerignore: globs, directories, ** and ! re-includes', async () => {
    const dir = tree({
      '.dockerignore': 'node_modules\n*.log\n**/secret.txt\ndocs/\n!docs/keep.md\n# comment\n',
      Dockerfile: 'FROM scratch',
      'src/app.js': '1',
      'src/secret.txt': 'x',
      'node_modules/x/index.js': '1',
      'debug.log': 'x',
      'docs/a.md': 'x',
      'docs/keep.md': 'x',
    });
    expect(await listContext(dir)).toEqual(['.dockerignore', 'Dockerfile', 'docs/keep.md', 'src/app.js']);
  });

  it('hashes content: any changed byte or file changes the hash, nothing else does', async () => {
    const a = tree({ Dockerfile: 'FROM scratch', 'x.txt': 'one' });
    const b = tree({ Dockerfile: 'FROM scratch', 'x.txt': 'one' });
    const c = tree({ Dockerfile: 'FROM scratch', 'x.txt': 'two' });
    const h = async (d: string) => hashContext(d, await listContext(d));
    expect(await h(a)).toBe(await h(b));
    expect(await h(a)).not.toBe(await h(c));
  });

  it('never lists the excluded state directory, whatever .dockerignore says', async () => {
    const dir = tree({
      Dockerfile: 'FROM scratch',
      '.deploy-wizard/prod.state.json': '{}',
      '.deploy-wizard/.prod.state.json.1.ab.tmp': '{}',
      '.deploy-wizard-notes.txt': 'kept',
    });
    expect(await listContext(dir, { exclude: ['.deploy-wizard'] })).toEqual(['.deploy-wizard-notes.txt', 'Dockerfile']);
  });

  it('lists symlinks as links: a link to a directory and a dangling link neither crash nor get followed', async () => {
    const dir = tree({ Dockerfile: 'FROM scratch', 'real/a.txt': 'a' });
    symlinkSync('real', join(dir, 'linkdir'));
    symlinkSync('nowhere', join(dir, 'dangling'));
    const files = await listContext(dir);
    expect(files).toEqual(['Dockerfile', 'dangling', 'linkdir', 'real/a.txt']);
    const before = await hashContext(dir, files);
    unlinkSync(join(dir, 'dangling'));
    symlinkSync('elsewhere', join(dir, 'dangling'));
    expect(await hashContext(dir, files)).not.toBe(before);
    const entries = await untar(packContext(dir, files).stream);
    expect(entries.find((e) => e.name === 'linkdir')).toMatchObject({ type: 'symlink', linkname: 'real' });
    expect(entries.find((e) => e.name === 'dangling')).toMatchObject({ type: 'symlink', linkname: 'elsewhere' });
  });

  it('a file that vanishes between listing and hashing or packing is left out, not fatal', async () => {
    const dir = tree({ Dockerfile: 'FROM scratch', 'keep.txt': 'k', 'gone.txt': 'g' });
    const files = await listContext(dir);
    unlinkSync(join(dir, 'gone.txt'));
    const hash = await hashContext(dir, files);
    expect(hash).toBe(await hashContext(dir, ['Dockerfile', 'keep.txt']));
    const packed = packContext(dir, files);
    const entries = await untar(packed.stream);
    expect(entries.map((e) => e.name)).toEqual(['Dockerfile', 'keep.txt']);
    expect(await packed.hash).toBe(hash);
  });

  it('the packed tar hashes exactly like the listed context, file bodies included', async () => {
    const dir = tree({ Dockerfile: 'FROM scratch', 'empty.txt': '', 'dist/app.js': 'console.log(1)' });
    const files = await listContext(dir);
    const packed = packContext(dir, files);
    const entries = await untar(packed.stream);
    expect(entries.map((e) => [e.name, e.body])).toEqual([
      ['Dockerfile', 'FROM scratch'],
      ['dist/app.js', 'console.log(1)'],
      ['empty.txt', ''],
    ]);
    expect(await packed.hash).toBe(await hashContext(dir, files));
  });

  it('with a digest cache, a file whose metadata is unchanged is not read again; any change of metadata is read', async () => {
    const dir = tree({ Dockerfile: 'FROM scratch', 'a.txt': 'one', 'b.txt': 'two' });
    // Old enough that the cache may trust them (files written in the last two seconds are never cached).
    const old = new Date(Date.now() - 60_000);
    for (const f of ['Dockerfile', 'a.txt', 'b.txt']) utimesSync(join(dir, f), old, old);
    await new Promise((r) => setTimeout(r, 2_100)); // ctime moves with utimes; let it age past the racy window too
    const files = await listContext(dir);
    const cache: DigestCache = new Map();
    const cold = await hashContext(dir, files, cache);
    expect(cold).toBe(await hashContext(dir, files));
    expect([...cache.keys()].sort()).toEqual(files.map((f) => join(dir, f)).sort());

    // Proof the cache is trusted when nothing changed: plant a wrong digest and see it used.
    const a = join(dir, 'a.txt');
    cache.set(a, { ...cache.get(a)!, sha: '0'.repeat(64) });
    expect(await hashContext(dir, files, cache)).not.toBe(cold);

    // Rewrite a.txt with the same bytes and the same mtime: ctime changes, so it is read again and the digest is right.
    writeFileSync(a, 'one');
    utimesSync(a, old, old);
    expect(await hashContext(dir, files, cache)).toBe(cold);
  }, 10_000);

  it("a file changed within the cache's racy window is never cached; a deleted file is forgotten", async () => {
    const dir = tree({ Dockerfile: 'FROM scratch', 'fresh.txt': 'now' });
    const cache: DigestCache = new Map();
    await hashContext(dir, await listContext(dir), cache);
    expect(cache.has(join(dir, 'fresh.txt'))).toBe(false);
    cache.set(join(dir, 'gone.txt'), { size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1, mode: 0o100644, sha: 'x' });
    await hashContext(dir, await listContext(dir), cache);
    expect(cache.has(join(dir, 'gone.txt'))).toBe(false);
  });
});
