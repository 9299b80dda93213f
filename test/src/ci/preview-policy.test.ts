import { describe, expect, it } from 'vitest';
import { previewManifests } from '../../../steps/index.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { previewConfig } from '../../../src/preview/preview-config.js';
import { previewRolePolicy } from '../../../src/ci/preview-policy.js';
import { allows } from '../../../src/ci/deploy-policy.js';
import { boundaryPolicy } from '../../../src/aws/app-roles.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/shop-staging--previews-boundary`;

function parent() {
  return parseConfig(
    JSON.stringify({
      app: 'shop',
      region: REGION,
      images: { api: { context: '.' } },
      services: { web: { image: 'api', port: 8080, routes: ['/*'] }, worker: { image: 'api', command: ['node', 'worker.js'] } },
      database: { name: 'shop', instanceClass: 'db.t4g.micro' },
      cache: {},
      buckets: { prefix: 'shop-', names: ['uploads'] },
      secrets: { STRIPE_KEY: { prompt: 'Stripe key' } },
      previews: { from: 'staging', domain: 'preview.example.com', services: ['web'], database: 'clone' },
    }),
    'test',
    'staging',
  );
}

const config = previewConfig(parent(), { bucketPrefix: 'previews/*/' });
const policy = previewRolePolicy(config, previewManifests(config), {
  app: 'shop',
  parent: 'staging',
  account: ACCOUNT,
  region: REGION,
  partition: 'aws',
  state: { bucket: 'acme-state', prefix: 'ledger/' },
  deployRoleName: 'shop-staging-previews',
});
const tagged = (env: string, app = 'shop') => ({ 'aws:ResourceTag/deploy-wizard:app': app, 'aws:ResourceTag/deploy-wizard:env': env });
/** AddTags as part of a create with tags: ELB sets elasticloadbalancing:CreateAction, and the request's tags are the new resource's. */
const creating = (action: string, env: string, app = 'shop') => ({
  'elasticloadbalancing:CreateAction': action,
  'aws:RequestTag/deploy-wizard:app': app,
  'aws:RequestTag/deploy-wizard:env': env,
});

// The preview role, evaluated as IAM would (explicit Deny first, then any Allow, with the conditions): what any
// preview of staging needs is allowed; what would change staging itself is not.
describe('the preview role', () => {
  it("may make and remove any preview's own services, roles, secrets, routes and task definitions", () => {
    const mine: [string, string, Record<string, string>?][] = [
      ['ecs:CreateService', arn('ecs', 'service/shop-staging/shop--pr-42-web')],
      ['ecs:DeleteService', arn('ecs', 'service/shop-staging/shop--pr-42-web'), tagged('staging--pr-42')],
      ['ecs:RegisterTaskDefinition', '*'],
      ['ecs:RunTask', arn('ecs', 'task-definition/shop-staging--pr-42-db-setup:1')],
      ['iam:CreateRole', role('shop-staging--pr-42-task'), { 'iam:PermissionsBoundary': BOUNDARY }],
      ['iam:PutRolePolicy', role('shop-staging--pr-42-execution'), { 'iam:PermissionsBoundary': BOUNDARY }],
      ['iam:PassRole', role('shop-staging--pr-42-task'), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }],
      ['secretsmanager:CreateSecret', arn('secretsmanager', 'secret:shop/staging/previews/pr-42-AbCdEf')],
      ['secretsmanager:CreateSecret', arn('secretsmanager', 'secret:shop/staging/previews/pr-42/db-AbCdEf')],
      ['secretsmanager:GetSecretValue', arn('secretsmanager', 'secret:shop/staging-AbCdEf')],
      ['elasticloadbalancing:CreateRule', arn('elasticloadbalancing', 'listener/app/shop-staging/1/2')],
      ['elasticloadbalancing:DeleteRule', arn('elasticloadbalancing', 'listener-rule/app/shop-staging/1/2/3'), tagged('staging--pr-42')],
      ['elasticloadbalancing:CreateTargetGroup', arn('elasticloadbalancing', 'targetgroup/shop-staging-pv-pr-42-web/1')],
      ['elasticloadbalancing:AddTags', arn('elasticloadbalancing', 'listener-rule/app/shop-staging/1/2/3'), creating('CreateRule', 'staging--pr-42')],
      ['elasticloadbalancing:AddTags', arn('elasticloadbalancing', 'targetgroup/shop-staging-pv-pr-42-web/1'), creating('CreateTargetGroup', 'staging--pr-42')],
      ['elasticloadbalancing:DeleteTargetGroup', arn('elasticloadbalancing', 'targetgroup/shop-staging-pv-pr-42-web/1'), tagged('staging--pr-42')],
      ['ecr:PutImage', arn('ecr', 'repository/shop-staging-api')],
      ['s3:GetObject', 'arn:aws:s3:::acme-state/ledger/shop/staging.state.json'],
      ['s3:PutObject', 'arn:aws:s3:::acme-state/ledger/shop/staging--pr-42.state.json'],
      ['s3:ListBucket', 'arn:aws:s3:::acme-state', { 's3:prefix': 'ledger/shop/staging--' }],
    ];
    for (const [action, resource, ctx] of mine) expect(allows(policy, action, resource, ctx), `${action} ${resource}`).toBe(true);
  });

  it("may not touch the parent's services, load balancer, database instance, secrets, roles, boundary or state", () => {
    const parents: [string, string, Record<string, string>?][] = [
      ['ecs:UpdateService', arn('ecs', 'service/shop-staging/shop'), tagged('staging')],
      ['ecs:DeleteService', arn('ecs', 'service/shop-staging/shop-worker'), tagged('staging')],
      ['ecs:DeleteCluster', arn('ecs', 'cluster/shop-staging'), tagged('staging')],
      ['elasticloadbalancing:ModifyListener', arn('elasticloadbalancing', 'listener/app/shop-staging/1/2'), tagged('staging')],
      ['elasticloadbalancing:ModifyRule', arn('elasticloadbalancing', 'listener-rule/app/shop-staging/1/2/3'), tagged('staging')],
      ['elasticloadbalancing:DeleteRule', arn('elasticloadbalancing', 'listener-rule/app/shop-staging/1/2/3'), tagged('staging')],
      ['elasticloadbalancing:DeleteTargetGroup', arn('elasticloadbalancing', 'targetgroup/shop-staging/1'), tagged('staging')],
      ['elasticloadbalancing:DeleteLoadBalancer', arn('elasticloadbalancing', 'loadbalancer/app/shop-staging/1'), tagged('staging')],
      ['rds:ModifyDBInstance', arn('rds', 'db:shop-staging')],
      ['rds:DeleteDBInstance', arn('rds', 'db:shop-staging')],
      ['secretsmanager:PutSecretValue', arn('secretsmanager', 'secret:shop/staging-AbCdEf')],
      ['secretsmanager:DeleteSecret', arn('secretsmanager', 'secret:shop/staging-AbCdEf')],
      ['secretsmanager:GetSecretValue', arn('secretsmanager', 'secret:shop/prod-AbCdEf')],
      ['iam:PutRolePolicy', role('shop-staging-task'), { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/shop-staging-boundary` }],
      ['iam:CreateRole', role('shop-staging--pr-42-task')],
      ['iam:PassRole', role('shop-staging-execution'), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }],
      ['iam:CreatePolicyVersion', BOUNDARY],
      ['iam:PutRolePolicy', role('shop-staging-previews')],
      ['application-autoscaling:DeregisterScalableTarget', '*'],
      ['s3:PutObject', 'arn:aws:s3:::acme-state/ledger/shop/staging.state.json'],
      ['ecr:DeleteRepository', arn('ecr', 'repository/shop-staging-api')],
      ['ecr:PutLifecyclePolicy', arn('ecr', 'repository/shop-staging-api')],
      ['ecr:BatchDeleteImage', arn('ecr', 'repository/shop-staging-api')],
    ];
    for (const [action, resource, ctx] of parents) expect(allows(policy, action, resource, ctx), `${action} ${resource}`).toBe(false);
  });

  it("may not touch another env's or another app's routes and target groups, nor re-tag anything as a preview's", () => {
    const others: [string, string, Record<string, string>?][] = [
      // Rules go on the parent's listeners only: not prod's, not another app's.
      ['elasticloadbalancing:CreateRule', arn('elasticloadbalancing', 'listener/app/shop-prod/1/2')],
      ['elasticloadbalancing:CreateRule', arn('elasticloadbalancing', 'listener/app/shop-staging-eu/1/2')],
      ['elasticloadbalancing:CreateRule', arn('elasticloadbalancing', 'listener/app/blog-staging/1/2')],
      ['elasticloadbalancing:DeleteRule', arn('elasticloadbalancing', 'listener-rule/app/shop-prod/1/2/3'), tagged('prod')],
      ['elasticloadbalancing:ModifyRule', arn('elasticloadbalancing', 'listener-rule/app/shop-prod/1/2/3'), tagged('staging--pr-42')],
      // On the parent's load balancer: a rule made by hand (no tags), or another app's preview's.
      ['elasticloadbalancing:DeleteRule', arn('elasticloadbalancing', 'listener-rule/app/shop-staging/1/2/3')],
      ['elasticloadbalancing:ModifyRule', arn('elasticloadbalancing', 'listener-rule/app/shop-staging/1/2/3'), tagged('staging--pr-1', 'blog')],
      // Target groups have generated names: kept to the previews' own by their tags.
      ['elasticloadbalancing:DeleteTargetGroup', arn('elasticloadbalancing', 'targetgroup/shop-prod/1'), tagged('prod')],
      ['elasticloadbalancing:ModifyTargetGroup', arn('elasticloadbalancing', 'targetgroup/shop-prod-api/1'), tagged('prod')],
      ['elasticloadbalancing:DeleteTargetGroup', arn('elasticloadbalancing', 'targetgroup/handmade/1')],
      ['elasticloadbalancing:DeleteTargetGroup', arn('elasticloadbalancing', 'targetgroup/blog-staging-pv-pr-1/1'), tagged('staging--pr-1', 'blog')],
      ['elasticloadbalancing:RemoveTags', arn('elasticloadbalancing', 'targetgroup/shop-prod/1'), tagged('prod')],
      // Re-tagging prod's target group as a preview's (to delete it next) is refused: tags only on create.
      [
        'elasticloadbalancing:AddTags',
        arn('elasticloadbalancing', 'targetgroup/shop-prod/1'),
        { ...tagged('prod'), 'aws:RequestTag/deploy-wizard:app': 'shop', 'aws:RequestTag/deploy-wizard:env': 'staging--pr-42' },
      ],
      // What it makes carries a preview's tags of this app.
      ['elasticloadbalancing:AddTags', arn('elasticloadbalancing', 'targetgroup/x/1'), creating('CreateTargetGroup', 'prod')],
      ['elasticloadbalancing:AddTags', arn('elasticloadbalancing', 'listener-rule/app/shop-staging/1/2/3'), creating('CreateRule', 'staging--pr-42', 'blog')],
    ];
    for (const [action, resource, ctx] of others) expect(allows(policy, action, resource, ctx), `${action} ${resource}`).toBe(false);
  });

  it("bounds every preview's roles by one boundary that names no preview: its secrets and its prefix of the buckets only", () => {
    const b = boundaryPolicy({
      app: 'shop',
      env: 'staging--*',
      account: ACCOUNT,
      region: REGION,
      config,
      preview: { name: '*', parent: 'staging', bucketPrefix: 'previews/*/' },
    }) as unknown as Parameters<typeof allows>[0];
    expect(allows(b, 'secretsmanager:GetSecretValue', arn('secretsmanager', 'secret:shop/staging/previews/pr-42-AbCdEf'))).toBe(true);
    expect(allows(b, 'secretsmanager:GetSecretValue', arn('secretsmanager', 'secret:shop/staging-AbCdEf'))).toBe(false);
    expect(allows(b, 's3:PutObject', 'arn:aws:s3:::shop-uploads/previews/pr-42/a.png')).toBe(true);
    expect(allows(b, 's3:PutObject', 'arn:aws:s3:::shop-uploads/a.png')).toBe(false);
    expect(JSON.stringify(b)).not.toContain('pr-42');
  });
});
