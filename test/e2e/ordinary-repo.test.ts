import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { inject } from 'vitest';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
import { expectOk } from '../helpers/expect-ok.js';

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' }).toString();

/** An app as users have them: its own git repo, no .dockerignore, a Dockerfile that copies the whole context. */
function ordinaryRepo() {
  const made = makeApp();
  rmSync(join(made.dir, '.dockerignore'));
  rmSync(join(made.dir, '.gitignore'));
  writeFileSync(join(made.dir, '.gitignore'), 'dist/\n');
  writeFileSync(
    join(made.dir, 'Dockerfile'),
    [
      'FROM localhost/deploy-wizard-base:1',
      'ARG APP_VERSION=dev',
      'COPY . /app/',
      'COPY www/ /www/',
      'EXPOSE 8080',
      'CMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]',
      '',
    ].join('\n'),
  );
  git(made.dir, 'init', '-q');
  git(made.dir, 'add', '-A');
  git(made.dir, 'commit', '-qm', 'app');
  return made;
}

function podman(...args: string[]): string {
  const { env } = inject('standins');
  return execFileSync('podman', args, {
    env: { ...process.env, CONTAINERS_CONF: env.CONTAINERS_CONF, CONTAINERS_REGISTRIES_CONF: env.CONTAINERS_REGISTRIES_CONF },
    stdio: 'pipe',
  }).toString();
}

describe('an ordinary app repo (no .dockerignore, made dirty by the wizard itself)', () => {
  it('a re-run makes no mutating call and keeps the tag; the wizard files never reach the image; a gitignored dist/ that Docker sees changes the tag', async () => {
    const { dir, app } = ordinaryRepo();
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    const first = readState(dir).steps['ecr-push'].outputs.images.default;
    expect(git(dir, 'status', '--porcelain')).toContain('.gitignore'); // the wizard made the tree dirty

    const again = await recordedDeploy(dir);
    expect(again.code).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);
    expect(again.events.filter((e) => e.step === 'ecr-push').at(-1)?.status).toBe('unchanged');
    expect(readState(dir).steps['ecr-push'].outputs.images.default.imageTag).toBe(first.imageTag);

    // What the image holds: the context, never .deploy-wizard (state, .bak, lock, temp files).
    const listing = podman('run', '--rm', `${inject('standins').env.DEPLOY_WIZARD_REGISTRY}/${app}-prod:${first.imageTag}`, 'ls', '-a', '/app');
    expect(listing).toContain('Dockerfile');
    expect(listing).not.toContain('.deploy-wizard');

    // dist/ is gitignored but Docker is sent it: a new build.
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'bundle.js'), 'console.log("v2")');
    const third = await recordedDeploy(dir);
    expect(third.code).toBe(0);
    const tag3 = readState(dir).steps['ecr-push'].outputs.images.default.imageTag;
    expect(tag3).not.toBe(first.imageTag);
    expect(third.events.filter((e) => e.step === 'ecr-push').at(-1)?.status).toBe('done');

    // Touching files without changing them (a checkout, a formatter that rewrote the same bytes) does not rebuild.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'Dockerfile'), later, later);
    utimesSync(join(dir, 'dist', 'bundle.js'), later, later);
    const fourth = await recordedDeploy(dir);
    expect(fourth.code).toBe(0);
    expect(mutatingCalls(fourth.names)).toEqual([]);
  });

  it('a Docker engine that takes the build and never answers fails after image.idleTimeoutSeconds instead of hanging', async () => {
    const { dir } = makeApp((c) => (c.image.idleTimeoutSeconds = 5));
    // Answers the ping (so preflight passes) and swallows /build without a byte back.
    const held: import('node:http').ServerResponse[] = [];
    const server = createServer((req, res) => {
      if (req.url?.includes('/_ping')) return res.end('OK');
      req.resume();
      held.push(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const start = Date.now();
      const r = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
      const took = Date.now() - start;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/build image: Docker no progress for 5s/);
      expect(r.stderr).toContain('image.idleTimeoutSeconds');
      expect(took).toBeLessThan(60_000);
      expect(readState(dir).steps['ecr-push'].status).toBe('failed');
    } finally {
      for (const res of held) res.destroy();
      server.close();
    }
  });
});
