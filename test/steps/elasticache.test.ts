import { describe, expect, it } from 'vitest';
import { DescribeReplicationGroupsCommand } from '@aws-sdk/client-elasticache';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { NetworkOutput } from '../../steps/network/apply.js';
import { elasticache } from '../../steps/elasticache/apply.js';
import { MUTATING } from '../helpers/step-context.js';
import { withNetwork } from '../helpers/with-network.js';

describe('elasticache against moto', () => {
  it('stores the AUTH token first and creates an encrypted replication group that requires it', async () => {
    const calls: string[] = [];
    const { ctx, app, net } = await withNetwork({ cache: { nodeType: 'cache.t4g.small' } }, { onCall: (c) => calls.push(`${c.service}:${c.command}`) });
    calls.length = 0;
    const out = await elasticache.apply(ctx);
    expect(calls.indexOf('SecretsManager:CreateSecret')).toBeLessThan(calls.indexOf('ElastiCache:CreateReplicationGroup'));
    const g = (await ctx.aws.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: `${app}-prod` }))).ReplicationGroups![0]!;
    expect(g).toMatchObject({ CacheNodeType: 'cache.t4g.small', AtRestEncryptionEnabled: true, TransitEncryptionEnabled: true, AuthTokenEnabled: true });
    const token = JSON.parse((await ctx.aws.secrets.send(new GetSecretValueCommand({ SecretId: out.authSecretArn }))).SecretString!).token;
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(out.transitEncryption).toBe(true);
    expect(out.primaryEndpoint).toBe(g.NodeGroups![0]!.PrimaryEndpoint!.Address);
    expect((net as NetworkOutput).securityGroups.cache).toBeDefined();

    calls.length = 0;
    await elasticache.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c.split(':')[1]!))).toEqual([]);
  });
});
