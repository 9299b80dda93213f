import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { makeApp, makeExampleApp, readState, runCli, standinEnv } from '../helpers/cli.js';
import { spawnSync } from 'node:child_process';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
import { expectDeployed } from '../helpers/expect-ok.js';
import { startAwsProxy } from '../helpers/aws-proxy.js';
import { inject } from 'vitest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { findLeaks } from '../helpers/leaks.js';

// Two checkouts of one app (a teammate, a CI runner) sharing one state in S3.

const s3 = () => new S3Client({ region: 'us-east-1', forcePathStyle: true });
const key = (app: string) => `ledger/${app}/prod.state.json`;

async function stateBucket(): Promise<string> {
  const b = `dw-shared-${randomBytes(4).toString('hex')}`;
  await s3().send(new CreateBucketCommand({ Bucket: b }));
  // As state init makes it: every earlier version kept.
  await s3().send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
  return b;
}

/** A second checkout of the same app: the repository's files, none of the first checkout's .deploy-wizard/. */
function secondCheckout(dir: string): string {
  const other = mkdtempSync(join(tmpdir(), 'dw-checkout-'));
  cpSync(dir, other, { recursive: true, filter: (src) => !src.includes('/.deploy-wizard') });
  return other;
}

/** Another writer's state: the current one plus a step, written with their name in the metadata. */
function writeAsSomeoneElse(bucket: string, objectKey: string): string {
  const py = `
import boto3, json, os, sys
s3 = boto3.client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL'], region_name='us-east-1')
s = json.loads(s3.get_object(Bucket=sys.argv[1], Key=sys.argv[2])['Body'].read())
s['steps']['note'] = {'status': 'done'}
body = json.dumps(s)
s3.put_object(Bucket=sys.argv[1], Key=sys.argv[2], Body=body, Metadata={'writer': 'cafe0042 pid 99 on teammate-laptop: deploy-wizard deploy'})
sys.stdout.write(body)
`;
  const r = spawnSync('python3', ['-c', py, bucket, objectKey], { env: standinEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

const remoteState = async (bucket: string, app: string) =>
  JSON.parse(await (await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key(app) }))).Body!.transformToString());

describe('shared state in S3', () => {
  it('a second checkout deploys with zero mutating calls; 20 pairs of deploys started together give one run and one exit 3', async () => {
    const bucket = await stateBucket();
    const { dir, app } = makeApp((c) => (c.state = { backend: 's3', bucket, prefix: 'ledger/' }));
    const first = await recordedDeploy(dir);
    expectDeployed(first);
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.state.json'))).toBe(false);
    expect((await remoteState(bucket, app)).steps['first-boot'].status).toBe('done');

    const other = secondCheckout(dir);
    const second = await recordedDeploy(other);
    expectDeployed(second);
    // The only writes are the ledger's own: the lock and the state object.
    expect(mutatingCalls(second.names).filter((n) => !n.startsWith('State:'))).toEqual([]);
    expect(second.names.filter((n) => n.startsWith('State:'))).toContain('State:PutObject');

    // AWS answers in tens of milliseconds, moto in one: give each call AWS's latency, so a run holds the lock as long as it would there.
    const proxy = await startAwsProxy(inject('standins').env.AWS_ENDPOINT_URL, () => ({ delayMs: 30 }));
    const env = { AWS_ENDPOINT_URL: proxy.url };
    for (let i = 0; i < 20; i++) {
      const [a, b] = await Promise.all([runCli(['--non-interactive'], { cwd: dir, env }), runCli(['--non-interactive'], { cwd: other, env })]);
      const codes = [a.code, b.code].sort();
      expect(codes, `round ${i}: ${a.stderr}\n${b.stderr}`).toEqual([0, 3]);
      const loser = a.code === 3 ? a : b;
      // The summary says where the state really is.
      expect((a.code === 0 ? a : b).stdout).toMatch(new RegExp(`State +s3://${bucket}/ledger/${app}/prod\\.state\\.json`));
      expect(loser.stderr).toMatch(/lock state: s3:\/\/.* is held by pid \d+ on /);
      expect(loser.stderr).toContain('deploy-wizard unlock ');
    }
    await proxy.close();
    // Every lock was released: the next run goes straight through.
    expectDeployed(await recordedDeploy(other));
  }, 600_000);

  it('a deploy whose state was changed under it by another writer stops with exit 3 naming them, and leaves their state intact', async () => {
    const bucket = await stateBucket();
    const { dir, app } = makeApp((c) => (c.state = { backend: 's3', bucket, prefix: 'ledger/' }));
    expectDeployed(await recordedDeploy(dir));
    const cfg = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    cfg.environment = { ...cfg.environment, FEATURE: 'on' };
    writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(cfg, null, 2));
    let theirs = '';
    const r = await recordedDeploy(dir, {}, {}, (name) => {
      // The moment this run changes AWS, someone who broke its lock writes the state (synchronously, so it lands first).
      if (name !== 'ECS:RegisterTaskDefinition' || theirs) return;
      theirs = writeAsSomeoneElse(bucket, key(app));
    });
    expect(r.code).toBe(3);
    expect(r.error?.message).toContain('cafe0042 pid 99 on teammate-laptop');
    const after = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key(app) }));
    expect(await after.Body!.transformToString()).toBe(theirs);
    // The next run reads their state and converges.
    expectDeployed(await recordedDeploy(dir));
  }, 300_000);

  it('SIGKILL right after taking the lock on another machine: a run within the lease exits 3; one after it takes over and completes', async () => {
    const bucket = await stateBucket();
    const { dir, app } = makeApp((c) => (c.state = { backend: 's3', bucket, prefix: 'ledger/' }));
    // Long enough that the next run, started on a busy machine, reads the lock well within it.
    const env = { DEPLOY_WIZARD_LOCK_LEASE_MS: '8000' };
    const killed = await runCli(['--non-interactive'], { cwd: dir, env: { ...env, DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: 'State:PutObject' } });
    expect(killed.signal).toBe('SIGKILL');
    // The holder was on another machine (a CI runner that died): only its lease can tell it is gone.
    const lockKey = `ledger/${app}/prod.lock`;
    const held = JSON.parse(await (await s3().send(new GetObjectCommand({ Bucket: bucket, Key: lockKey }))).Body!.transformToString());
    expect(held).toMatchObject({ command: 'deploy-wizard --non-interactive', leaseMs: 8000 });
    expect(held.machine).toMatch(/^[0-9a-f]{32}$/);
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: lockKey, Body: JSON.stringify({ ...held, host: 'ci-runner-7', machine: '0'.repeat(32) }) }));
    const early = await runCli(['--non-interactive'], { cwd: dir, env });
    expect(early.code, early.stderr).toBe(3);
    expect(early.stderr).toMatch(/lease runs out in \d+s/);
    // unlock names the lock it breaks: a wrong ID leaves it be.
    const wrong = await runCli(['unlock', '00000000'], { cwd: dir });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain(`held by ${held.id}`);
    await new Promise((r) => setTimeout(r, 8500));
    const late = await runCli(['--non-interactive'], { cwd: dir, env });
    expect(late.code, late.stderr).toBe(0);
    expect(late.stderr).toContain('Took over a stale lock');
    expect(late.stderr).toContain('stopped renewing its lease');
    expect((await remoteState(bucket, app)).steps['first-boot'].status).toBe('done');
  }, 300_000);

  it('Ctrl-C releases the S3 lock; no secret value reaches the state object', async () => {
    const bucket = await stateBucket();
    const ex = makeExampleApp('agencio-predict', (c) => {
      c.state = { backend: 's3', bucket, prefix: 'ledger/' };
      delete c.database;
      delete c.cache;
      delete c.auth;
      delete c.buckets;
      // Asked and generated keys stay; keys derived from the data stores go with them.
      for (const [k, s] of Object.entries(c.secrets as Record<string, any>)) if (!s.prompt && !s.generate) delete c.secrets[k];
    });
    // The run holds the lock while a call hangs; Ctrl-C then.
    const proxy = await startAwsProxy(inject('standins').env.AWS_ENDPOINT_URL, (q) => (q.action === 'RegisterTaskDefinition' ? 'hang' : 'pass'));
    let pid: import('node:child_process').ChildProcess | undefined;
    const running = runCli(['--non-interactive'], {
      cwd: ex.dir,
      env: { ...ex.secrets, AWS_ENDPOINT_URL: proxy.url },
      onStderr: (_c, child) => (pid = child),
      onStdout: (_c, child) => (pid = child),
    });
    for (let i = 0; i < 600 && !proxy.seen.some((q) => q.action === 'RegisterTaskDefinition'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(proxy.seen.some((q) => q.action === 'RegisterTaskDefinition')).toBe(true);
    pid!.kill('SIGINT');
    const r = await running;
    await proxy.close();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('Run the same command again to resume');
    const gone = await s3()
      .send(new HeadObjectCommand({ Bucket: bucket, Key: `ledger/${ex.app}/prod.lock` }))
      .catch((e) => e);
    expect(gone.$metadata?.httpStatusCode).toBe(404);
    const done = await recordedDeploy(ex.dir, ex.secrets);
    expectDeployed(done);
    // The asked values and the generated ones, searched by 8-character slice (as for the local file) in every version the bucket kept.
    const stored = JSON.parse(
      (await new SecretsManagerClient({ region: 'us-east-1' }).send(new GetSecretValueCommand({ SecretId: `${ex.app}/prod` }))).SecretString!,
    ) as Record<string, string>;
    const values = [...new Set([...Object.values(ex.secrets), ...Object.values(stored)])].filter((v) => v.length >= 8);
    expect(values.length).toBeGreaterThan(Object.keys(ex.secrets).length);
    const all = await s3().send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `ledger/${ex.app}/` }));
    const texts: Record<string, string> = {};
    for (const v of all.Versions ?? [])
      texts[`${v.Key}@${v.VersionId}`] = await (
        await s3().send(new GetObjectCommand({ Bucket: bucket, Key: v.Key!, VersionId: v.VersionId }))
      ).Body!.transformToString();
    expect(Object.keys(texts).length).toBeGreaterThan(5);
    expect(findLeaks(values, texts)).toEqual([]);
  }, 300_000);

  it('state init, push and pull: a local state moves to S3 (kept locally, renamed); a newer remote state is never overwritten', async () => {
    const { dir, app } = makeApp();
    expectDeployed(await recordedDeploy(dir));
    const init = await runCli(['state', 'init', '--bucket', `dw-init-${app}`, '--prefix', 'ledger'], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain(`"state": { "backend": "s3", "bucket": "dw-init-${app}", "prefix": "ledger/" }`);
    const again = await runCli(['state', 'init', '--bucket', `dw-init-${app}`, '--prefix', 'ledger/', '--json'], { cwd: dir });
    expect(JSON.parse(again.stdout).changed).toEqual([]);

    const local = readState(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    cfg.state = { backend: 's3', bucket: `dw-init-${app}`, prefix: 'ledger/' };
    writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(cfg, null, 2));
    const push = await runCli(['state', 'push'], { cwd: dir });
    expect(push.code, push.stderr).toBe(0);
    expect((await remoteState(`dw-init-${app}`, app)).steps).toEqual(local.steps);
    const parked = readdirSync(join(dir, '.deploy-wizard')).find((f) => f.startsWith('prod.state.json.pushed-'));
    expect(parked).toBeTruthy();
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.state.json'))).toBe(false);

    const moved = await recordedDeploy(dir);
    expectDeployed(moved);
    expect(mutatingCalls(moved.names).filter((n) => !n.startsWith('State:'))).toEqual([]);
    // A change deployed from the S3 state makes it newer than any local copy.
    cfg.environment = { ...cfg.environment, FEATURE: 'on' };
    writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(cfg, null, 2));
    expectDeployed(await recordedDeploy(dir));

    // An old local copy comes back (restored from a backup): pushing it would lose the newer remote state.
    renameSync(join(dir, '.deploy-wizard', parked!), join(dir, '.deploy-wizard', 'prod.state.json'));
    const before = await remoteState(`dw-init-${app}`, app);
    const refused = await runCli(['state', 'push'], { cwd: dir });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('is newer');
    expect(await remoteState(`dw-init-${app}`, app)).toEqual(before);

    const pull = await runCli(['state', 'pull'], { cwd: dir });
    expect(pull.code, pull.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, '.deploy-wizard', 'prod.state.pulled.json'), 'utf8'))).toEqual(before);

    // --state-backend local overrides the config for one run; DEPLOY_WIZARD_STATE names a state by URL.
    const viaEnv = await runCli(['status', '--json'], { cwd: dir, env: { DEPLOY_WIZARD_STATE: `s3://dw-init-${app}/ledger/` } });
    expect([0, 1], viaEnv.stderr).toContain(viaEnv.code);
    expect(viaEnv.stdout).toContain('first-boot');
    const missing = await runCli(['status'], { cwd: dir, env: { DEPLOY_WIZARD_STATE: `s3://no-such-${app}/x/` } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`the state bucket no-such-${app} does not exist`);
    expect(missing.stderr).toContain(`deploy-wizard state init --bucket no-such-${app}`);
    const bad = await runCli(['status'], { cwd: dir, env: { DEPLOY_WIZARD_STATE: 's3://Bad_Bucket/x' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('DEPLOY_WIZARD_STATE');
  }, 300_000);
});
