import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const PG_CLIENT_IMAGE = 'localhost/dw-pgclient:3';

/**
 * database.clientImage for the tests: no registry is reachable, so the image
 * is made here, like the sample app's base: busybox (sh, printf, wget, dd, base64, sha256sum: what postgres:*-alpine has) and the
 * host's psql, pg_dump and pg_restore with the libraries ldd lists. The task
 * runner runs it as ECS would run postgres:16-alpine.
 */
export function ensurePgClientImage(env: Record<string, string | undefined>): string {
  const podman = (args: string[]) => execFileSync('podman', args, { env: { ...process.env, ...env }, stdio: 'pipe' });
  try {
    podman(['image', 'exists', PG_CLIENT_IMAGE]);
    return PG_CLIENT_IMAGE;
  } catch {
    /* made below */
  }
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((b) => existsSync(join(b, 'psql')));
  if (!bin) throw new Error('stand-in missing: the PostgreSQL client. Install it with: apt-get install -y postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'dw-pgclient-'));
  const root = join(dir, 'root');
  for (const d of ['bin', 'usr/bin', 'tmp']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  for (const a of ['sh', 'printf', 'cat', 'echo', 'sleep', 'wc', 'wget', 'dd', 'base64', 'sha256sum', 'rm', 'sed', 'grep'])
    symlinkSync('busybox', join(root, 'bin', a));
  const tools = ['psql', 'pg_dump', 'pg_restore'].map((t) => join(bin, t));
  for (const t of tools) copyFileSync(t, join(root, 'usr/bin', t.split('/').pop()!));
  const libs = new Set(
    execFileSync('ldd', tools, { encoding: 'utf8' })
      .split('\n')
      .flatMap((l) => /(\/\S+\.so\S*)/.exec(l)?.[1] ?? []),
  );
  for (const lib of libs) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
  execFileSync('chmod', ['-R', 'a+rx', root]);
  const tar = join(dir, 'root.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  podman(['import', '--change', 'ENV PATH=/usr/bin:/bin', '--change', 'CMD ["/bin/sh"]', tar, PG_CLIENT_IMAGE]);
  rmSync(dir, { recursive: true, force: true });
  return PG_CLIENT_IMAGE;
}
