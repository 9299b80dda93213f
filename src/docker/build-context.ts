import { readdir, readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';

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

/** Files of the build context, relative and sorted, after .dockerignore (last matching rule wins, as Docker does). */
export async function listContext(dir: string): Promise<string[]> {
  let rules: Rule[] = [];
  try {
    rules = (await readFile(join(dir, '.dockerignore'), 'utf8')).split('\n').map(compile).filter((r): r is Rule => !!r);
  } catch {
    /* no .dockerignore */
  }
  const ignored = (rel: string) => rules.reduce((acc, r) => (r.re.test(rel) ? !r.negate : acc), false);
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
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

/** sha256 over every context file's path, mode and contents: a changed file changes the image tag. */
export async function hashContext(dir: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    const st = await stat(join(dir, f));
    h.update(`${f}\0${st.mode & 0o777}\0${st.size}\0`);
    h.update(await readFile(join(dir, f)));
  }
  return h.digest('hex');
}
