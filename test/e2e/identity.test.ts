import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { DeleteSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { CLI, makeExampleApp, readState, runCli, runCliKilledAt, standinEnv } from '../helpers/cli.js';
import { findLeaks } from '../helpers/leaks.js';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { expectOk } from '../helpers/expect-ok.js';
import { poolsNamed, secretJson } from '../helpers/read-back.js';

const sm = () => new SecretsManagerClient({ region: 'us-east-1' });
const iam = () => new IAMClient({ region: 'us-east-1' });

const versions = async (id: string) => (await sm().send(new ListSecretVersionIdsCommand({ SecretId: id, IncludeDeprecated: true }))).Versions!.length;
const ASKED = { CLAUDE_API_KEY: 'sk-claude-test-Qw7Zr2Lp9Xv4' };

describe('identity and secrets through the CLI (agencio-predict)', () => {
  it('exits 2 listing every missing required key, and creates nothing', async () => {
    const { dir, app } = makeExampleApp('arbiter-ai');
    const r = await runCli(['--non-interactive'], { cwd: dir, env: { STRIPE_PRICE_ID: 'price_123' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('collect secrets: 2 required values are missing');
    expect(r.stderr).toContain('secrets.STRIPE_SECRET_KEY (Stripe secret key (sk_live_...)): set the environment variable STRIPE_SECRET_KEY');
    expect(r.stderr).toContain('secrets.STRIPE_WEBHOOK_SECRET');
    expect(r.stderr).not.toContain('STRIPE_PRICE_ID (');
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.state.json'))).toBe(false);
    await expect(sm().send(new GetSecretValueCommand({ SecretId: `${app}/prod` }))).rejects.toThrow();
  });

  it('exits 2 naming CLAUDE_API_KEY when it is unset, before any AWS call', async () => {
    const { dir, app } = makeExampleApp('agencio-predict');
    const r = await runCli(['--non-interactive'], { cwd: dir, env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('secrets.CLAUDE_API_KEY (Claude API key): set the environment variable CLAUDE_API_KEY');
    expect(r.stderr).not.toContain('VOYAGE_API_KEY'); // optional keys are not required
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.state.json'))).toBe(false);
    expect(await poolsNamed(`${app}-prod`)).toEqual([]);
  });

  it('runs through iam-roles, keeps generated values, adds no version when unchanged, and never leaks a value', async () => {
    const { dir, app } = makeExampleApp('agencio-predict');
    const first = await runCli(['--non-interactive', '--json'], { cwd: dir, env: ASKED });
    expectOk(first);
    const state = readState(dir);
    for (const id of ['cognito', 'secrets', 'iam-roles']) expect(state.steps[id]?.status, id).toBe('done');
    const secret = await secretJson(`${app}/prod`);
    expect(Object.keys(secret).sort()).toEqual(
      [
        'CLAUDE_API_KEY',
        'COGNITO_CLIENT_ID',
        'COGNITO_CLIENT_SECRET',
        'COGNITO_USER_POOL_ID',
        'CREDENTIALS_ENCRYPTION_KEY',
        'DATABASE_URL',
        'JWT_SECRET',
        'REDIS_URL',
      ].sort(),
    );
    expect(secret.CREDENTIALS_ENCRYPTION_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(secret.JWT_SECRET, 'base64')).toHaveLength(48);
    expect(secret.CLAUDE_API_KEY).toBe(ASKED.CLAUDE_API_KEY);
    expect(state.steps.secrets.outputs.keys).toEqual(Object.keys(secret).sort());
    // Derived keys carry the generated credentials and the live endpoints.
    const master = await secretJson(`${app}/prod/rds-master`);
    const redisToken = (await secretJson(`${app}/prod/redis-auth`)).token;
    const role = await secretJson(`${app}/prod/db-app`);
    expect(secret.DATABASE_URL).toBe(`postgresql://${role.username}:${role.password}@${state.steps.rds.outputs.endpoint}:5432/predict_db?sslmode=require`);
    expect(secret.REDIS_URL).toBe(`rediss://:${redisToken}@${state.steps.elasticache.outputs.primaryEndpoint}:6379`);
    expect(secret.COGNITO_USER_POOL_ID).toBe(state.steps.cognito.outputs.userPoolId);

    // Roles: trust for ECS tasks of this account, the managed policy, the secret by ARN only.
    const exec = (await iam().send(new GetRoleCommand({ RoleName: `${app}-prod-execution` }))).Role!;
    expect(JSON.parse(decodeURIComponent(exec.AssumeRolePolicyDocument!)).Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
    });
    const attached = (await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: `${app}-prod-execution` }))).AttachedPolicies!;
    // No AWS managed policy (it grants ECR and Logs on every resource): an inline policy scoped to this app.
    expect(attached).toEqual([]);
    const execPolicy = JSON.parse(
      decodeURIComponent((await iam().send(new GetRolePolicyCommand({ RoleName: `${app}-prod-execution`, PolicyName: 'deploy-wizard' }))).PolicyDocument!),
    );
    expect(execPolicy.Statement.find((x: any) => x.Sid === 'ReadAppSecret')).toMatchObject({
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [state.steps.secrets.outputs.arn],
    });
    expect(execPolicy.Statement.find((x: any) => x.Sid === 'PullAppImage').Resource).toEqual([`arn:aws:ecr:us-east-1:123456789012:repository/${app}-prod`]);
    expect(execPolicy.Statement.find((x: any) => x.Sid === 'WriteAppLogs').Resource).toEqual([
      `arn:aws:logs:us-east-1:123456789012:log-group:/ecs/${app}-prod:*`,
    ]);
    const taskPolicy = JSON.parse(
      decodeURIComponent((await iam().send(new GetRolePolicyCommand({ RoleName: `${app}-prod-task`, PolicyName: 'deploy-wizard' }))).PolicyDocument!),
    );
    expect(taskPolicy.Statement.map((s: any) => s.Sid)).toEqual(['ListAppBuckets', 'ReadWriteAppObjects', 'ReadAppSecret', 'ReadUserPool']);
    expect(taskPolicy.Statement.find((s: any) => s.Sid === 'ReadUserPool').Resource).toEqual([state.steps.cognito.outputs.userPoolArn]);

    // Again, without the asked key in the environment: it is stored, so nothing is missing or changed.
    const before = await versions(`${app}/prod`);
    const second = await runCli(['--non-interactive', '--json', '--verbose'], { cwd: dir });
    expectOk(second);
    const events = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.step !== 'deploy').every((e) => e.status === 'unchanged')).toBe(true);
    expect(await versions(`${app}/prod`)).toBe(before);
    expect((await secretJson(`${app}/prod`)).JWT_SECRET).toBe(secret.JWT_SECRET);

    // No value, nor any 8-character slice of one, in the state, the .bak, stdout, stderr, the --json events,
    // the config, or the task definition's plain environment. The pool and client ids are identifiers
    // (step outputs by design); every other value is secret.
    // The derived URLs are covered by the password and token they carry (their hosts are not secret).
    const IDS = ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID', 'DATABASE_URL', 'REDIS_URL'];
    const values = Object.entries(secret)
      .filter(([k]) => !IDS.includes(k))
      .map(([, v]) => v as string);
    const appRole = await secretJson(`${app}/prod/db-app`);
    values.push(master.password, redisToken, appRole.password);
    const td = (
      await new ECSClient({ region: 'us-east-1' }).send(
        new DescribeTaskDefinitionCommand({ taskDefinition: state.steps['task-definition'].outputs.services.web.taskDefinitionArn }),
      )
    ).taskDefinition!;
    const haystacks = {
      state: readFileSync(join(dir, '.deploy-wizard/prod.state.json'), 'utf8'),
      bak: readFileSync(join(dir, '.deploy-wizard/prod.state.json.bak'), 'utf8'),
      stdout1: first.stdout,
      stderr1: first.stderr,
      stdout2: second.stdout,
      stderr2: second.stderr,
      config: readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'),
      taskDefinitionEnvironment: JSON.stringify(td.containerDefinitions?.map((c) => c.environment)),
    };
    expect(values.length).toBeGreaterThanOrEqual(7);
    expect(findLeaks(values, haystacks)).toEqual([]);
    expect(td.containerDefinitions![0]!.secrets!.map((x) => x.name).sort()).toEqual(Object.keys(secret).sort());
  });

  it('after SIGKILL right after CreateUserPool, a re-run adopts the pool: exactly one', async () => {
    const { dir, app } = makeExampleApp('agencio-predict');
    const first = await runCliKilledAt(['--non-interactive', '--verbose'], { cwd: dir, env: ASKED, stream: 'stderr', marker: 'aws Cognito CreateUserPool' });
    expect(first.signal).toBe('SIGKILL');
    expect(readState(dir).steps.cognito.intents['user-pool']).toMatchObject({ name: `${app}-prod` });
    expect(await poolsNamed(`${app}-prod`)).toHaveLength(1);
    expectOk(await runCli(['--non-interactive'], { cwd: dir, env: ASKED }));
    expect(await poolsNamed(`${app}-prod`)).toHaveLength(1);
    expect(readState(dir).steps.cognito.status).toBe('done');
  });

  it('restores a secret scheduled for deletion with --yes, and refuses without it', async () => {
    const { dir, app } = makeExampleApp('espejo', (c) => (c.region = 'us-east-1'));
    const env = { OPENAI_API_KEY: 'sk-openai-1234567890', TELEGRAM_BOT_TOKEN: '123:abcdefghijkl' };
    expectOk(await runCli(['--non-interactive'], { cwd: dir, env }));
    const before = await secretJson(`${app}/prod`);
    await sm().send(new DeleteSecretCommand({ SecretId: `${app}/prod`, RecoveryWindowInDays: 7 }));
    const refused = await runCli(['--non-interactive'], { cwd: dir, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/restore secret: .* is scheduled for deletion/);
    expect(refused.stderr).toMatch(/--yes/);
    expectOk(await runCli(['--non-interactive', '--yes'], { cwd: dir, env }));
    expect(await secretJson(`${app}/prod`)).toEqual(before);
  });

  it('secrets set stores a value from stdin without printing it; secrets list shows names only', async () => {
    const { dir, app } = makeExampleApp('agencio-predict');
    expectOk(await runCli(['--non-interactive'], { cwd: dir, env: ASKED }));
    const value = 'voyage-secret-value-987654321';
    const out = execFileSync(process.execPath, [CLI, 'secrets', 'set', 'VOYAGE_API_KEY'], {
      cwd: dir,
      env: standinEnv(),
      input: `${value}\n`,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect(out).not.toContain(value);
    expect((await secretJson(`${app}/prod`)).VOYAGE_API_KEY).toBe(value);
    const list = await runCli(['secrets', 'list'], { cwd: dir });
    expectOk(list);
    expect(list.stdout).toMatch(/VOYAGE_API_KEY\s+asked\s+last changed 20/);
    expect(list.stdout).toMatch(/DATABASE_URL\s+derived/);
    expect(list.stdout).toMatch(/SENTRY_DSN\s+asked\s+not set \(optional\)/);
    for (const v of Object.values(await secretJson(`${app}/prod`)) as string[]) expect(list.stdout).not.toContain(v);
    // The next deploy keeps it.
    expectOk(await runCli(['--non-interactive'], { cwd: dir }));
    expect((await secretJson(`${app}/prod`)).VOYAGE_API_KEY).toBe(value);
  });
});
