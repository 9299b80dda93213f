import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { CLI, makeApp, readState, runCli, standinEnv } from '../helpers/cli.js';
import { startAwsProxy } from '../helpers/aws-proxy.js';

const withDatabase = (c: any) => {
  c.database = { name: 'app_db', extensions: [] };
};

describe('a call that never answers', () => {
  it('Ctrl-C while DescribeDBInstances hangs exits 130 within 2 s, saves state and releases the lock', async () => {
    const { dir } = makeApp(withDatabase);
    const proxy = await startAwsProxy(inject('standins').env.AWS_ENDPOINT_URL, (r) => (r.action === 'DescribeDBInstances' ? 'hang' : 'pass'));
    try {
      const child = spawn(process.execPath, [CLI, 'deploy', '--non-interactive'], {
        cwd: dir,
        env: standinEnv({ AWS_ENDPOINT_URL: proxy.url }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.stdout.on('data', () => undefined);
      const exited = new Promise<{ code: number | null; at: number }>((r) => child.on('close', (code) => r({ code, at: Date.now() })));
      // Wait (bounded) until the hanging call is in flight.
      for (let i = 0; i < 300 && !proxy.seen.some((r) => r.action === 'DescribeDBInstances'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(proxy.seen.some((r) => r.action === 'DescribeDBInstances')).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      const sent = Date.now();
      child.kill('SIGINT');
      const { code, at } = await exited;
      expect(code, stderr).toBe(130);
      expect(at - sent).toBeLessThan(2_000);
      expect(existsSync(join(dir, '.deploy-wizard', 'prod.lock'))).toBe(false);
      expect(readState(dir).steps.rds.status).toBe('failed');
      expect(stderr).toContain('Run the same command again to resume');
    } finally {
      await proxy.close();
    }
  });

  it('a hung endpoint fails the step after the request timeout and retries, naming the call, instead of hanging', async () => {
    const { dir } = makeApp(withDatabase);
    const proxy = await startAwsProxy(inject('standins').env.AWS_ENDPOINT_URL, (r) => (r.action === 'DescribeDBInstances' ? 'hang' : 'pass'));
    try {
      const start = Date.now();
      const r = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { AWS_ENDPOINT_URL: proxy.url, DEPLOY_WIZARD_AWS_TIMEOUT_MS: '300' } });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/RDS DescribeDBInstances/);
      expect(Date.now() - start).toBeLessThan(60_000);
      expect(proxy.seen.filter((x) => x.action === 'DescribeDBInstances').length).toBeGreaterThan(1); // retried, then gave up
      expect(existsSync(join(dir, '.deploy-wizard', 'prod.lock'))).toBe(false);
    } finally {
      await proxy.close();
    }
  });
});
