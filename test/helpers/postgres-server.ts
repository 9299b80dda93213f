import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, chmodSync, readdirSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain JS module shared with the demo script
import { freePort } from '../../scripts/standins.mjs';

/**
 * Debian's PostgreSQL server, which has no pgvector: the stand-in for a
 * database where the extension is NOT available. Runs as the postgres user
 * (the server refuses root) on a free loopback port; stop() kills it by pid.
 */
export async function startDebianPostgres(): Promise<{ url: string; stop: () => void }> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((b) => existsSync(join(b, 'postgres')));
  if (!bin) throw new Error('stand-in missing: Debian PostgreSQL server. Install it with: apt-get install -y postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'dw-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asPostgres = (cmd: string, args: string[]) => ['-u', 'postgres', '--', cmd, ...args];
  execFileSync('runuser', asPostgres(join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'postgres']), { stdio: 'pipe' });
  const port = await freePort();
  const log = join(dir, 'postgres.log');
  const child = spawn('runuser', asPostgres(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1']), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  for (let i = 0; i < 100 && !output.includes('ready to accept connections'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!output.includes('ready to accept connections')) {
    child.kill('SIGKILL');
    throw new Error(`Debian PostgreSQL did not start:\n${output}${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        execFileSync('pkill', ['-TERM', '-f', `postgres -D ${data}`]);
      } catch {
        /* already stopped */
      }
      child.kill('SIGTERM');
    },
  };
}
