import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

interface SiteSpec {
  dir: string;
  build?: string[];
}

function hasFile(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() || (e.isDirectory() && hasFile(join(dir, e.name)))) return true;
  }
  return false;
}

/**
 * Why site.dir cannot be published, or undefined: outside the app, missing,
 * not a directory, or empty. Checked before any AWS call; with site.build the
 * directory may appear only once the build ran, so then only its place is
 * checked up front (`afterBuild` checks the rest).
 */
export function siteDirProblem(configDir: string, site: SiteSpec, afterBuild = false): string | undefined {
  const dir = resolve(configDir, site.dir);
  const rel = relative(configDir, dir);
  if (rel === '..' || rel.startsWith(`..${sep}`)) return `site.dir: ${site.dir} is outside the app (${configDir}); give a path inside it`;
  if (site.build && !afterBuild) return undefined;
  const after = site.build ? ` after site.build (${site.build.join(' ')}) ran` : '';
  if (!existsSync(dir)) return `site.dir: ${site.dir} does not exist${after}; build the frontend into it first, or fix the path`;
  if (!statSync(dir).isDirectory()) return `site.dir: ${site.dir} is not a directory`;
  if (!hasFile(dir)) return `site.dir: ${site.dir} is empty${after}; build the frontend into it first${site.build ? '' : ' (or set site.build)'}`;
  return undefined;
}
