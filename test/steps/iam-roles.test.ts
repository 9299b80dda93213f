import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPolicy, type PolicyDocument } from '../../src/render-policy.js';
import { policyVars, roleName } from '../../steps/iam-roles/apply.js';
import { loadConfig } from '../../src/config/load-config.js';
import { EXAMPLES, ROOT } from '../helpers/cli.js';

// Golden files: what the wizard grants is reviewed as text. Set UPDATE_GOLDEN=1 to rewrite them after a deliberate change.
const GOLDEN = join(ROOT, 'fixtures/iam');
const ACCOUNT = '123456789012';

function golden(name: string, doc: PolicyDocument) {
  const path = join(GOLDEN, `${name}.json`);
  const text = JSON.stringify(doc, null, 2) + '\n';
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, text);
  // A missing golden file fails: what the wizard grants is reviewed before it is accepted.
  expect(existsSync(path), `${path} is missing; review the policy and run with UPDATE_GOLDEN=1 to write it`).toBe(true);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

async function rendered(example: string) {
  const { config } = await loadConfig(join(EXAMPLES, `${example}.json`), 'prod');
  const vars = policyVars(
    { account: ACCOUNT, config, env: 'prod' },
    {
      dbSetupSecretArns: config.database
        ? [
            `arn:aws:secretsmanager:${config.region}:${ACCOUNT}:secret:${config.app}/prod/rds-master-AbCdEf`,
            `arn:aws:secretsmanager:${config.region}:${ACCOUNT}:secret:${config.app}/prod/db-app-AbCdEf`,
          ]
        : [],
      secretArn: `arn:aws:secretsmanager:${config.region}:${ACCOUNT}:secret:${config.app}/prod-AbCdEf`,
      bucketNames: config.buckets ? config.buckets.names.map((n) => config.buckets!.prefix + n) : [],
      userPoolArn: config.auth?.cognito ? `arn:aws:cognito-idp:${config.region}:${ACCOUNT}:userpool/${config.region}_Example1` : undefined,
    },
  );
  return {
    trust: renderPolicy('ecs-tasks-trust', vars),
    execution: renderPolicy('execution-policy', vars),
    task: renderPolicy('task-policy', vars),
  };
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as string]);

describe('IAM policies', () => {
  it.each(['agencio-predict', 'arbiter-ai', 'espejo', 'postmagiq'])('%s: matches the golden files', async (example) => {
    const r = await rendered(example);
    golden(`${example}.trust`, r.trust);
    golden(`${example}.execution-policy`, r.execution);
    golden(`${example}.task-policy`, r.task);
  });

  it.each(['agencio-predict', 'arbiter-ai', 'espejo', 'postmagiq'])('%s: no wildcard action or resource in any statement', async (example) => {
    const r = await rendered(example);
    for (const doc of [r.execution, r.task]) {
      expect(doc.Statement.length).toBeGreaterThan(0);
      for (const s of doc.Statement) {
        for (const a of asList(s.Action)) expect(a, `${example} ${s.Sid}`).not.toMatch(/\*/);
        // ecr:GetAuthorizationToken is the one action AWS accepts only on "*" (the token is account-wide): alone in its own statement.
        if (asList(s.Resource).includes('*')) {
          expect(s.Sid).toBe('EcrAuthTokenIsAccountWideSoItTakesOnlyStar');
          expect(asList(s.Action)).toEqual(['ecr:GetAuthorizationToken']);
          continue;
        }
        for (const res of asList(s.Resource)) {
          expect(res, `${example} ${s.Sid}`).not.toBe('*');
          expect(res).toMatch(/^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:/);
          expect(res).not.toMatch(/\{\{/);
        }
        expect(s.NotAction).toBeUndefined();
        expect(s.NotResource).toBeUndefined();
      }
    }
  });

  it('trusts only ECS tasks of this account', async () => {
    const { trust } = await rendered('agencio-predict');
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      }),
    ]);
  });

  it('leaves out statements for components the app does not have, instead of widening them', async () => {
    const r = await rendered('arbiter-ai'); // no buckets, no Cognito
    expect(r.task.Statement.map((s) => s.Sid)).toEqual(['ReadAppSecret']);
    expect(r.execution.Statement.map((s) => s.Sid)).toEqual([
      'EcrAuthTokenIsAccountWideSoItTakesOnlyStar',
      'PullAppImage',
      'WriteAppLogs',
      'ReadAppSecret',
      'ReadDatabaseSetupSecrets',
    ]);
    const none = renderPolicy('task-policy', { accountId: ACCOUNT, bucketArns: [], bucketObjectArns: [] });
    expect(none.Statement).toEqual([]);
  });

  it("keeps role names within IAM's 64 characters", () => {
    expect(roleName('a'.repeat(32), 'b'.repeat(32), 'execution').length).toBeLessThanOrEqual(64);
    expect(roleName('shop', 'prod', 'task')).toBe('shop-prod-task');
  });

  it('grants Cognito admin actions only when auth.cognito.adminActions asks for them', async () => {
    const plain = await rendered('agencio-predict');
    expect(plain.task.Statement.map((s) => s.Sid)).toContain('ReadUserPool');
    expect(plain.task.Statement.map((s) => s.Sid)).not.toContain('CognitoAdmin');
    const { config } = await loadConfig(join(EXAMPLES, 'agencio-predict.json'), 'prod');
    config.auth!.cognito!.adminActions = true;
    const pool = `arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/us-east-1_X`;
    const admin = renderPolicy('task-policy', policyVars({ account: ACCOUNT, config, env: 'prod' }, { userPoolArn: pool }));
    expect(admin.Statement.find((s) => s.Sid === 'CognitoAdmin')).toMatchObject({ Resource: [pool] });
  });

  it('uses the partition of the region in every ARN', async () => {
    const { config } = await loadConfig(join(EXAMPLES, 'espejo.json'), 'prod');
    config.region = 'cn-north-1';
    const vars = policyVars(
      { account: ACCOUNT, config, env: 'prod' },
      { bucketNames: ['b1'], secretArn: `arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:x` },
    );
    for (const doc of [renderPolicy('execution-policy', vars), renderPolicy('task-policy', vars)]) {
      for (const s of doc.Statement) for (const r of asList(s.Resource)) if (r !== '*') expect(r).toMatch(/^arn:aws-cn:/);
    }
  });
});
