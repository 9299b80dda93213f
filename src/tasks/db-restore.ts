import {
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  DeleteDBInstanceCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type { AwsClients } from '../aws/clients.js';
import { findInstance, ownInstances } from '../aws/rds-instance.js';
import { fit, rdsIdentifier } from '../aws/names.js';
import { isError, unlessNotFound } from '../aws/not-found.js';
import { ownedBy } from '../pipeline/step.js';
import { InputError, WizardError } from '../errors.js';
import { waitFor } from '../wait.js';
import { waitGone } from '../aws/wait-gone.js';
import type { Clock } from '../clock.js';

interface Where {
  aws: Pick<AwsClients, 'rds'>;
  app: string;
  env: string;
  clock: Clock;
  signal: AbortSignal;
  note: (line: string) => void;
}

const tags = (w: Where, snapshot: string) => [
  { Key: 'deploy-wizard:app', Value: w.app },
  { Key: 'deploy-wizard:env', Value: w.env },
  { Key: 'deploy-wizard:step', Value: 'rds' },
  { Key: 'deploy-wizard:restored-from', Value: snapshot },
];

/** The next free <app>-<env>-r<N>: one past every restore's instance there is (and the one being made). */
export async function nextRestoreIdentifier(w: Where): Promise<string> {
  const base = rdsIdentifier(w.app, w.env);
  const used = (await ownInstances(w))
    .map((i) => new RegExp(`^${base}-r(\\d+)$`).exec(i.DBInstanceIdentifier ?? '')?.[1])
    .filter((n): n is string => !!n)
    .map(Number);
  return fit(`${base}-r${Math.max(0, ...used) + 1}`, 63);
}

/** The snapshot, checked before anything is made: it must exist and be available. */
export async function restorableSnapshot(w: Where, snapshot: string) {
  const s = (
    await unlessNotFound(w.aws.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshot })), 'DBSnapshotNotFound', 'DBSnapshotNotFoundFault')
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
  if (i && i.DBInstanceStatus !== 'deleting') {
    if (i.DeletionProtection)
      await w.aws.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: true }));
    w.note(`deleting ${id} (final snapshot ${finalSnapshot})`);
    await w.aws.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, FinalDBSnapshotIdentifier: finalSnapshot }));
  }
  await waitGone(
    { clock: w.clock, signal: w.signal, log: { info: w.note } },
    {
      stepId: 'db forget-old',
      what: `RDS instance ${id}`,
      deadlineMs: 60 * 60_000,
      typical: '5-15 min',
      find: async () => {
        const x = await findInstance(w, id);
        return x && { status: x.DBInstanceStatus };
      },
    },
  );
}
