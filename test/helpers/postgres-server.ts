import { execFileSync, spawn } from 'node:child_process';
import { selfSignedCert } from './self-signed.js';
import { mkdtempSync, chmodSync, readdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain JS module shared with the demo script
import { freePort } from '../../scripts/standins.mjs';

/**
 * Debian's PostgreSQL server, which has no pgvector: the stand-in for a
 * database where the extension is NOT available. Runs as the postgres user
 * (the server refuses root) on a free loopback port; stop() kills it by pid.
 */
export async function startDebianPostgres(opts: { tls?: { password: string } } = {}): Promise<{ url: string; stop: () => void }> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((b) => existsSync(join(b, 'postgres')));
  if (!bin) throw new Error('stand-in missing: Debian PostgreSQL server. Install it with: apt-get install -y postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'dw-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asPostgres = (cmd: string, args: string[]) => ['-u', 'postgres', '--', cmd, ...args];
  if (opts.tls) {
    // Like RDS: password (SCRAM) authentication over TLS only, with a certificate no client trusts by default.
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, opts.tls.password);
    execFileSync('chown', ['postgres', pwfile]);
    execFileSync(
      'runuser',
      asPostgres(join(bin, 'initdb'), ['-D', data, '--auth-local=trust', '--auth-host=scram-sha-256', '-U', 'postgres', `--pwfile=${pwfile}`]),
      { stdio: 'pipe' },
    );
    selfSignedCert({ cn: 'db.internal', keyPath: join(data, 'server.key'), certPath: join(data, 'server.crt'), days: 2 });
    execFileSync('chown', ['postgres', join(data, 'server.key'), join(data, 'server.crt')]);
    chmodSync(join(data, 'server.key'), 0o600);
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(hba, readFileSync(hba, 'utf8').replace(/^host(\s)/gm, 'hostssl$1'));
  } else {
    execFileSync('runuser', asPostgres(join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'postgres']), { stdio: 'pipe' });
  }
  const port = await freePort();
  const log = join(dir, 'postgres.log');
  const child = spawn(
    'runuser',
    asPostgres(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', ...(opts.tls ? ['-c', 'ssl=on'] : [])]),
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  for (let i = 0; i < 100 && !output.includes('ready to accept connections'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!output.includes('ready to accept connections')) {
    child.kill('SIGKILL');
    throw new Error(`Debian PostgreSQL did not start:\n${output}${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
  }
  return {
    url: opts.tls
      ? `postgresql://postgres:${encodeURIComponent(opts.tls.password)}@127.0.0.1:${port}/postgres`
      : `postgresql://postgres@127.0.0.1:${port}/postgres`,
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
