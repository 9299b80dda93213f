import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

// Found once by walking up from this file, so it works from src/ (tests) and dist/src/ (the package).
function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'templates')) || !existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('deploy-wizard: cannot find the templates/ folder of the package');
    dir = up;
  }
  root = dir;
  return root;
}

/** A JSON template shipped under templates/, parsed. */
export function loadTemplate<T = unknown>(relPath: string): T {
  return JSON.parse(readFileSync(join(packageRoot(), 'templates', relPath), 'utf8')) as T;
}
