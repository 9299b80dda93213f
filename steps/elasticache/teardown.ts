import {
  DeleteCacheSubnetGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheSubnetGroupsCommand,
  DescribeReplicationGroupsCommand,
  ListTagsForResourceCommand,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { replicationGroupId } from './apply.js';

const GONE = ['ReplicationGroupNotFoundFault', 'ReplicationGroupNotFound'];

async function findGroup(ctx: StepContext, id: string): Promise<ReplicationGroup | undefined> {
  return (await unlessNotFound(ctx.aws.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id })), ...GONE))?.ReplicationGroups?.[0];
}

/** The cache holds nothing the app cannot rebuild: it goes. */
export async function destroyCache(ctx: StepContext): Promise<Teardown[]> {
  const id = replicationGroupId(ctx.app, ctx.env);
  const items: Teardown[] = [];
  const g = await findGroup(ctx, id);
  const tagsOf = async (arn: string | undefined) =>
    arn ? ((await ctx.aws.elasticache.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList ?? []) : [];
  // One already deleting is on its way out (a killed destroy asked already).
  if (g && g.Status !== 'deleting' && ownedBy(ctx, await tagsOf(g.ARN))) {
    items.push({
      resource: `ElastiCache replication group ${id}`,
      // Not waited for: its subnet group and security group are retried while it still holds them.
      remove: async () => void (await unlessNotFound(ctx.aws.elasticache.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: id })), ...GONE)),
    });
  }
  const sg = (
    await unlessNotFound(ctx.aws.elasticache.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: id })), 'CacheSubnetGroupNotFoundFault')
  )?.CacheSubnetGroups?.[0];
  if (sg && ownedBy(ctx, await tagsOf(sg.ARN))) {
    items.push({
      resource: `cache subnet group ${id}`,
      remove: () =>
        retryWhileInUse(ctx, `cache subnet group ${id}`, ['CacheSubnetGroupInUse'], () =>
          unlessNotFound(ctx.aws.elasticache.send(new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: id })), 'CacheSubnetGroupNotFoundFault'),
        ),
    });
  }
  return items;
}
