import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The package's own folder (package.json beside templates/), found once by walking up from this file: it sits
 * in src/ (tests), dist/src/ (the tsc build) or bundle/chunks/ (the published bundle), at different depths.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'templates')) || !existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('deploy-wizard: cannot find the folder of its own package (package.json beside templates/)');
    dir = up;
  }
  root = dir;
  return root;
}
