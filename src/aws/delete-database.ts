import { DeleteDBClusterCommand, DeleteDBInstanceCommand, ModifyDBClusterCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import type { AwsClients } from './clients.js';
import type { Clock } from '../clock.js';
import { findCluster, findInstance } from './rds-instance.js';
import { unlessNotFound } from './not-found.js';
import { waitGone } from './wait-gone.js';

// Deleting a database of the app, as destroy --delete-data and db forget-old both do it: protection off, then the
// delete (with a final snapshot unless none is asked for), then waiting until it is gone, since its subnet group and
// security group are held until then. A run after a kill finds it deleting and only waits.

interface Where {
  aws: Pick<AwsClients, 'rds'>;
  app: string;
  env: string;
  clock: Clock;
  signal: AbortSignal;
  log: { info(line: string): void };
}

interface What {
  id: string;
  /** The final snapshot's name; undefined skips it (--skip-final-snapshot). */
  final?: string;
  /** Who waits, for the timeout's message: "destroy", "db forget-old". */
  stepId: string;
}

export async function deleteInstance(w: Where, o: What): Promise<void> {
  const now = await findInstance(w, o.id);
  if (now && now.DBInstanceStatus !== 'deleting') {
    if (now.DeletionProtection)
      await w.aws.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: o.id, DeletionProtection: false, ApplyImmediately: true }));
    await w.aws.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: o.id, ...(o.final ? { FinalDBSnapshotIdentifier: o.final } : { SkipFinalSnapshot: true }) }),
    );
  }
  await waitGone(w, {
    stepId: o.stepId,
    what: `RDS instance ${o.id}`,
    deadlineMs: 60 * 60_000,
    typical: '5-15 min',
    find: async () => {
      const i = await findInstance(w, o.id);
      return i && { status: i.DBInstanceStatus };
    },
  });
}

/** An Aurora cluster: its instances first (Aurora keeps no per-instance snapshot), then the cluster. */
export async function deleteCluster(w: Where, o: What): Promise<void> {
  const now = await findCluster(w, o.id);
  if (now && now.Status !== 'deleting') {
    if (now.DeletionProtection)
      await w.aws.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: o.id, DeletionProtection: false, ApplyImmediately: true }));
    for (const m of now.DBClusterMembers ?? [])
      await unlessNotFound(
        w.aws.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: m.DBInstanceIdentifier })),
        'DBInstanceNotFoundFault',
        'DBInstanceNotFound',
      );
    await w.aws.rds.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: o.id, ...(o.final ? { FinalDBSnapshotIdentifier: o.final } : { SkipFinalSnapshot: true }) }),
    );
  }
  await waitGone(w, {
    stepId: o.stepId,
    what: `Aurora cluster ${o.id}`,
    deadlineMs: 60 * 60_000,
    typical: '5-15 min',
    find: async () => {
      const x = await findCluster(w, o.id);
      return x && { status: x.Status };
    },
  });
}
