import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/standins.mjs';

/**
 * Debian's PostgreSQL server for the bench's previews (CREATE DATABASE, roles and pg_dump | pg_restore, which
 * PGlite does not serve): trust authentication, as the postgres user, on a free loopback port.
 */
export async function startDebianPostgres() {
  const bin = (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [])
    .map((v) => `/usr/lib/postgresql/${v}/bin`)
    .find((b) => existsSync(join(b, 'postgres')));
  if (!bin) throw new Error('the preview bench needs Debian PostgreSQL: apt-get install -y postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'dw-bench-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'initdb'), '-D', data, '--auth=trust', '-U', 'postgres'], { stdio: 'pipe' });
  const port = await freePort();
  const child = spawn(
    'runuser',
    ['-u', 'postgres', '--', join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  for (let i = 0; i < 100 && !out.includes('ready to accept connections'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('ready to accept connections')) throw new Error(`PostgreSQL did not start:\n${out}`);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        execFileSync('pkill', ['-TERM', '-f', `postgres -D ${data}`]);
      } catch {
        /* gone */
      }
    },
  };
}
