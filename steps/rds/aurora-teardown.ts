import { CreateDBClusterSnapshotCommand, DescribeDBClusterSnapshotsCommand, type DBCluster } from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownershipTags, type DestroyOptions, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { deleteCluster } from '../../src/aws/delete-database.js';
import { auroraMonthly } from '../../src/pricing.js';

const snapshotName = (id: string, kind: 'destroy' | 'final', stamp: string) => `${id}-${kind}-${stamp}`;

async function snapshotExists(ctx: StepContext, name: string): Promise<boolean> {
  const res = await unlessNotFound(
    ctx.aws.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: name })),
    'DBClusterSnapshotNotFoundFault',
    'DBClusterSnapshotNotFound',
  );
  return !!res?.DBClusterSnapshots?.length;
}

/**
 * An Aurora cluster is data, like an instance: kept by default with a cluster snapshot taken now; with
 * --delete-data, protection off, its instances deleted (Aurora keeps no per-instance snapshot), then the cluster
 * with a final snapshot (unless --skip-final-snapshot), waited for.
 */
export function clusterTeardown(ctx: StepContext, c: DBCluster, o: DestroyOptions): Teardown {
  const id = c.DBClusterIdentifier!;
  const d = ctx.config.database;
  if (!o.deleteData) {
    const snap = snapshotName(id, 'destroy', o.stamp);
    return {
      resource: `Aurora cluster ${id} (snapshot ${snap})`,
      keep: `data${c.DeletionProtection ? ', deletion protection on' : ''}`,
      monthly: d?.serverless ? auroraMonthly(ctx.region, d.serverless.minAcu * (c.DBClusterMembers?.length || 1)) : undefined,
      alsoDo: async () => {
        if (await snapshotExists(ctx, snap)) return;
        if (c.Status !== 'available') {
          ctx.log.warn(`Aurora cluster ${id} is ${c.Status}: no snapshot taken now; its automated backups still run`);
          return;
        }
        await ctx.aws.rds.send(
          new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: id, DBClusterSnapshotIdentifier: snap, Tags: ownershipTags(ctx, 'rds') }),
        );
        ctx.log.info(`taking snapshot ${snap} of ${id}`);
      },
    };
  }
  const final = o.skipFinalSnapshot ? undefined : snapshotName(id, 'final', o.stamp);
  return {
    resource: `Aurora cluster ${id} and its ${c.DBClusterMembers?.length ?? 0} instance(s)${final ? ` (after final snapshot ${final})` : ' (no final snapshot)'}`,
    remove: () => deleteCluster(ctx, { id, final, stepId: 'destroy' }),
  };
}
