import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** This package's version (dist/src/version.js sits two levels below package.json). */
export function ownVersion(): string {
  return (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
}
