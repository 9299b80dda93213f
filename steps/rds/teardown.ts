import {
  CreateDBSnapshotCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBSubnetGroupsCommand,
  ListTagsForResourceCommand,
  type DBCluster,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, ownershipTags, type DestroyOptions, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { rdsMonthly } from '../../src/pricing.js';
import { rdsIdentifier } from './apply.js';
import { findCluster, findInstance } from '../../src/aws/rds-instance.js';
import { clusterTeardown } from './aurora-teardown.js';
import { deleteInstance } from '../../src/aws/delete-database.js';
import { transferBucketName } from '../../src/aws/names.js';
import { deleteBucket } from '../../src/aws/bucket-teardown.js';
import { bucketTags } from '../../src/aws/bucket.js';

/** Snapshot names: 1-255 letters, digits and hyphens, first a letter; the stamp keeps them the same when a killed destroy runs again. */
export const snapshotName = (id: string, kind: 'destroy' | 'final', stamp: string) => `${id}-${kind}-${stamp}`;

async function snapshotExists(ctx: StepContext, name: string): Promise<boolean> {
  const res = await unlessNotFound(
    ctx.aws.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: name })),
    'DBSnapshotNotFound',
    'DBSnapshotNotFoundFault',
  );
  return !!res?.DBSnapshots?.length;
}

const monthly = (region: string, inst: DBInstance) => rdsMonthly(region, inst.DBInstanceClass ?? '', inst.AllocatedStorage ?? 0);

/**
 * The database is data. Kept by default: a snapshot is taken now and
 * deletion protection stays as it is. With --delete-data: protection off,
 * then deleted with a final snapshot (unless --skip-final-snapshot), and
 * waited for, since its subnet group and security group go after it.
 */
export async function destroyDatabase(ctx: StepContext, o: DestroyOptions): Promise<Teardown[]> {
  const id = rdsIdentifier(ctx.app, ctx.env);
  const items: Teardown[] = [];
  // Every instance of the app: <app>-<env>, and a restore's and those it moved away from, as the state records them.
  const prev = ctx.previous() as { identifier?: string; kept?: string[] } | undefined;
  const ids = [...new Set([id, prev?.identifier ?? id, ...(prev?.kept ?? [])])];
  const instances = (await Promise.all(ids.map((i) => findInstance(ctx, i)))).filter((i): i is DBInstance => !!i && ownedBy(ctx, i.TagList));
  const clusters = instances.length
    ? []
    : (await Promise.all(ids.map((i) => findCluster(ctx, i)))).filter((c): c is DBCluster => !!c && ownedBy(ctx, c.TagList));
  for (const c of clusters) items.push(clusterTeardown(ctx, c, o));
  const ours = instances.length > 0 || clusters.length > 0;
  for (const inst of instances) items.push(instanceTeardown(ctx, inst, o));
  const group = (
    await unlessNotFound(ctx.aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: id })), 'DBSubnetGroupNotFoundFault', 'DBSubnetGroupNotFound')
  )?.DBSubnetGroups?.[0];
  if (group?.DBSubnetGroupArn) {
    const tags = (await ctx.aws.rds.send(new ListTagsForResourceCommand({ ResourceName: group.DBSubnetGroupArn }))).TagList;
    if (ownedBy(ctx, tags)) {
      const kept = ours && !o.deleteData;
      items.push(
        kept
          ? { resource: `DB subnet group ${id}`, keep: 'the kept database uses it' }
          : {
              resource: `DB subnet group ${id}`,
              remove: () =>
                retryWhileInUse(ctx, `DB subnet group ${id}`, ['InvalidDBSubnetGroupStateFault', 'InvalidDBSubnetGroupState'], () =>
                  unlessNotFound(
                    ctx.aws.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: id })),
                    'DBSubnetGroupNotFoundFault',
                    'DBSubnetGroupNotFound',
                  ),
                ),
            },
      );
    }
  }
  const transfer = await transferTeardown(ctx);
  if (transfer) items.push(transfer);
  return items;
}

/**
 * The transfer bucket a `db import` or `export` made: what is in it is a
 * passing copy (gone after a day anyway), so it goes with the app, kept
 * database or not. Read by its exact name and tags: no list of all buckets.
 */
async function transferTeardown(ctx: StepContext): Promise<Teardown | undefined> {
  const name = transferBucketName(ctx);
  const tags = await unlessNotFound(bucketTags(ctx, name), 'NoSuchBucket');
  if (!tags || !ownedBy(ctx, tags) || tags.find((t) => t.Key === 'deploy-wizard:step')?.Value !== 'rds') return undefined;
  return { resource: `S3 bucket ${name} (db import/export transfers)`, remove: () => deleteBucket(ctx, name) };
}

/** One instance's teardown: kept with a snapshot, or (--delete-data) deleted after a final snapshot and waited for. */
function instanceTeardown(ctx: StepContext, inst: DBInstance, o: DestroyOptions): Teardown {
  const id = inst.DBInstanceIdentifier!;
  if (!o.deleteData) {
    const snap = snapshotName(id, 'destroy', o.stamp);
    return {
      resource: `RDS instance ${id} (snapshot ${snap})`,
      keep: `data${inst.DeletionProtection ? ', deletion protection on' : ''}`,
      monthly: monthly(ctx.region, inst),
      alsoDo: async () => {
        if (await snapshotExists(ctx, snap)) return;
        if (inst.DBInstanceStatus !== 'available') {
          ctx.log.warn(`RDS instance ${id} is ${inst.DBInstanceStatus}: no snapshot taken now; its automated backups still run`);
          return;
        }
        await ctx.aws.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: snap, Tags: ownershipTags(ctx, 'rds') }));
        ctx.log.info(`taking snapshot ${snap} of ${id}`);
      },
    };
  } else {
    const final = o.skipFinalSnapshot ? undefined : snapshotName(id, 'final', o.stamp);
    return {
      resource: `RDS instance ${id}${final ? ` (after final snapshot ${final})` : ' (no final snapshot)'}`,
      remove: () => deleteInstance(ctx, { id, final, stepId: 'destroy' }),
    };
  }
}
