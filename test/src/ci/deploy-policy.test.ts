import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllSteps } from '../../../steps/index.js';

const steps = await loadAllSteps();
import { parseConfig } from '../../../src/config/load-config.js';
import { allows, deployPolicy, GRANTED_STEPS, INLINE_POLICY_LIMIT } from '../../../src/ci/deploy-policy.js';
import { iamActionsFor } from '../../../src/ci/iam-action.js';

const where = {
  app: 'shop',
  env: 'prod',
  account: '123456789012',
  region: 'eu-west-1',
  partition: 'aws',
  state: { bucket: 'acme-state', prefix: 'ledger/' },
  deployRoleName: 'shop-prod-deploy',
};
const example = (name: string) => readFileSync(join(import.meta.dirname, '../../../fixtures/examples', `${name}.json`), 'utf8');

describe('deploy role policy', () => {
  it('has grants for every step of the pipeline', () => {
    expect(steps.map((s) => s.id).filter((id) => !GRANTED_STEPS.includes(id))).toEqual([]);
  });

  it('fits the inline policy limit with every step enabled, keeping writes exact', () => {
    const raw = JSON.parse(example('whole-apps/postmagiq'));
    raw.app = 'shop';
    raw.alarms = { email: ['ops@example.com'] };
    raw.budget = { monthlyUsd: 300, email: ['ops@example.com'] };
    const config = parseConfig(JSON.stringify(raw), 'test', 'prod');
    const policy = deployPolicy(
      config,
      steps.map((s) => s.id),
      where,
    );
    expect(JSON.stringify(policy).length).toBeLessThanOrEqual(INLINE_POLICY_LIMIT);
    for (const w of ['ecs:CreateService', 'rds:CreateDBInstance', 'iam:PutRolePolicy', 'cloudfront:UpdateDistribution', 'budgets:ModifyBudget'])
      expect(
        policy.Statement.some((s) => s.Action.includes(w)),
        w,
      ).toBe(true);
  });

  it('scopes by name where the name is known, and never lets the role change itself', () => {
    const config = parseConfig(example('agencio-predict').replace('"agencio-predict"', '"shop"'), 'test', 'prod');
    const enabled = steps.filter((s) => !s.enabled || s.enabled(config)).map((s) => s.id);
    const policy = deployPolicy(config, enabled, where);
    expect(allows(policy, 'iam:CreateRole', 'arn:aws:iam::123456789012:role/shop-prod-task')).toBe(true);
    expect(allows(policy, 'iam:CreateRole', 'arn:aws:iam::123456789012:role/admin')).toBe(false);
    expect(allows(policy, 'iam:PutRolePolicy', 'arn:aws:iam::123456789012:role/shop-prod-deploy')).toBe(false);
    expect(allows(policy, 'secretsmanager:PutSecretValue', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/prod-xyz')).toBe(true);
    expect(allows(policy, 'secretsmanager:PutSecretValue', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/staging-xyz')).toBe(false);
    expect(allows(policy, 's3:PutObject', 'arn:aws:s3:::acme-state/ledger/shop/prod.state.json')).toBe(true);
    expect(allows(policy, 's3:PutObject', 'arn:aws:s3:::acme-state/ledger/shop/staging.state.json')).toBe(false);
    expect(allows(policy, 'ecs:UpdateService', 'arn:aws:ecs:eu-west-1:123456789012:service/other-prod/other')).toBe(false);
    // A step that is not enabled grants nothing.
    expect(allows(policy, 'cloudfront:CreateDistribution')).toBe(false);
  });

  it('maps calls whose IAM action has another name', () => {
    expect(iamActionsFor('S3:HeadBucket')).toEqual(['s3:ListBucket']);
    expect(iamActionsFor('State:PutObject')).toEqual(['s3:PutObject']);
    expect(iamActionsFor('Budgets:DescribeBudget')).toEqual(['budgets:ViewBudget']);
    expect(iamActionsFor('ELBv2:CreateRule')).toEqual(['elasticloadbalancing:CreateRule']);
    expect(iamActionsFor('STS:GetCallerIdentity')).toEqual([]);
  });
});
