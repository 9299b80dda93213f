import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/** A JSON template shipped under templates/, parsed. */
export function loadTemplate<T = unknown>(relPath: string): T {
  return JSON.parse(readFileSync(join(packageRoot(), 'templates', relPath), 'utf8')) as T;
}
