import { describe, expect, it } from 'vitest';
import { elasticache } from '../../steps/elasticache/apply.js';
import { network } from '../../steps/network/apply.js';
import { stepContext } from '../helpers/step-context.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { fakeOn, tags } from '../helpers/fake-client.js';

describe('ElastiCache applies every configured change: node type, engine version and node count', () => {
  async function cacheContext(cache: Record<string, unknown>, group: Record<string, any>) {
    const { ctx, app } = stepContext({ cache });
    ctx.clock = fakeClock().clock;
    const net = await network.apply(ctx);
    ctx.output = ((id: string) => ({ network: net })[id]) as any;
    const g: any = {
      ReplicationGroupId: `${app}-prod`,
      ARN: `arn:aws:elasticache:us-east-1:123456789012:replicationgroup:${app}-prod`,
      Status: 'available',
      CacheNodeType: 'cache.t4g.micro',
      MemberClusters: [`${app}-prod-001`],
      AutomaticFailover: 'disabled',
      NodeGroups: [{ PrimaryEndpoint: { Address: 'redis.internal', Port: 6379 } }],
      TransitEncryptionEnabled: true,
      ...group,
    };
    let version = '7.1.0';
    let busy = 0;
    const settle = () => {
      if (g.Status !== 'available' && --busy <= 0) g.Status = 'available';
    };
    const calls = fakeOn(ctx, 'elasticache', {
      DescribeReplicationGroups: () => {
        settle();
        return { ReplicationGroups: [structuredClone(g)] };
      },
      DescribeCacheClusters: () => ({ CacheClusters: [{ EngineVersion: version }] }),
      ListTagsForResource: () => ({ TagList: tags(app) }),
      ModifyReplicationGroup: (input: any) => {
        if (g.Status !== 'available') throw Object.assign(new Error('busy'), { name: 'InvalidReplicationGroupStateFault' });
        if (input.CacheNodeType) g.CacheNodeType = input.CacheNodeType;
        if (input.EngineVersion) version = `${input.EngineVersion}.0`;
        if (input.AutomaticFailoverEnabled !== undefined) g.AutomaticFailover = input.AutomaticFailoverEnabled ? 'enabled' : 'disabled';
        if (input.MultiAZEnabled !== undefined) g.MultiAZ = input.MultiAZEnabled ? 'enabled' : 'disabled';
        g.Status = 'modifying';
        busy = 2;
        return { ReplicationGroup: g };
      },
      IncreaseReplicaCount: (input: any) => {
        g.MemberClusters = Array.from({ length: input.NewReplicaCount + 1 }, (_, i) => `${app}-prod-00${i + 1}`);
        g.Status = 'modifying';
        busy = 2;
        return {};
      },
      DecreaseReplicaCount: (input: any) => {
        if (g.AutomaticFailover === 'enabled' && input.NewReplicaCount === 0)
          throw Object.assign(new Error('failover on'), { name: 'InvalidParameterCombination' });
        g.MemberClusters = g.MemberClusters.slice(0, input.NewReplicaCount + 1);
        g.Status = 'modifying';
        busy = 2;
        return {};
      },
    });
    return { ctx, g, calls, version: () => version };
  }

  it('node type, version and a second node (then failover on) are all applied, one at a time, each on an available group', async () => {
    const { ctx, g, calls, version } = await cacheContext({ nodeType: 'cache.t4g.small', engineVersion: '7.2', numNodes: 2 }, { Status: 'snapshotting' });
    g.Status = 'snapshotting';
    const out = await elasticache.apply(ctx);
    expect(
      calls
        .filter((c) => ['ModifyReplicationGroup', 'IncreaseReplicaCount'].includes(c.name))
        .map((c) => [
          c.name,
          Object.keys(c.input)
            .filter((k) => !['ReplicationGroupId', 'ApplyImmediately'].includes(k))
            .join(','),
        ]),
    ).toEqual([
      ['ModifyReplicationGroup', 'CacheNodeType'],
      ['ModifyReplicationGroup', 'EngineVersion'],
      ['IncreaseReplicaCount', 'NewReplicaCount'],
      ['ModifyReplicationGroup', 'AutomaticFailoverEnabled,MultiAZEnabled'],
    ]);
    expect([g.CacheNodeType, version(), g.MemberClusters.length, g.AutomaticFailover]).toEqual(['cache.t4g.small', '7.2.0', 2, 'enabled']);
    expect((await elasticache.verify(ctx, out)).every((c) => c.ok)).toBe(true);
  });

  it('going back to one node turns failover off first, then removes the replica', async () => {
    const { ctx, g, calls } = await cacheContext({ numNodes: 1 }, { MemberClusters: ['a', 'b'], AutomaticFailover: 'enabled' });
    await elasticache.apply(ctx);
    expect(calls.filter((c) => ['ModifyReplicationGroup', 'DecreaseReplicaCount'].includes(c.name)).map((c) => c.name)).toEqual([
      'ModifyReplicationGroup',
      'DecreaseReplicaCount',
    ]);
    expect(g.MemberClusters).toHaveLength(1);
  });
  it('cache.replicas is the replica count; multiAz follows the config on a group that already fails over, in one call', async () => {
    const { ctx, g, calls } = await cacheContext(
      { replicas: 1, multiAz: false },
      { MemberClusters: ['a', 'b'], AutomaticFailover: 'enabled', MultiAZ: 'enabled' },
    );
    expect(ctx.config.cache).toMatchObject({ numNodes: 2, multiAz: false });
    expect((await elasticache.plan(ctx))[0]).toMatchObject({ action: 'update', detail: 'Multi-AZ on → off' });
    await elasticache.apply(ctx);
    expect(calls.filter((c) => c.name === 'ModifyReplicationGroup').map((c) => c.input)).toEqual([
      expect.objectContaining({ MultiAZEnabled: false, ApplyImmediately: true }),
    ]);
    expect(g.MultiAZ).toBe('disabled');
    calls.length = 0;
    await elasticache.apply(ctx);
    expect(calls.filter((c) => c.name === 'ModifyReplicationGroup')).toEqual([]);
  });
});
