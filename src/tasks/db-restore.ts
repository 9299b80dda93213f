import {
  DescribeDBClusterSnapshotsCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
  type DBCluster,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type { AwsClients } from '../aws/clients.js';
import { findCluster, findInstance, ownClusters, ownInstances } from '../aws/rds-instance.js';
import { fit, rdsIdentifier } from '../aws/names.js';
import { isError, unlessNotFound } from '../aws/not-found.js';
import { ownedBy, ownershipTags } from '../pipeline/step.js';
import { InputError, WizardError } from '../errors.js';
import { waitFor } from '../wait.js';
import { deleteCluster, deleteInstance } from '../aws/delete-database.js';
import type { Clock } from '../clock.js';

interface Where {
  aws: Pick<AwsClients, 'rds'>;
  app: string;
  env: string;
  clock: Clock;
  signal: AbortSignal;
  note: (line: string) => void;
}

const tags = (w: Where, snapshot: string) => [...ownershipTags(w, 'rds'), { Key: 'deploy-wizard:restored-from', Value: snapshot }];

/** The next free <app>-<env>-r<N>: one past every restore's instance there is (and the one being made). */
export async function nextRestoreIdentifier(w: Where): Promise<string> {
  const base = rdsIdentifier(w.app, w.env);
  const ids = [...(await ownInstances(w)).map((i) => i.DBInstanceIdentifier), ...(await ownClusters(w)).map((c) => c.DBClusterIdentifier)];
  const used = ids
    .map((i) => new RegExp(`^${base}-r(\\d+)$`).exec(i ?? '')?.[1])
    .filter((n): n is string => !!n)
    .map(Number);
  return fit(`${base}-r${Math.max(0, ...used) + 1}`, 63);
}

/** The snapshot (an instance's, or an Aurora cluster's), checked before anything is made: it must exist and be available. */
export async function restorableSnapshot(w: Where, snapshot: string, cluster = false) {
  const s = cluster
    ? (
        await unlessNotFound(
          w.aws.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshot })),
          'DBClusterSnapshotNotFoundFault',
          'DBClusterSnapshotNotFound',
        )
      )?.DBClusterSnapshots?.[0]
    : (
        await unlessNotFound(
          w.aws.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshot })),
          'DBSnapshotNotFound',
          'DBSnapshotNotFoundFault',
        )
      )?.DBSnapshots?.[0];
  if (!s) throw new InputError(`db restore: no snapshot ${snapshot}`, [], { hint: "deploy-wizard db snapshots lists the database's snapshots." });
  if (s.Status !== 'available')
    throw new InputError(`db restore: snapshot ${snapshot} is ${s.Status}, not available`, [], { hint: 'Wait for it, then run again.' });
  return s;
}

/**
 * A new instance from the snapshot with the current one's class, subnet
 * group, security groups, parameter group, Multi-AZ, storage type and
 * deletion protection (encryption comes with the snapshot), then waited for.
 * An instance of that name the last (killed) run asked for is waited for,
 * not made again.
 */
export async function restoreInstance(w: Where, o: { identifier: string; snapshot: string; like: DBInstance }): Promise<DBInstance> {
  const found = await findInstance(w, o.identifier);
  if (found && !ownedBy(w, found.TagList))
    throw new WizardError(`db restore: RDS instance ${o.identifier} exists and is not this app's`, { hint: 'Rename or delete it, then run again.' });
  if (!found) {
    w.note(`restoring ${o.snapshot} as RDS instance ${o.identifier} (${o.like.DBInstanceClass})`);
    try {
      await w.aws.rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: o.identifier,
          DBSnapshotIdentifier: o.snapshot,
          DBInstanceClass: o.like.DBInstanceClass,
          DBSubnetGroupName: o.like.DBSubnetGroup?.DBSubnetGroupName,
          VpcSecurityGroupIds: (o.like.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!),
          ...(o.like.DBParameterGroups?.[0]?.DBParameterGroupName ? { DBParameterGroupName: o.like.DBParameterGroups[0].DBParameterGroupName } : {}),
          MultiAZ: o.like.MultiAZ,
          PubliclyAccessible: o.like.PubliclyAccessible,
          ...(o.like.StorageType ? { StorageType: o.like.StorageType } : {}),
          Port: o.like.Endpoint?.Port,
          CopyTagsToSnapshot: true,
          DeletionProtection: o.like.DeletionProtection,
          AutoMinorVersionUpgrade: true,
          Tags: tags(w, o.snapshot),
        }),
      );
    } catch (e) {
      if (!isError(e, 'DBInstanceAlreadyExists', 'DBInstanceAlreadyExistsFault')) throw e;
    }
  }
  return waitFor({
    stepId: 'db restore',
    what: `RDS instance ${o.identifier}`,
    clock: w.clock,
    signal: w.signal,
    deadlineMs: 90 * 60_000,
    onStatus: w.note,
    typical: '10-30 min',
    timeoutHint: 'Run the same db restore again: it finds the instance and keeps waiting.',
    poll: async () => {
      const i = await findInstance(w, o.identifier);
      const status = i?.DBInstanceStatus ?? 'missing';
      if (/^(failed|restore-error|incompatible-.*)$/.test(status)) return { done: false, status, fatal: `status is "${status}"` };
      return { done: status === 'available' && !!i?.Endpoint?.Address, status, value: i };
    },
  });
}

/** The instance the app moved away from: deletion protection on, so nothing deletes it by accident. */
export async function protect(w: Where, id: string): Promise<void> {
  const i = await findInstance(w, id);
  if (i && !i.DeletionProtection)
    await w.aws.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: true, ApplyImmediately: true }));
}

/** Deletes an instance a restore left behind, after a final snapshot, and waits until it is gone. */
export async function deleteKept(w: Where, id: string, finalSnapshot: string): Promise<void> {
  const i = await findInstance(w, id);
  if (i && !ownedBy(w, i.TagList)) throw new WizardError(`db forget-old: ${id} is not this app's; left as it is`);
  if (i) w.note(`deleting ${id} (final snapshot ${finalSnapshot})`);
  await deleteInstance({ ...w, log: { info: w.note } }, { id, final: finalSnapshot, stepId: 'db forget-old' });
}

/**
 * An Aurora cluster from a cluster snapshot, like the current one (engine and version, subnet group, security
 * groups, parameter group, Serverless v2 range, deletion protection), waited for. Its instances are the rds step's
 * to make, as for any cluster of the app: the deploy that follows creates them.
 */
export async function restoreCluster(w: Where, o: { identifier: string; snapshot: string; like: DBCluster }): Promise<DBCluster> {
  const found = await findCluster(w, o.identifier);
  if (found && !ownedBy(w, found.TagList))
    throw new WizardError(`db restore: Aurora cluster ${o.identifier} exists and is not this app's`, { hint: 'Rename or delete it, then run again.' });
  if (!found) {
    w.note(`restoring ${o.snapshot} as Aurora cluster ${o.identifier}`);
    try {
      await w.aws.rds.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: o.identifier,
          SnapshotIdentifier: o.snapshot,
          Engine: o.like.Engine ?? 'aurora-postgresql',
          ...(o.like.EngineVersion ? { EngineVersion: o.like.EngineVersion } : {}),
          ...(o.like.DBSubnetGroup ? { DBSubnetGroupName: o.like.DBSubnetGroup } : {}),
          VpcSecurityGroupIds: (o.like.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!),
          ...(o.like.DBClusterParameterGroup ? { DBClusterParameterGroupName: o.like.DBClusterParameterGroup } : {}),
          ...(o.like.ServerlessV2ScalingConfiguration ? { ServerlessV2ScalingConfiguration: o.like.ServerlessV2ScalingConfiguration } : {}),
          ...(o.like.Port ? { Port: o.like.Port } : {}),
          CopyTagsToSnapshot: true,
          DeletionProtection: o.like.DeletionProtection,
          Tags: tags(w, o.snapshot),
        }),
      );
    } catch (e) {
      if (!isError(e, 'DBClusterAlreadyExistsFault', 'DBClusterAlreadyExists')) throw e;
    }
  }
  return waitFor({
    stepId: 'db restore',
    what: `Aurora cluster ${o.identifier}`,
    clock: w.clock,
    signal: w.signal,
    deadlineMs: 90 * 60_000,
    onStatus: w.note,
    typical: '10-30 min',
    timeoutHint: 'Run the same db restore again: it finds the cluster and keeps waiting.',
    poll: async () => {
      const c = await findCluster(w, o.identifier);
      const status = c?.Status ?? 'missing';
      if (/^(failed|inaccessible-encryption-credentials.*)$/.test(status)) return { done: false, status, fatal: `status is "${status}"` };
      return { done: status === 'available' && !!c?.Endpoint, status, value: c };
    },
  });
}

export async function protectCluster(w: Where, id: string): Promise<void> {
  const c = await findCluster(w, id);
  if (c && !c.DeletionProtection)
    await w.aws.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: id, DeletionProtection: true, ApplyImmediately: true }));
}

/** Deletes a cluster a restore left behind: its instances, then the cluster after a final snapshot; waited for. */
export async function deleteKeptCluster(w: Where, id: string, finalSnapshot: string): Promise<void> {
  const c = await findCluster(w, id);
  if (c && !ownedBy(w, c.TagList)) throw new WizardError(`db forget-old: ${id} is not this app's; left as it is`);
  if (c) w.note(`deleting ${id} (final snapshot ${finalSnapshot})`);
  await deleteCluster({ ...w, log: { info: w.note } }, { id, final: finalSnapshot, stepId: 'db forget-old' });
}
