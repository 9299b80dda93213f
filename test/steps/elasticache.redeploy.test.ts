import { describe, expect, it } from 'vitest';
import { elasticache } from '../../steps/elasticache/apply.js';
import { network } from '../../steps/network/apply.js';
import { stepContext } from '../helpers/step-context.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { fakeOn, tags } from '../helpers/fake-client.js';

describe('ElastiCache right after a destroy', () => {
  it('waits out a group that is still deleting, then creates it anew (moto keeps a deleted group "deleting" for ever)', async () => {
    const { ctx, app } = stepContext({ cache: { nodeType: 'cache.t4g.micro' } });
    ctx.clock = fakeClock().clock;
    const net = await network.apply(ctx);
    ctx.output = ((id: string) => ({ network: net })[id]) as any;
    let group: any = { ReplicationGroupId: `${app}-prod`, Status: 'deleting', MemberClusters: [] };
    let polls = 0;
    const calls = fakeOn(ctx, 'elasticache', {
      DescribeReplicationGroups: () => {
        if (group?.Status === 'deleting' && ++polls > 3) group = undefined;
        if (!group) throw Object.assign(new Error('not found'), { name: 'ReplicationGroupNotFoundFault' });
        return { ReplicationGroups: [structuredClone(group)] };
      },
      CreateReplicationGroup: (input: any) => {
        if (group) throw Object.assign(new Error('exists'), { name: 'ReplicationGroupAlreadyExistsFault' });
        group = {
          ReplicationGroupId: input.ReplicationGroupId,
          ARN: `arn:aws:elasticache:us-east-1:123456789012:replicationgroup:${app}-prod`,
          Status: 'available',
          MemberClusters: [`${app}-prod-001`],
          NodeGroups: [{ PrimaryEndpoint: { Address: 'redis.internal', Port: 6379 } }],
          TransitEncryptionEnabled: true,
        };
        return { ReplicationGroup: group };
      },
      DescribeCacheClusters: () => ({ CacheClusters: [{ EngineVersion: '7.1.0' }] }),
      ListTagsForResource: () => ({ TagList: tags(app) }),
    });
    const out = await elasticache.apply(ctx);
    expect(out.primaryEndpoint).toBe('redis.internal');
    const names = calls.map((c) => c.name);
    // Created once, and only after the old group was reported gone.
    expect(names.filter((n) => n === 'CreateReplicationGroup')).toHaveLength(1);
    expect(polls).toBeGreaterThan(3);
  });
});
