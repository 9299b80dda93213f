import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashContext, listContext } from '../../src/docker/build-context.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dw-ctx-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

describe('build context', () => {
  it('honours .dockerignore: globs, directories, ** and ! re-includes', async () => {
    const dir = tree({
      '.dockerignore': 'node_modules\n*.log\n**/secret.txt\ndocs/\n!docs/keep.md\n# comment\n',
      'Dockerfile': 'FROM scratch',
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
});
