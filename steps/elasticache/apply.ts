import {
  CreateCacheSubnetGroupCommand,
  CreateReplicationGroupCommand,
  DescribeCacheSubnetGroupsCommand,
  DecreaseReplicaCountCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  IncreaseReplicaCountCommand,
  ListTagsForResourceCommand,
  ModifyCacheSubnetGroupCommand,
  ModifyReplicationGroupCommand,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import type { StepContext } from '../../src/pipeline/context.js';
import { replicationGroupId, redisAuthSecretName } from '../../src/aws/names.js';
import { StepError } from '../../src/errors.js';
import { waitFor } from '../../src/wait.js';
import { waitGone as waitUntilGone } from '../../src/aws/wait-gone.js';
import { ensureGeneratedSecret, randomAlnum, readSecretJson } from '../../src/secrets/store.js';
import type { NetworkOutput } from '../network/apply.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { versionStanding } from '../../src/aws/engine-version.js';
import { unlessNotFound, isError } from '../../src/aws/not-found.js';
import { convergeSubnetGroup, dataMoveProblem } from '../../src/aws/subnet-group.js';
import { findOwnVpc } from '../../src/aws/own-vpc.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface ElastiCacheOutput {
  replicationGroupId: string;
  primaryEndpoint: string;
  port: number;
  transitEncryption: boolean;
  authSecretArn: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    elasticache: ElastiCacheOutput;
  }
}

const DEADLINE_MS = 40 * 60_000;
const FATAL = /^(create-failed|deleting|deleted)$/;

// Replication group ids are at most 40 characters: replicationGroupId (src/aws/names.ts) shortens long ones.
export { replicationGroupId };

const groupId = (ctx: StepContext) => replicationGroupId(ctx.app, ctx.env);

/** A replication group with the engine version of its members (the group itself does not report one). */
type Group = ReplicationGroup & { EngineVersion?: string };

async function findGroup(ctx: StepContext): Promise<Group | undefined> {
  try {
    const g: Group | undefined = (await ctx.aws.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: groupId(ctx) })))
      .ReplicationGroups?.[0];
    const member = g?.MemberClusters?.[0];
    if (g && member) {
      const cluster = (await ctx.aws.elasticache.send(new DescribeCacheClustersCommand({ CacheClusterId: member })).catch(() => undefined))?.CacheClusters?.[0];
      g.EngineVersion = cluster?.EngineVersion;
    }
    return g;
  } catch (e) {
    if (isError(e, 'ReplicationGroupNotFoundFault')) return undefined;
    throw e;
  }
}

function ensureSubnetGroup(ctx: StepContext, net: NetworkOutput): Promise<string> {
  const name = groupId(ctx);
  return convergeSubnetGroup(name, net.dataSubnetIds ?? net.subnetIds, {
    find: async () =>
      (
        await unlessNotFound(ctx.aws.elasticache.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: name })), 'CacheSubnetGroupNotFoundFault')
      )?.CacheSubnetGroups?.[0]?.Subnets?.map((s) => s.SubnetIdentifier!),
    create: (ids) =>
      ctx.aws.elasticache.send(
        new CreateCacheSubnetGroupCommand({
          CacheSubnetGroupName: name,
          CacheSubnetGroupDescription: `deploy-wizard ${ctx.app} ${ctx.env}`,
          SubnetIds: ids,
          Tags: ownershipTags(ctx, 'elasticache'),
        }),
      ),
    modify: (ids) => ctx.aws.elasticache.send(new ModifyCacheSubnetGroupCommand({ CacheSubnetGroupName: name, SubnetIds: ids })),
  });
}

/** Waits out a group that is being deleted; resolves undefined once it is gone. */
async function waitGone(ctx: StepContext): Promise<undefined> {
  ctx.log.info(`Redis ${groupId(ctx)} is still being deleted (a recent destroy); waiting for it to go before creating it again`);
  await waitUntilGone(ctx, {
    stepId: 'elasticache',
    what: `Redis ${groupId(ctx)} (deleting)`,
    deadlineMs: DEADLINE_MS,
    typical: '5-10 min',
    find: async () => {
      const cur = await findGroup(ctx);
      return cur && { status: cur.Status };
    },
  });
  return undefined;
}

function waitGroup(ctx: StepContext): Promise<Group> {
  return waitFor({
    stepId: 'elasticache',
    what: `Redis ${groupId(ctx)}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: DEADLINE_MS,
    onStatus: (l) => ctx.log.info(l),
    typical: '5-15 min',
    poll: async () => {
      const cur = await findGroup(ctx);
      const status = cur?.Status ?? 'missing';
      if (!cur) return { done: false, status, fatal: 'the replication group disappeared while waiting' };
      if (FATAL.test(status)) return { done: false, status, fatal: `status is "${status}"` };
      const pending = cur.PendingModifiedValues ?? {};
      const busy = !!(pending.Resharding || pending.AutomaticFailoverStatus || (pending as { ClusterMode?: string }).ClusterMode);
      return { done: status === 'available' && !busy && !!primaryOf(cur).address, status, value: cur };
    },
  });
}

/**
 * Every way the group differs from the config, each with the call that fixes
 * it, in the order they must be made: node type, engine version (compared at
 * the level asked: "7.1" is met by 7.1.x), then the node count (replicas are
 * added before Multi-AZ failover is turned on, and failover is turned off
 * before the last replica goes).
 */
export function cacheDifferences(ctx: StepContext, g: Group): { label: string; apply: () => Promise<unknown> }[] {
  const c = ctx.config.cache!;
  const id = groupId(ctx);
  const out: { label: string; apply: () => Promise<unknown> }[] = [];
  const modify = (input: Record<string, unknown>) => () =>
    ctx.aws.elasticache.send(new ModifyReplicationGroupCommand({ ReplicationGroupId: id, ApplyImmediately: true, ...input }));
  if (g.CacheNodeType && g.CacheNodeType !== c.nodeType)
    out.push({ label: `node type ${g.CacheNodeType} → ${c.nodeType}`, apply: modify({ CacheNodeType: c.nodeType }) });
  const have = g.EngineVersion;
  if (have) {
    const standing = versionStanding(c.engineVersion, have);
    if (standing === 'upgrade') out.push({ label: `version ${have} → ${c.engineVersion}`, apply: modify({ EngineVersion: c.engineVersion }) });
    if (standing === 'downgrade') {
      out.push({
        label: `version ${have} → ${c.engineVersion} (ElastiCache cannot downgrade; set cache.engineVersion to ${have.split('.').slice(0, 2).join('.')} or later)`,
        apply: async () => {
          throw new StepError(
            'elasticache',
            `modify cache: cache.engineVersion ${c.engineVersion} is older than the running ${have}; ElastiCache cannot downgrade`,
            {
              hint: `Set cache.engineVersion to ${have.split('.').slice(0, 2).join('.')} or later.`,
            },
          );
        },
      });
    }
  }
  const nodes = g.MemberClusters?.length ?? c.numNodes;
  const failover = g.AutomaticFailover === 'enabled' || g.AutomaticFailover === 'enabling';
  if (nodes < c.numNodes) {
    out.push({
      label: `nodes ${nodes} → ${c.numNodes}`,
      apply: () =>
        ctx.aws.elasticache.send(new IncreaseReplicaCountCommand({ ReplicationGroupId: id, NewReplicaCount: c.numNodes - 1, ApplyImmediately: true })),
    });
  } else if (nodes > c.numNodes && c.numNodes === 1 && failover) {
    out.push({ label: 'automatic failover off (before going to one node)', apply: modify({ AutomaticFailoverEnabled: false, MultiAZEnabled: false }) });
  } else if (nodes > c.numNodes) {
    out.push({
      label: `nodes ${nodes} → ${c.numNodes}`,
      apply: () =>
        ctx.aws.elasticache.send(new DecreaseReplicaCountCommand({ ReplicationGroupId: id, NewReplicaCount: c.numNodes - 1, ApplyImmediately: true })),
    });
  } else if (c.numNodes > 1 && !failover) {
    out.push({
      label: `automatic failover${c.multiAz ? ' and Multi-AZ' : ''} on`,
      apply: modify({ AutomaticFailoverEnabled: true, MultiAZEnabled: c.multiAz }),
    });
  } else if (c.numNodes > 1 && failover && (g.MultiAZ === 'enabled') !== c.multiAz) {
    out.push({ label: `Multi-AZ ${c.multiAz ? 'off → on' : 'on → off'}`, apply: modify({ MultiAZEnabled: c.multiAz }) });
  }
  return out;
}

function primaryOf(g: ReplicationGroup): { address?: string; port?: number } {
  const ep = g.NodeGroups?.[0]?.PrimaryEndpoint ?? g.ConfigurationEndpoint;
  return { address: ep?.Address, port: ep?.Port };
}

export const elasticache: StepCode<'elasticache'> = {
  async inputs(ctx) {
    return { ...ctx.config.cache, id: groupId(ctx) };
  },

  // The cache never moves to another network by itself: that would make it again (src/aws/subnet-group.ts).
  async preflight(ctx) {
    const g = (
      await unlessNotFound(
        ctx.aws.elasticache.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: groupId(ctx) })),
        'CacheSubnetGroupNotFoundFault',
      )
    )?.CacheSubnetGroups?.[0];
    return dataMoveProblem(
      `the cache ${groupId(ctx)}`,
      g,
      ctx.config.network,
      () => findGroup(ctx),
      async () => (await findOwnVpc(ctx.aws.ec2, ctx))?.VpcId,
    );
  },

  async plan(ctx) {
    const c = ctx.config.cache!;
    const g = await findGroup(ctx);
    const items: PlanItem[] = [];
    if (!g)
      items.push({
        action: 'create',
        resource: `Redis replication group ${groupId(ctx)}`,
        detail: `Redis ${c.engineVersion}, ${c.numNodes} × ${c.nodeType}${c.numNodes > 1 ? `, automatic failover${c.multiAz ? ', Multi-AZ' : ''}` : ''}, encrypted at rest and in transit, AUTH token`,
      });
    else {
      const diff = cacheDifferences(ctx, g).map((d) => d.label);
      items.push({ action: diff.length ? 'update' : 'keep', resource: `Redis replication group ${groupId(ctx)}`, detail: diff.join(', ') || g.Status });
    }
    return items;
  },

  async apply(ctx) {
    const c = ctx.config.cache!;
    const net = ctx.output('network');
    if (!net.securityGroups.cache) throw new Error('network did not create the cache security group');
    // The AUTH token is stored before the group that uses it is created.
    const auth = await ensureGeneratedSecret(ctx, 'elasticache', redisAuthSecretName(ctx), `deploy-wizard: Redis AUTH token for ${groupId(ctx)}`, () => ({
      token: randomAlnum(48),
    }));
    const subnetGroup = await ensureSubnetGroup(ctx, net);
    let g = await findGroup(ctx);
    // A destroy moments ago: the name is free once the old group is gone (minutes), and then it is made anew.
    if (g?.Status === 'deleting') g = await waitGone(ctx);
    if (!c.transitEncryption) ctx.log.warn('cache.transitEncryption is false: traffic between the app and Redis is not encrypted, and Redis has no AUTH token');
    if (g && (g.TransitEncryptionEnabled ?? true) !== c.transitEncryption) {
      ctx.log.warn(
        `cache.transitEncryption is ${c.transitEncryption} but ${groupId(ctx)} was created with it ${(g.TransitEncryptionEnabled ?? true) ? 'on' : 'off'}; it is left as it is (changing it needs a new cache), and REDIS_URL follows the cache`,
      );
    }
    if (!g) {
      ctx.log.info(`creating Redis replication group ${groupId(ctx)} (${c.numNodes} × ${c.nodeType})`);
      try {
        await ctx.aws.elasticache.send(
          new CreateReplicationGroupCommand({
            ReplicationGroupId: groupId(ctx),
            ReplicationGroupDescription: `deploy-wizard ${ctx.app} ${ctx.env}`,
            Engine: 'redis',
            EngineVersion: c.engineVersion,
            CacheNodeType: c.nodeType,
            NumCacheClusters: c.numNodes,
            AutomaticFailoverEnabled: c.numNodes > 1,
            MultiAZEnabled: c.multiAz,
            AtRestEncryptionEnabled: true,
            TransitEncryptionEnabled: c.transitEncryption,
            // Redis AUTH needs TLS; without it the cache is reachable only from the tasks' security group.
            ...(c.transitEncryption ? { AuthToken: auth.value.token } : {}),
            CacheSubnetGroupName: subnetGroup,
            SecurityGroupIds: [net.securityGroups.cache],
            Port: 6379,
            Tags: ownershipTags(ctx, 'elasticache'),
          }),
        );
      } catch (e) {
        if (!isError(e, 'ReplicationGroupAlreadyExistsFault')) throw e;
      }
    } else {
      const tags = g.ARN ? ((await ctx.aws.elasticache.send(new ListTagsForResourceCommand({ ResourceName: g.ARN }))).TagList ?? []) : [];
      if (!ownedBy(ctx, tags)) {
        throw new StepError('elasticache', `adopt cache: replication group ${groupId(ctx)} exists but was not created by deploy-wizard`, {
          hint: `Delete or rename it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env}.`,
        });
      }
      // One change at a time, each on an available group (ElastiCache refuses changes while one is in progress).
      for (let round = 0; round < 4; round++) {
        const diff = cacheDifferences(ctx, g);
        if (!diff.length) break;
        if (g.Status !== 'available') {
          ctx.log.info(`${groupId(ctx)} is ${g.Status}; waiting before: ${diff.map((d) => d.label).join(', ')}`);
          g = await waitGroup(ctx);
          continue;
        }
        ctx.log.info(`modifying ${groupId(ctx)}: ${diff[0]!.label}`);
        await diff[0]!.apply();
        g = await waitGroup(ctx);
      }
    }
    g = await waitGroup(ctx);
    const left = cacheDifferences(ctx, g);
    if (left.length) {
      throw new StepError('elasticache', `modify cache: ${left.map((d) => d.label).join(', ')} did not take effect`, {
        hint: "Check the replication group's events in the ElastiCache console (an unsupported node type or version is the usual cause), fix the config, and run again.",
      });
    }
    const ep = primaryOf(g);
    const out: ElastiCacheOutput = {
      replicationGroupId: groupId(ctx),
      primaryEndpoint: ep.address!,
      port: ep.port ?? 6379,
      transitEncryption: g.TransitEncryptionEnabled ?? true,
      authSecretArn: auth.arn,
    };
    return out;
  },

  async verify(ctx, out) {
    const g = await findGroup(ctx);
    const checks: Check[] = [
      { name: `Redis ${out.replicationGroupId}`, ok: g?.Status === 'available' && primaryOf(g).address === out.primaryEndpoint, detail: g?.Status },
    ];
    if (g) {
      const diff = cacheDifferences(ctx, g);
      checks.push({ name: 'node type, version and node count as configured', ok: diff.length === 0, detail: diff.map((d) => d.label).join(', ') || undefined });
    }
    checks.push({ name: `AUTH token secret ${redisAuthSecretName(ctx)}`, ok: !!(await readSecretJson(ctx, out.authSecretArn))?.token });
    return checks;
  },

  summary(out) {
    return { rows: [['Redis', `${out.primaryEndpoint}:${out.port}${out.transitEncryption ? ' (TLS)' : ''}`]] };
  },
};
