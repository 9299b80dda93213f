import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type DBCluster,
  type DBInstance,
  type ModifyDBClusterMessage,
} from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Config } from '../../src/config/schema.js';
import type { Check, PlanItem } from '../../src/pipeline/step.js';
import { ownedBy, ownershipTags } from '../../src/pipeline/step.js';
import { StepError } from '../../src/errors.js';
import { fit } from '../../src/aws/names.js';
import { currentIdentifier } from './current-identifier.js';
import { findCluster } from '../../src/aws/rds-instance.js';
import { isError, unlessNotFound } from '../../src/aws/not-found.js';
import { waitFor } from '../../src/wait.js';
import { versionChange, wantDeletionProtection } from './changes.js';
import { beforeSnapshotName, snapshotBefore, type SnapshotApi } from './snapshot-before.js';

// database.engine "aurora-postgresql": a cluster (storage in three AZs, the data) and its instances, a writer
// and `readers` readers, each db.serverless with database.serverless (Serverless v2 scales them within the
// cluster's range) or database.instanceClass. The cluster carries the settings; instances only their class.

type Db = NonNullable<Config['database']>;

/** The cluster that holds the data: <app>-<env>, or the one `db restore` made (the state's identifier). */
const clusterId = (ctx: Pick<StepContext, 'app' | 'env' | 'previous'>) => currentIdentifier(ctx);
/** Instance n of the cluster (1 is the first writer; a failover may make another the writer). */
export const memberId = (ctx: Pick<StepContext, 'app' | 'env' | 'previous'>, n: number) => fit(`${clusterId(ctx)}-${n}`, 63);
const memberClass = (d: Db) => (d.serverless ? 'db.serverless' : d.instanceClass);

export interface ClusterChange {
  label: string;
  input: Partial<ModifyDBClusterMessage>;
  /** A version change restarts every instance: a brief outage, so a manual snapshot is taken first. */
  restart?: true;
}

/** What differs between the cluster and the config: each applied with one ModifyDBCluster, at once and with no downtime. */
export function clusterChanges(d: Db, env: string, c: DBCluster): ClusterChange[] {
  const out: ClusterChange[] = [];
  const version = versionChange(d.engineVersion, c.EngineVersion ?? '0', 'Aurora');
  if (version) out.push({ label: version.label, input: version.input, restart: true });
  const s = c.ServerlessV2ScalingConfiguration;
  if (d.serverless && (s?.MinCapacity !== d.serverless.minAcu || s?.MaxCapacity !== d.serverless.maxAcu))
    out.push({
      label: `capacity ${s?.MinCapacity ?? '?'}-${s?.MaxCapacity ?? '?'} → ${d.serverless.minAcu}-${d.serverless.maxAcu} ACU`,
      input: { ServerlessV2ScalingConfiguration: { MinCapacity: d.serverless.minAcu, MaxCapacity: d.serverless.maxAcu } },
    });
  if (c.BackupRetentionPeriod !== d.backupRetentionDays)
    out.push({ label: `backups ${c.BackupRetentionPeriod} → ${d.backupRetentionDays} days`, input: { BackupRetentionPeriod: d.backupRetentionDays } });
  if (d.backupWindow && c.PreferredBackupWindow !== d.backupWindow)
    out.push({ label: `backup window → ${d.backupWindow}`, input: { PreferredBackupWindow: d.backupWindow } });
  if (d.maintenanceWindow && c.PreferredMaintenanceWindow?.toLowerCase() !== d.maintenanceWindow.toLowerCase())
    out.push({ label: `maintenance window → ${d.maintenanceWindow}`, input: { PreferredMaintenanceWindow: d.maintenanceWindow.toLowerCase() } });
  const protect = wantDeletionProtection(d, env);
  if (!!c.DeletionProtection !== protect) out.push({ label: `deletion protection ${protect ? 'on' : 'off'}`, input: { DeletionProtection: protect } });
  return out;
}

/** The cluster's snapshot, read and made (the shared convergence is steps/rds/snapshot-before.ts). */
const clusterSnapshots = (ctx: StepContext): SnapshotApi => ({
  find: async (id) =>
    (
      await unlessNotFound(
        ctx.aws.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id })),
        'DBClusterSnapshotNotFoundFault',
        'DBClusterSnapshotNotFound',
      )
    )?.DBClusterSnapshots?.[0],
  create: (id) =>
    ctx.aws.rds.send(
      new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: clusterId(ctx), DBClusterSnapshotIdentifier: id, Tags: ownershipTags(ctx, 'rds') }),
    ),
  exists: ['DBClusterSnapshotAlreadyExistsFault'],
});

async function members(ctx: StepContext): Promise<DBInstance[]> {
  const res = await ctx.aws.rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: [clusterId(ctx)] }] }));
  return (res.DBInstances ?? []).filter((i) => i.DBClusterIdentifier === clusterId(ctx));
}

/** The instances to add (numbers not in use) and to remove (readers past the count, newest first; never the writer). */
function memberChanges(ctx: StepContext, c: DBCluster | undefined, d: Db): { add: string[]; remove: string[] } {
  const have = (c?.DBClusterMembers ?? []).map((m) => ({ id: m.DBInstanceIdentifier!, writer: !!m.IsClusterWriter }));
  const want = 1 + d.readers;
  const add: string[] = [];
  for (let n = 1; have.length + add.length < want; n++) {
    const id = memberId(ctx, n);
    if (!have.some((h) => h.id === id)) add.push(id);
  }
  const readers = have.filter((h) => !h.writer).sort((a, b) => b.id.localeCompare(a.id, undefined, { numeric: true }));
  const remove = readers.slice(0, Math.max(0, have.length - want)).map((r) => r.id);
  return { add, remove };
}

export async function auroraPlan(ctx: StepContext): Promise<PlanItem[]> {
  const d = ctx.config.database!;
  const c = await findCluster(ctx, clusterId(ctx));
  const size = d.serverless ? `Serverless v2, ${d.serverless.minAcu}-${d.serverless.maxAcu} ACU` : d.instanceClass;
  if (!c)
    return [
      {
        action: 'create',
        resource: `Aurora cluster ${clusterId(ctx)}`,
        detail: `Aurora PostgreSQL ${d.engineVersion}, ${size}, a writer${d.readers ? ` and ${d.readers} reader(s)` : ''}, encrypted, private, backups ${d.backupRetentionDays} days${wantDeletionProtection(d, ctx.env) ? ', deletion protection' : ''}`,
      },
    ];
  const diff = clusterChanges(d, ctx.env, c);
  const m = memberChanges(ctx, c, d);
  const reclass = (await members(ctx)).filter((i) => !m.remove.includes(i.DBInstanceIdentifier!) && i.DBInstanceClass !== memberClass(d));
  const labels = [
    ...diff.map((x) => x.label),
    ...m.add.map((id) => `add reader ${id}`),
    ...m.remove.map((id) => `remove reader ${id}`),
    ...reclass.map((i) => `${i.DBInstanceIdentifier} ${i.DBInstanceClass} → ${memberClass(d)} (a restart of it)`),
  ];
  return [
    {
      action: labels.length ? 'update' : 'keep',
      resource: `Aurora cluster ${clusterId(ctx)}`,
      detail: labels.join(', ') || c.Status,
      ...(labels.length
        ? {
            changes: [
              ...diff.map(
                (x) =>
                  `${x.label}: now, ${x.restart ? `a restart of every instance (a brief outage); snapshot ${beforeSnapshotName(ctx, [x.label])} first` : 'no downtime'}`,
              ),
              ...labels.slice(diff.length).map((l) => `${l}: now`),
            ],
          }
        : {}),
    },
  ];
}

async function waitCluster(ctx: StepContext): Promise<DBCluster> {
  return waitFor({
    stepId: 'rds',
    what: `Aurora cluster ${clusterId(ctx)}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 40 * 60_000,
    typical: '5-15 min',
    onStatus: (l) => ctx.log.info(l),
    poll: async () => {
      const c = await findCluster(ctx, clusterId(ctx));
      const status = c?.Status ?? 'not visible yet';
      if (/^(failed|inaccessible-encryption-credentials|incompatible-.*|stopped|deleting)$/.test(status))
        return { done: false, status, fatal: `Aurora cluster ${clusterId(ctx)} is ${status}` };
      const ms = c ? await members(ctx) : [];
      const busy = ms.filter((i) => i.DBInstanceStatus !== 'available').map((i) => `${i.DBInstanceIdentifier} ${i.DBInstanceStatus}`);
      return { done: status === 'available' && !busy.length, status: [status, ...busy].join(', '), value: c };
    },
  });
}

export interface AuroraInputs {
  masterUser: string;
  masterPassword: string;
  subnetGroup: string;
  securityGroupId: string;
}

/** Makes or converges the cluster and its instances; returns the cluster once it and every instance are available. */
export async function auroraApply(ctx: StepContext, a: AuroraInputs): Promise<DBCluster> {
  const d = ctx.config.database!;
  let c = await findCluster(ctx, clusterId(ctx));
  if (c && !ownedBy(ctx, c.TagList))
    throw new StepError('rds', `adopt database: Aurora cluster ${clusterId(ctx)} exists but was not created by deploy-wizard`, {
      hint: `Rename it, use another --env, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env}.`,
    });
  if (!c) {
    ctx.log.info(`creating Aurora cluster ${clusterId(ctx)} (Aurora PostgreSQL ${d.engineVersion})`);
    try {
      await ctx.aws.rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: clusterId(ctx),
          Engine: 'aurora-postgresql',
          EngineVersion: d.engineVersion,
          MasterUsername: a.masterUser,
          MasterUserPassword: a.masterPassword,
          DatabaseName: d.name,
          Port: 5432,
          DBSubnetGroupName: a.subnetGroup,
          VpcSecurityGroupIds: [a.securityGroupId],
          StorageEncrypted: true,
          BackupRetentionPeriod: d.backupRetentionDays,
          ...(d.backupWindow ? { PreferredBackupWindow: d.backupWindow } : {}),
          ...(d.maintenanceWindow ? { PreferredMaintenanceWindow: d.maintenanceWindow.toLowerCase() } : {}),
          ...(d.serverless ? { ServerlessV2ScalingConfiguration: { MinCapacity: d.serverless.minAcu, MaxCapacity: d.serverless.maxAcu } } : {}),
          DeletionProtection: wantDeletionProtection(d, ctx.env),
          CopyTagsToSnapshot: true,
          Tags: ownershipTags(ctx, 'rds'),
        }),
      );
    } catch (e) {
      // A crash right after the call: the cluster of that name is the one asked for.
      if (!isError(e, 'DBClusterAlreadyExistsFault')) throw e;
    }
    c = await findCluster(ctx, clusterId(ctx));
  } else {
    let diff = clusterChanges(d, ctx.env, c);
    if (diff.length) {
      if (c.Status !== 'available') c = await waitCluster(ctx);
      if (diff.some((x) => x.restart)) {
        await snapshotBefore(
          ctx,
          diff.filter((x) => x.restart).map((x) => x.label),
          clusterSnapshots(ctx),
        );
        c = await waitCluster(ctx);
        diff = clusterChanges(d, ctx.env, c);
      }
      ctx.log.info(`modifying ${clusterId(ctx)}: ${diff.map((x) => x.label).join('; ')}`);
      await ctx.aws.rds.send(
        new ModifyDBClusterCommand({ DBClusterIdentifier: clusterId(ctx), ApplyImmediately: true, ...Object.assign({}, ...diff.map((x) => x.input)) }),
      );
    }
  }
  const m = memberChanges(ctx, c, d);
  for (const id of m.add) {
    ctx.log.info(`creating Aurora instance ${id} (${memberClass(d)})`);
    try {
      await ctx.aws.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          DBClusterIdentifier: clusterId(ctx),
          Engine: 'aurora-postgresql',
          DBInstanceClass: memberClass(d),
          PubliclyAccessible: d.publiclyAccessible,
          EnablePerformanceInsights: d.performanceInsights,
          AutoMinorVersionUpgrade: true,
          Tags: ownershipTags(ctx, 'rds'),
        }),
      );
    } catch (e) {
      if (!isError(e, 'DBInstanceAlreadyExistsFault')) throw e;
    }
  }
  for (const id of m.remove) {
    ctx.log.info(`removing Aurora reader ${id}`);
    await ctx.aws.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
  }
  // A class change (database.instanceClass, or to or from Serverless v2): readers first, the writer last, each a
  // restart of that instance (the writer's a brief outage unless a reader takes over).
  const changing = (await members(ctx))
    .filter((i) => !m.remove.includes(i.DBInstanceIdentifier!) && !m.add.includes(i.DBInstanceIdentifier!) && i.DBInstanceClass !== memberClass(d))
    .sort(
      (x, y) =>
        Number(c?.DBClusterMembers?.find((mm) => mm.DBInstanceIdentifier === x.DBInstanceIdentifier)?.IsClusterWriter ?? false) -
        Number(c?.DBClusterMembers?.find((mm) => mm.DBInstanceIdentifier === y.DBInstanceIdentifier)?.IsClusterWriter ?? false),
    );
  for (const i of changing) {
    ctx.log.info(`modifying ${i.DBInstanceIdentifier}: class ${i.DBInstanceClass} → ${memberClass(d)}`);
    await ctx.aws.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: i.DBInstanceIdentifier, DBInstanceClass: memberClass(d), ApplyImmediately: true }),
    );
  }
  return waitCluster(ctx);
}

export async function auroraVerify(ctx: StepContext, endpoint: string): Promise<Check[]> {
  const d = ctx.config.database!;
  const c = await findCluster(ctx, clusterId(ctx));
  const checks: Check[] = [{ name: `Aurora cluster ${clusterId(ctx)}`, ok: c?.Status === 'available' && c.Endpoint === endpoint, detail: c?.Status }];
  if (c) {
    const diff = clusterChanges(d, ctx.env, c);
    checks.push({ name: 'settings as configured', ok: diff.length === 0, detail: diff.map((x) => x.label).join(', ') || undefined });
    const m = memberChanges(ctx, c, d);
    checks.push({
      name: `a writer and ${d.readers} reader(s)`,
      ok: !m.add.length && !m.remove.length,
      detail: `${c.DBClusterMembers?.length ?? 0} instance(s)`,
    });
  }
  return checks;
}
