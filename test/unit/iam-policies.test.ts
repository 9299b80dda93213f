import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPolicy, type PolicyDocument } from '../../src/render-policy.js';
import { policyVars, roleName } from '../../steps/iam-roles.js';
import { loadConfig } from '../../src/config/load-config.js';
import { EXAMPLES, ROOT } from '../helpers/cli.js';

// Golden files: what the wizard grants is reviewed as text. Set UPDATE_GOLDEN=1 to rewrite them after a deliberate change.
const GOLDEN = join(ROOT, 'fixtures/iam');
const ACCOUNT = '123456789012';

function golden(name: string, doc: PolicyDocument) {
  const path = join(GOLDEN, `${name}.json`);
  const text = JSON.stringify(doc, null, 2) + '\n';
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

async function rendered(example: string) {
  const { config } = await loadConfig(join(EXAMPLES, `${example}.json`), 'prod');
  const vars = policyVars(
    { account: ACCOUNT, config },
    {
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
      expect.objectContaining({ Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }),
    ]);
  });

  it('leaves out statements for components the app does not have, instead of widening them', async () => {
    const r = await rendered('arbiter-ai'); // no buckets, no Cognito
    expect(r.task.Statement.map((s) => s.Sid)).toEqual(['ReadAppSecret']);
    const none = renderPolicy('task-policy', { accountId: ACCOUNT, bucketArns: [], bucketObjectArns: [] });
    expect(none.Statement).toEqual([]);
  });

  it('keeps role names within IAM\'s 64 characters', () => {
    expect(roleName('a'.repeat(32), 'b'.repeat(32), 'execution').length).toBeLessThanOrEqual(64);
    expect(roleName('shop', 'prod', 'task')).toBe('shop-prod-task');
  });
});
