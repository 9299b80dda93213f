import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { inject } from 'vitest';
import { DescribeRepositoriesCommand, GetLifecyclePolicyCommand, ECRClient } from '@aws-sdk/client-ecr';
import { GetBucketEncryptionCommand, GetPublicAccessBlockCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { makeApp, readState, runCli, runCliKilledAt } from '../helpers/cli.js';
import { freePortSync } from '../helpers/free-port.js';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
// @ts-expect-error plain JS module shared with the demo script
import { REGISTRY_PASSWORD } from '../../scripts/standins.mjs';
import { expectOk } from '../helpers/expect-ok.js';

const ecr = () => new ECRClient({ region: 'us-east-1' });
const s3 = () => new S3Client({ region: 'us-east-1', forcePathStyle: true });

async function registryTags(repo: string): Promise<string[]> {
  const res = await fetch(`http://${inject('standins').env.DEPLOY_WIZARD_REGISTRY}/v2/${repo}/tags/list`, {
    headers: { Authorization: `Basic ${Buffer.from(`AWS:${REGISTRY_PASSWORD}`).toString('base64')}` },
  });
  if (res.status === 404) return [];
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

async function bucketsOf(app: string): Promise<string[]> {
  const all = (await s3().send(new ListBucketsCommand({}))).Buckets ?? [];
  return all.map((b) => b.Name!).filter((n) => n.startsWith(`${app}-`));
}

async function repoExists(name: string): Promise<boolean> {
  try {
    await ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return true;
  } catch {
    return false;
  }
}

describe('deploy --non-interactive against the stand-ins', () => {
  it('creates the repository, pushes the image, creates the buckets; a second run changes nothing', async () => {
    const { dir, app } = makeApp();
    const first = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { SAMPLE_APP_VERSION: '1.0.0' } });
    expectOk(first);
    const repoName = `${app}-prod`;
    const repo = (await ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [repoName] }))).repositories![0]!;
    expect(repo.imageTagMutability).toBe('IMMUTABLE');
    expect(repo.imageScanningConfiguration?.scanOnPush).toBe(true);
    const policy = JSON.parse((await ecr().send(new GetLifecyclePolicyCommand({ repositoryName: repoName }))).lifecyclePolicyText!);
    expect(policy.rules[0].selection).toMatchObject({ countType: 'imageCountMoreThan', countNumber: 20 });

    const state = readState(dir);
    const out = state.steps['ecr-push'].outputs.images.default;
    expect(await registryTags(repoName)).toEqual([out.imageTag]);
    expect(out.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.imageUri).toBe(`${repo.repositoryUri}@${out.imageDigest}`);

    expect((await bucketsOf(app)).sort()).toEqual([`${app}-exports`, `${app}-uploads`]);
    for (const Bucket of await bucketsOf(app)) {
      const pab = (await s3().send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration!;
      expect(Object.values(pab).every((v) => v === true)).toBe(true);
      expect((await s3().send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules).toHaveLength(1);
    }
    expect(first.stdout).toContain(`Deployed ${app} (prod)`);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('.deploy-wizard/');

    // Second run, in-process so every AWS call is recorded.
    const again = await recordedDeploy(dir, { SAMPLE_APP_VERSION: '1.0.0' });
    expect(again.code).toBe(0);
    expect(again.calls.length).toBeGreaterThan(0);
    expect(mutatingCalls(again.names)).toEqual([]);
    expect(
      again.events
        .filter((e) => e.step !== 'deploy')
        .map((e) => `${e.step}:${e.status}`)
        .sort(),
    ).toEqual([
      'ecr-push:unchanged',
      'first-boot:unchanged',
      'iam-roles:unchanged',
      'load-balancer:unchanged',
      'network:unchanged',
      's3-buckets:unchanged',
      'schedules:unchanged',
      'service:unchanged',
      'task-definition:unchanged',
    ]);
    expect(await registryTags(repoName)).toEqual([out.imageTag]);
  });

  it('rebuilds under a new content tag when the app changes', async () => {
    const { dir, app } = makeApp();
    expectOk(await runCli(['--non-interactive'], { cwd: dir }));
    const before = readState(dir).steps['ecr-push'].outputs.images.default.imageTag;
    writeFileSync(join(dir, 'www', 'index.html'), '<h1>v2</h1>');
    const second = await runCli(['--non-interactive', '--json'], { cwd: dir });
    expectOk(second);
    const after = readState(dir).steps['ecr-push'].outputs.images.default.imageTag;
    expect(after).not.toBe(before);
    expect((await registryTags(`${app}-prod`)).sort()).toEqual([before, after].sort());
    const events = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.find((e) => e.step === 'ecr-push' && e.status === 'done')).toBeDefined();
    expect(events.find((e) => e.step === 's3-buckets')?.status).toBe('unchanged');
  });

  it('resumes after SIGKILL during the push with one repository, one image and no duplicate buckets', async () => {
    const { dir, app } = makeApp();
    // A few MB of noise so the push takes long enough to be killed in the middle.
    mkdirSync(join(dir, 'www', 'blob'), { recursive: true });
    writeFileSync(join(dir, 'www', 'blob', 'noise.bin'), randomBytes(24 * 1024 * 1024));
    const first = await runCliKilledAt(['--non-interactive', '--json', '--verbose'], { cwd: dir, stream: 'stdout', marker: '"message":"pushing ' });
    expect(first.signal).toBe('SIGKILL');
    const crashed = readState(dir);
    expect(crashed.steps['ecr-push'].status).toBe('running');
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.lock'))).toBe(true);

    const second = await runCli(['--non-interactive'], { cwd: dir });
    expectOk(second);
    expect(second.stderr).toMatch(/Took over a stale lock/);
    expect(second.stderr).toMatch(/Resuming/);
    const repos = (await ecr().send(new DescribeRepositoriesCommand({}))).repositories!.filter((r) => r.repositoryName === `${app}-prod`);
    expect(repos).toHaveLength(1);
    expect(await registryTags(`${app}-prod`)).toEqual([readState(dir).steps['ecr-push'].outputs.images.default.imageTag]);
    expect((await bucketsOf(app)).sort()).toEqual([`${app}-exports`, `${app}-uploads`]);
    expect(readState(dir).steps['ecr-push'].status).toBe('done');
  });

  const invalid: [string, (c: any) => void, RegExp][] = [
    ['a typo key', (c) => (c.servce = c.service), /servce: unknown key; did you mean "service"\?/],
    ['a bad bucket name', (c) => (c.buckets.names = ['Bad_Name']), /buckets\.names\[0\]: bucket name ".*Bad_Name" may hold only lowercase/],
    ['a port out of range', (c) => (c.service.port = 70000), /service\.port: Too big/],
    ['a missing image', (c) => delete c.image, /image: required but missing/],
  ];
  it.each(invalid)('exits 2 for %s, naming the key, and creates nothing', async (_, edit, message) => {
    const { dir, app } = makeApp(edit);
    const r = await runCli(['--non-interactive'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/nothing has been created/);
    expect(await repoExists(`${app}-prod`)).toBe(false);
    expect(await bucketsOf(app)).toEqual([]);
    expect(existsSync(join(dir, '.deploy-wizard'))).toBe(false);
  });

  it('exits 2 naming DOCKER_HOST when Docker is unreachable, before any AWS call', async () => {
    const { dir, app } = makeApp();
    // An endpoint where nothing listens: any AWS call would fail differently.
    const r = await runCli(['--non-interactive'], {
      cwd: dir,
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot reach the Docker engine at unix:///nonexistent/docker.sock');
    expect(r.stderr).toContain('DOCKER_HOST');
    expect(r.stderr).not.toMatch(/AWS/);
    expect(await bucketsOf(app)).toEqual([]);
  });

  it('exits 2 without a config in non-interactive mode, and 3 when another run holds the lock', async () => {
    const { dir } = makeApp();
    const missing = await runCli(['--non-interactive', '--config', 'nope.json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json does not exist/);

    mkdirSync(join(dir, '.deploy-wizard'), { recursive: true });
    writeFileSync(
      join(dir, '.deploy-wizard', 'prod.lock'),
      JSON.stringify({ id: 'abcd1234', pid: process.pid, host: hostname(), command: 'deploy-wizard deploy', startedAt: new Date().toISOString() }),
    );
    const locked = await runCli(['--non-interactive'], { cwd: dir });
    expect(locked.code).toBe(3);
    expect(locked.stderr).toContain('deploy-wizard unlock abcd1234');
    const unlock = await runCli(['unlock', 'abcd1234'], { cwd: dir });
    expect(unlock.code).toBe(0);
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.lock'))).toBe(false);
  });

  it('prints only JSON lines on stdout with --json, and the plan is read-only', async () => {
    const { dir, app } = makeApp();
    const plan = await runCli(['plan'], { cwd: dir });
    expectOk(plan);
    expect(plan.stdout).toContain(`+ create S3 bucket ${app}-uploads`);
    expect(plan.stdout).toContain(`+ create ECR repository ${app}-prod`);
    expect(plan.stdout).toMatch(/Total\s+\$\s*\d+\.\d\d\/month/);
    expect(await bucketsOf(app)).toEqual([]);
    expect(await repoExists(`${app}-prod`)).toBe(false);

    const r = await runCli(['--non-interactive', '--json'], { cwd: dir });
    expectOk(r);
    const lines = r.stdout.trim().split('\n');
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ step: expect.any(String), status: expect.any(String), timestamp: expect.any(String) });
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ step: 'deploy', status: 'done' });
  });

  it('never prints or stores a build arg value, even with --verbose', async () => {
    const { dir } = makeApp();
    const value = `s3cr3t-${randomBytes(8).toString('hex')}`;
    for (const flags of [['--verbose'], ['--json', '--verbose']]) {
      const r = await runCli(['--non-interactive', ...flags], { cwd: dir, env: { SAMPLE_APP_VERSION: value } });
      expectOk(r);
      expect(r.stdout).not.toContain(value);
      expect(r.stderr).not.toContain(value);
    }
    expect(readFileSync(join(dir, '.deploy-wizard', 'prod.state.json'), 'utf8')).not.toContain(value);
    expect(readFileSync(join(dir, '.deploy-wizard', 'prod.state.json.bak'), 'utf8')).not.toContain(value);
  });

  it('on Ctrl-C (SIGINT) mid-wait: starts nothing new, saves state, says how to resume, exits 130; the next run resumes', async () => {
    const { dir } = makeApp((c) => (c.validation = { path: '/health', expectStatus: 200, timeoutSeconds: 300 }));
    const closed = `http://127.0.0.1:${freePortSync()}`;
    let sent = false;
    const started = Date.now();
    const r = await runCli(['--non-interactive', '--json'], {
      cwd: dir,
      env: { DEPLOY_WIZARD_HEALTH_URL: closed },
      onStdout: (chunk, child) => {
        if (!sent && chunk.includes('"step":"first-boot","status":"progress"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(60_000); // not the 300 s probe deadline
    expect(r.stderr).toContain('Run the same command again to resume.');
    for (const line of r.stdout.trim().split('\n')) JSON.parse(line); // still only JSON on stdout
    const state = readState(dir);
    expect(state.steps['first-boot']).toMatchObject({ status: 'failed', error: { message: 'first-boot: interrupted' } });
    expect(state.steps.service.status).toBe('done');
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.lock'))).toBe(false);

    const again = await recordedDeploy(dir);
    expect(again.code).toBe(0);
    expect(again.events.find((e) => e.step === 'service')?.status).toBe('unchanged');
    expect(again.events.filter((e) => e.step === 'first-boot').at(-1)?.status).toBe('done');
  });
});
