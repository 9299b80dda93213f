import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

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
  const outside = (r: string) => r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
  if (outside(rel)) return `site.dir: ${site.dir} is outside the app (${configDir}); give a path inside it`;
  // The app's own directory holds its config, Dockerfile, keys and sources: never a public site.
  if (rel === '') return `site.dir: ${site.dir} is the app's own directory; point it at the built frontend, such as web/dist`;
  if (existsSync(dir)) {
    // A symlink (the directory itself or one of its parents) may lead anywhere: what counts is where it ends.
    const real = realpathSync(dir);
    const realRel = relative(realpathSync(configDir), real);
    if (outside(realRel)) return `site.dir: ${site.dir} leads outside the app (to ${real}); give a directory inside it`;
    if (realRel === '') return `site.dir: ${site.dir} leads to the app's own directory; point it at the built frontend, such as web/dist`;
  }
  if (site.build && !afterBuild) return undefined;
  const after = site.build ? ` after site.build (${site.build.join(' ')}) ran` : '';
  if (!existsSync(dir)) return `site.dir: ${site.dir} does not exist${after}; build the frontend into it first, or fix the path`;
  if (!statSync(dir).isDirectory()) return `site.dir: ${site.dir} is not a directory`;
  if (!hasFile(dir)) return `site.dir: ${site.dir} is empty${after}; build the frontend into it first${site.build ? '' : ' (or set site.build)'}`;
  return undefined;
}
