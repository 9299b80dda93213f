import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifests } from '../../../steps/index.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { allows, deployPolicies, deployPolicy, manifestResources, MAX_DEPLOY_POLICIES, type PolicyStatement } from '../../../src/ci/deploy-policy.js';
import { MANAGED_POLICY_LIMIT } from '../../../src/aws/managed-policy.js';
import { boundaryPolicy, policyVars, roleSpecs } from '../../../src/aws/app-roles.js';
import { iamActionsFor } from '../../../src/ci/iam-action.js';
import type { Config } from '../../../src/config/schema.js';
import { boundaryArn } from '../../../src/aws/names.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const whereOf = (app: string, env: string) => ({
  app,
  env,
  account: ACCOUNT,
  region: REGION,
  partition: 'aws',
  state: { bucket: 'acme-state', prefix: 'ledger/' },
  deployRoleName: `${app}-${env}-deploy`,
});
const where = whereOf('shop', 'prod');
const example = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/examples', `${name}.json`), 'utf8'));

/** postmagiq with every step on: schedules, a user pool, a budget, a service with permissions of its own. */
function wholeApp(app = 'shop'): Config {
  const raw = example('whole-apps/postmagiq');
  raw.app = app;
  raw.region = REGION;
  raw.alarms = { email: ['ops@example.com'], slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' } };
  raw.budget = { monthlyUsd: 300, email: ['ops@example.com'] };
  raw.auth = { cognito: { passwordMinLength: 12 } };
  raw.schedules = { nightly: { service: 'worker', cron: '0 3 * * ? *', command: ['node', 'nightly.js'] } };
  raw.services.worker.permissions = [{ actions: ['bedrock:InvokeModel'], resources: ['arn:aws:bedrock:eu-west-1::foundation-model/x'] }];
  return parseConfig(JSON.stringify(raw), 'test', 'prod');
}
const all = manifests;
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

/** One resource of each kind the policy names, for app A in env E: what must be allowed for shop/prod and denied for the others. */
function resourcesOf(app: string, env: string): [string, string, Record<string, string>?][] {
  const tags = { 'aws:ResourceTag/deploy-wizard:app': app, 'aws:ResourceTag/deploy-wizard:env': env };
  return [
    ['iam:PutRolePolicy', role(`${app}-${env}-task`), { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/${app}-${env}-boundary` }],
    ['iam:GetRole', role(`${app}-${env}-execution`)],
    ['iam:PassRole', role(`${app}-${env}-task`), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }],
    ['iam:PassRole', role(`${app}-${env}-scheduler`), { 'iam:PassedToService': 'scheduler.amazonaws.com' }],
    ['iam:PassRole', role(`${app}-${env}-rds-proxy`), { 'iam:PassedToService': 'rds.amazonaws.com' }],
    ['iam:PutRolePolicy', role(`${app}-${env}-rds-proxy`), { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/${app}-${env}-boundary` }],
    ['secretsmanager:PutSecretValue', arn('secretsmanager', `secret:${app}/${env}-AbCdEf`)],
    ['secretsmanager:GetSecretValue', arn('secretsmanager', `secret:${app}/${env}/rds-master-AbCdEf`)],
    ['ecr:PutImage', arn('ecr', `repository/${app}-${env}-api`)],
    ['ecs:RunTask', arn('ecs', `task-definition/${app}-${env}-api:7`)],
    ['ecs:RunTask', arn('ecs', `task-definition/${app}-${env}--schedule-nightly:3`)],
    ['ecs:UpdateService', arn('ecs', `service/${app}-${env}/${app}-api`)],
    ['logs:GetLogEvents', arn('logs', `log-group:/ecs/${app}-${env}:log-stream:api/x`)],
    ['s3:PutObject', `arn:aws:s3:::${app}-${env}-site-${ACCOUNT}/index.html`],
    ['cloudfront:UpdateFunction', `arn:aws:cloudfront::${ACCOUNT}:function/${app}-${env}-spa`],
    ['scheduler:UpdateSchedule', arn('scheduler', `schedule/${app}-${env}/${app}-${env}-nightly`)],
    ['cloudwatch:PutMetricAlarm', arn('cloudwatch', `alarm:${app}-${env}-lb-5xx`)],
    ['cloudwatch:DeleteAlarms', arn('cloudwatch', `alarm:${app}-${env}-old-cpu-high`), tags],
    ['sns:Subscribe', arn('sns', `${app}-${env}-alarms`)],
    // alarms.slack: the Chatbot configuration (an ARN without a region) and the role only Chatbot may be passed.
    ['chatbot:UpdateSlackChannelConfiguration', `arn:aws:chatbot::${ACCOUNT}:chat-configuration/slack-channel/${app}-${env}-alarms`],
    ['chatbot:DeleteSlackChannelConfiguration', `arn:aws:chatbot::${ACCOUNT}:chat-configuration/slack-channel/${app}-${env}-alarms`],
    ['iam:PassRole', role(`${app}-${env}-chatbot`), { 'iam:PassedToService': 'chatbot.amazonaws.com' }],
    ['iam:DeleteRole', role(`${app}-${env}-chatbot`)],
    ['cloudwatch:PutDashboard', `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${app}-${env}`],
    ['budgets:ModifyBudget', `arn:aws:budgets::${ACCOUNT}:budget/deploy-wizard-${app}-${env}`],
    ['s3:PutObject', `arn:aws:s3:::acme-state/ledger/${app}/${env}.state.json`],
    ['s3:PutObject', `arn:aws:s3:::acme-state/ledger/${app}/${env}.lock`],
  ];
}

describe('deploy role policy', () => {
  it('every kind a grant acts on is a kind some manifest makes', () => {
    // The parent of previews names one more: the previews' database role's secret (the pgvector step makes it).
    const parentOfPreviews = parseConfig(
      JSON.stringify({
        app: 'shop',
        region: REGION,
        image: { context: '.' },
        service: { port: 8080 },
        database: { name: 'shop', instanceClass: 'db.t4g.micro' },
        previews: { from: 'prod', domain: 'preview.example.com' },
      }),
      'test',
      'prod',
    );
    const kinds = new Set([...manifestResources(wholeApp(), manifests, where), ...manifestResources(parentOfPreviews, manifests, where)].map((r) => r.kind));
    for (const m of manifests) for (const g of m.grants) if (g.on !== '*') for (const k of g.on) expect(kinds.has(k), `${m.id} ${g.sid}: ${k}`).toBe(true);
  });

  it('is derived from the manifests: every resource a manifest names is in the policy exactly as named, and nothing else is named', () => {
    const config = wholeApp();
    const policy = deployPolicy(config, all, where);
    const named = new Set(policy.Statement.filter((st) => st.Effect === 'Allow').flatMap((st) => [st.Resource].flat()));
    const resources = manifestResources(config, manifests, where);
    expect(resources.length).toBeGreaterThan(20);
    for (const r of resources) expect(named.has(r.arn), `${r.kind} ${r.arn}`).toBe(true);
    const state = ['arn:aws:s3:::acme-state/ledger/shop/prod.state.json', 'arn:aws:s3:::acme-state/ledger/shop/prod.lock', 'arn:aws:s3:::acme-state'];
    expect([...named].filter((n) => n !== '*' && !state.includes(n) && !resources.some((r) => r.arn === n))).toEqual([]);
    // No resource pattern reaches another env's or app's resource of the same kind, unless it is granted only on this env's tags.
    for (const [app, env] of [
      ['shop', 'prod-eu'],
      ['shop-prod', 'eu'],
    ] as const) {
      // App buckets are named in the config (buckets.prefix and names), not after the app and env: not part of this check.
      const other = manifestResources(config, manifests, { ...where, app, env }).filter((r) => r.kind !== 'bucket');
      for (const st of policy.Statement.filter((x) => x.Effect === 'Allow' && x.Resource !== '*')) {
        const tagged = !!st.Condition?.StringEquals?.['aws:ResourceTag/deploy-wizard:env'];
        for (const o of other)
          for (const a of st.Action)
            expect(
              allows(
                { Statement: [st] },
                a,
                o.arn.replace(/\?/g, 'x').replace(/\*/g, 'x'),
                tagged ? { 'aws:ResourceTag/deploy-wizard:app': app, 'aws:ResourceTag/deploy-wizard:env': env } : {},
              ),
              `${st.Sid} ${a} on ${o.arn}`,
            ).toBe(false);
      }
    }
  });

  it('fits managed policies of IAM size with every step enabled, keeping writes exact', () => {
    const docs = deployPolicies(wholeApp(), all, where);
    expect(docs.length).toBeLessThanOrEqual(MAX_DEPLOY_POLICIES);
    for (const d of docs) expect(JSON.stringify(d).length).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
    const policy = deployPolicy(wholeApp(), all, where);
    for (const w of ['ecs:CreateService', 'rds:CreateDBInstance', 'iam:PutRolePolicy', 'cloudfront:UpdateDistribution', 'budgets:ModifyBudget'])
      expect(
        policy.Statement.some((s) => s.Action.includes(w)),
        w,
      ).toBe(true);
  });

  it('names every resource exactly: shop/prod is allowed, and neither env prod-eu nor app shop-prod (env eu) is, for every kind', () => {
    const policy = deployPolicy(wholeApp(), all, where);
    for (const [action, resource, ctx] of resourcesOf('shop', 'prod')) expect(allows(policy, action, resource, ctx), `${action} ${resource}`).toBe(true);
    for (const [app, env] of [
      ['shop', 'prod-eu'],
      ['shop-prod', 'eu'],
      ['shop', 'staging'],
    ])
      for (const [action, resource, ctx] of resourcesOf(app!, env!)) expect(allows(policy, action, resource, ctx), `${action} ${resource}`).toBe(false);
    // The state bucket may be listed only for the two keys of this app and env.
    expect(allows(policy, 's3:ListBucket', 'arn:aws:s3:::acme-state', { 's3:prefix': 'ledger/shop/prod.state.json' })).toBe(true);
    expect(allows(policy, 's3:ListBucket', 'arn:aws:s3:::acme-state', { 's3:prefix': 'ledger/shop/prod-eu.state.json' })).toBe(false);
    expect(allows(policy, 's3:ListBucket', 'arn:aws:s3:::acme-state', {})).toBe(false);
  });

  it('closes every way to make itself or an app role more than the boundary allows', () => {
    const policy = deployPolicy(wholeApp(), all, where);
    const boundary = { 'iam:PermissionsBoundary': boundaryArn(where) };
    const task = role('shop-prod-task');
    // Writing a policy on an app role only while it carries the boundary; creating one only with it.
    expect(allows(policy, 'iam:PutRolePolicy', task, boundary)).toBe(true);
    expect(allows(policy, 'iam:PutRolePolicy', task, {})).toBe(false);
    expect(allows(policy, 'iam:CreateRole', task, boundary)).toBe(true);
    expect(allows(policy, 'iam:CreateRole', task, {})).toBe(false);
    expect(allows(policy, 'iam:PutRolePermissionsBoundary', task, { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe(false);
    // A role of a name the config does not make, even with the boundary: shop-prod-x, or an admin.
    expect(allows(policy, 'iam:CreateRole', role('shop-prod-x'), boundary)).toBe(false);
    expect(allows(policy, 'iam:CreateRole', role('admin'), boundary)).toBe(false);
    // Nothing is attached, removed from the boundary, or written into it.
    expect(allows(policy, 'iam:AttachRolePolicy', task, { ...boundary, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe(false);
    expect(allows(policy, 'iam:DeleteRolePermissionsBoundary', task, boundary)).toBe(false);
    for (const a of ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy', 'iam:CreatePolicy'])
      expect(allows(policy, a, boundaryArn(where)), a).toBe(false);
    // Its own role and policies are out of its reach.
    expect(allows(policy, 'iam:PutRolePolicy', role('shop-prod-deploy'), boundary)).toBe(false);
    expect(allows(policy, 'iam:UpdateAssumeRolePolicy', role('shop-prod-deploy'))).toBe(false);
    expect(allows(policy, 'iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/shop-prod-deploy-1`)).toBe(false);
    // Roles pass only to the service that runs them.
    expect(allows(policy, 'iam:PassRole', task, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe(false);
    expect(allows(policy, 'iam:PassRole', task, {})).toBe(false);
    expect(allows(policy, 'iam:PassRole', role('shop-prod-scheduler'), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })).toBe(false);
    // The Chatbot role goes to Chatbot only: not to ECS, where a task could run as it.
    expect(allows(policy, 'iam:PassRole', role('shop-prod-chatbot'), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })).toBe(false);
    expect(allows(policy, 'iam:PassRole', role('OrganizationAccountAccessRole'), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })).toBe(false);
    // And no other path to credentials.
    for (const a of ['sts:AssumeRole', 'iam:CreateUser', 'iam:CreateAccessKey', 'iam:CreateLoginProfile', 'organizations:LeaveOrganization'])
      expect(allows(policy, a, '*'), a).toBe(false);
  });

  it('a step that is not enabled grants nothing', () => {
    const config = parseConfig(JSON.stringify({ ...example('agencio-predict'), app: 'shop' }), 'test', 'prod');
    const enabled = manifests.filter((m) => !m.enabled || m.enabled(config));
    expect(allows(deployPolicy(config, enabled, where), 'cloudfront:CreateDistribution')).toBe(false);
  });

  it('maps calls whose IAM action has another name', () => {
    expect(iamActionsFor('S3:HeadBucket')).toEqual(['s3:ListBucket']);
    expect(iamActionsFor('State:PutObject')).toEqual(['s3:PutObject']);
    expect(iamActionsFor('Budgets:DescribeBudget')).toEqual(['budgets:ViewBudget']);
    expect(iamActionsFor('ELBv2:CreateRule')).toEqual(['elasticloadbalancing:CreateRule']);
    expect(iamActionsFor('STS:GetCallerIdentity')).toEqual([]);
  });
});

describe('permissions boundary', () => {
  const w = { app: 'shop', env: 'prod', account: ACCOUNT, region: REGION, config: wholeApp() };
  const doc = boundaryPolicy(w) as unknown as { Statement: PolicyStatement[] };

  it('holds nothing of IAM, STS or Organizations but passing the app roles to ECS tasks', () => {
    const actions = doc.Statement.flatMap((s) => s.Action);
    expect(actions.filter((a) => /^(iam|sts|organizations):/.test(a))).toEqual(['iam:PassRole']);
    const pass = doc.Statement.find((s) => s.Action.includes('iam:PassRole'))!;
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect([pass.Resource].flat().every((r) => /^arn:aws:iam::\d+:role\/shop-prod-(execution|task|worker-task)$/.test(r))).toBe(true);
    expect(JSON.stringify(doc).length).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
  });

  it('allows every statement every app role has, on the resources as deployed', () => {
    const vars = policyVars(w, {
      secretArn: arn('secretsmanager', 'secret:shop/prod-AbCdEf'),
      dbSetupSecretArns: [arn('secretsmanager', 'secret:shop/prod/rds-master-XyZ123')],
      bucketNames: ['postmagiq-artifacts-prod'],
      userPoolArn: arn('cognito-idp', 'userpool/eu-west-1_Abc'),
    });
    const checked: string[] = [];
    for (const spec of roleSpecs(w, vars))
      for (const s of spec.inline.Statement as unknown as PolicyStatement[])
        for (const a of [s.Action].flat())
          for (const r of [s.Resource].flat()) {
            const ctx = Object.fromEntries(Object.values(s.Condition ?? {}).flatMap((kv) => Object.entries(kv).map(([k, v]) => [k, String([v].flat()[0])])));
            expect(allows(doc, a, r, ctx), `${spec.name}: ${a} on ${r}`).toBe(true);
            checked.push(a);
          }
    expect(checked).toContain('bedrock:InvokeModel');
    expect(checked).toContain('ecs:RunTask');
    // Another env's secret is outside it.
    expect(allows(doc, 'secretsmanager:GetSecretValue', arn('secretsmanager', 'secret:shop/prod-eu-AbCdEf'))).toBe(false);
  });
});
