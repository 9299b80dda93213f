import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  type DBClusterSnapshot,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import type { AwsClients } from '../aws/clients.js';
import type { SnapshotApi } from '../aws/ensure-snapshot.js';
import { unlessNotFound } from '../aws/not-found.js';
import type { StepOutputs } from '../pipeline/step.js';

type Rds = Pick<StepOutputs['rds'], 'identifier' | 'engine'>;
type Tags = { Key: string; Value: string }[];

export interface SnapshotRow {
  id: string;
  kind: 'manual' | 'automated';
  status: string;
  createdAt?: Date;
  /** Allocated storage of the database it was taken of, in GiB (what RDS reports; Aurora reports none). */
  sizeGiB?: number;
  /** The instance or cluster it is of. */
  of: string;
}

const isCluster = (rds: Rds) => rds.engine === 'aurora-postgresql';

/** Manual snapshots of the app's database: an instance's, or an Aurora cluster's. */
export function snapshotApi(aws: Pick<AwsClients, 'rds'>, rds: Rds, tags: Tags): SnapshotApi {
  if (isCluster(rds))
    return {
      find: async (id) =>
        (
          await unlessNotFound(
            aws.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id })),
            'DBClusterSnapshotNotFoundFault',
            'DBClusterSnapshotNotFound',
          )
        )?.DBClusterSnapshots?.[0],
      create: (id) => aws.rds.send(new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: rds.identifier, DBClusterSnapshotIdentifier: id, Tags: tags })),
      exists: ['DBClusterSnapshotAlreadyExistsFault', 'DBClusterSnapshotAlreadyExists'],
    };
  return {
    find: async (id) =>
      (await unlessNotFound(aws.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })), 'DBSnapshotNotFound', 'DBSnapshotNotFoundFault'))
        ?.DBSnapshots?.[0],
    create: (id) => aws.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: rds.identifier, DBSnapshotIdentifier: id, Tags: tags })),
    exists: ['DBSnapshotAlreadyExists', 'DBSnapshotAlreadyExistsFault'],
  };
}

const row = (s: DBSnapshot | DBClusterSnapshot, id: string, of: string): SnapshotRow => ({
  id,
  kind: s.SnapshotType === 'automated' ? 'automated' : 'manual',
  status: s.Status ?? 'unknown',
  ...(s.SnapshotCreateTime ? { createdAt: s.SnapshotCreateTime } : {}),
  ...(s.AllocatedStorage ? { sizeGiB: s.AllocatedStorage } : {}),
  of,
});

/** Every snapshot of these databases (the current one and any a restore left behind), newest first. */
export async function listSnapshots(aws: Pick<AwsClients, 'rds'>, rds: Rds, identifiers: readonly string[]): Promise<SnapshotRow[]> {
  const rows: SnapshotRow[] = [];
  for (const id of identifiers) {
    if (isCluster(rds)) {
      const res = await unlessNotFound(aws.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: id })), 'DBClusterNotFoundFault');
      for (const s of res?.DBClusterSnapshots ?? []) rows.push(row(s, s.DBClusterSnapshotIdentifier!, id));
    } else {
      const res = await unlessNotFound(
        aws.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id })),
        'DBInstanceNotFound',
        'DBInstanceNotFoundFault',
      );
      for (const s of res?.DBSnapshots ?? []) rows.push(row(s, s.DBSnapshotIdentifier!, id));
    }
  }
  return rows.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
}
