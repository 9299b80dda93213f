import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { makeApp, makeExampleApp, readState, runCli } from '../helpers/cli.js';
import { startAwsProxy, throttlingFor, type AwsRequest } from '../helpers/aws-proxy.js';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
import { expectOk } from '../helpers/expect-ok.js';

const moto = () => inject('standins').env.AWS_ENDPOINT_URL;
let proxy: Awaited<ReturnType<typeof startAwsProxy>> | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe('faults from AWS that no emulator produces', () => {
  it('throttling on every other call, 5xx bursts and dropped connections for 30 s: the deploy completes, and nothing is made twice', async () => {
    const { dir, app, secrets } = makeExampleApp('agencio-predict');
    const start = Date.now();
    const stats = { window: 0, throttled: 0, failed5xx: 0, reset: 0 };
    proxy = await startAwsProxy(moto(), (r: AwsRequest) => {
      if (Date.now() - start > 30_000) return 'pass';
      stats.window++;
      // Every other call throttled; in each ten, two 5xx and one dropped connection among the rest.
      if (r.n % 2 === 0) return (stats.throttled++, throttlingFor(r));
      if (r.n % 10 === 1 || r.n % 10 === 7)
        return (stats.failed5xx++, { error: 'InternalFailure', message: 'We encountered an internal error. Please try again.', status: 503 });
      if (r.n % 10 === 3) return (stats.reset++, 'reset');
      return 'pass';
    });
    const r = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { ...secrets, AWS_ENDPOINT_URL: proxy.url } });
    expectOk(r);
    // The SDK's adaptive retry slows its own sending under throttling, so how many requests fall in the
    // window varies; the share of each fault among them does not.
    expect(stats.window).toBeGreaterThanOrEqual(4);
    expect(stats.throttled / stats.window).toBeGreaterThanOrEqual(0.45);
    expect(stats.failed5xx).toBeGreaterThanOrEqual(1);
    expect(stats.reset).toBeGreaterThanOrEqual(1);
    expect(Object.values(readState(dir).steps).every((s: any) => s.status === 'done')).toBe(true);
    // Straight to moto: everything exists once, so a re-run changes nothing.
    const again = await recordedDeploy(dir, secrets);
    expect(again.code).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);
    void app;
  }, 240_000);

  it('AccessDenied mid-run fails at once, naming the action and the resource, not after a wait deadline', async () => {
    const { dir, app, secrets } = makeExampleApp('arbiter-ai');
    proxy = await startAwsProxy(moto(), (r) =>
      r.action === 'CreateDBInstance'
        ? {
            error: 'AccessDenied',
            message: `User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: rds:CreateDBInstance on resource: arn:aws:rds:us-east-1:123456789012:db:${app}-prod because no identity-based policy allows the rds:CreateDBInstance action`,
            status: 403,
          }
        : 'pass',
    );
    const start = Date.now();
    const r = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { ...secrets, AWS_ENDPOINT_URL: proxy.url } });
    expect(r.code).toBe(1);
    expect(Date.now() - start).toBeLessThan(30_000);
    expect(r.stderr).toContain(`access denied to rds:CreateDBInstance on arn:aws:rds:us-east-1:123456789012:db:${app}-prod`);
    expect(r.stderr).toContain(`Grant rds:CreateDBInstance on arn:aws:rds:us-east-1:123456789012:db:${app}-prod`);
    // Denied, not throttled: asked once, never retried.
    expect(proxy.seen.filter((x) => x.action === 'CreateDBInstance')).toHaveLength(1);
    expect(readState(dir).steps.rds.status).toBe('failed');
  }, 120_000);

  it('credentials that expire mid-run: says how to re-authenticate, keeps the progress, and the next run resumes', async () => {
    const { dir } = makeApp();
    let expired = false;
    proxy = await startAwsProxy(moto(), (r) => {
      // The token expires once the roles are being made: network, image and buckets are done by then.
      if (r.action === 'CreateRole') expired = true;
      if (!expired) return 'pass';
      return r.service === 'sts' || r.service === 'iam' || r.service === 'ec2' || r.service === 's3' || r.service === 'elasticloadbalancing'
        ? { error: 'ExpiredToken', message: 'The security token included in the request is expired', status: 400 }
        : { error: 'ExpiredTokenException', message: 'The security token included in the request is expired', status: 400 };
    });
    const r = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { AWS_ENDPOINT_URL: proxy.url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/AWS credentials have expired or are not valid \(ExpiredToken(Exception)?\)/);
    expect(r.stderr).toContain('Re-authenticate');
    const state = readState(dir);
    const done = Object.entries(state.steps)
      .filter(([, s]: [string, any]) => s.status === 'done')
      .map(([id]) => id);
    expect(done.length).toBeGreaterThan(0);
    const again = await runCli(['deploy', '--non-interactive', '--json'], { cwd: dir });
    expectOk(again);
    const events = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const id of done) expect(events.filter((e) => e.step === id).at(-1)?.status, id).toBe('unchanged');
  }, 120_000);
});
