import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  CreateDBSubnetGroupCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBSubnetGroupsCommand,
  ModifyDBInstanceCommand,
  ModifyDBSubnetGroupCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import { rdsIdentifier, rdsMasterSecretName, appDbSecretName } from '../../src/aws/names.js';
import { currentIdentifier } from './current-identifier.js';
import { findCluster, findDatabase, findInstance } from '../../src/aws/rds-instance.js';
import { StepError } from '../../src/errors.js';
import { waitFor } from '../../src/wait.js';
import { ensureGeneratedSecret, randomAlnum, readSecretJson } from '../../src/secrets/store.js';
import type { NetworkOutput } from '../network/apply.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { unlessNotFound, isError } from '../../src/aws/not-found.js';
import { convergeSubnetGroup, dataMoveProblem } from '../../src/aws/subnet-group.js';
import { findOwnVpc } from '../../src/aws/own-vpc.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { changeLine, instanceChanges, needsSnapshot, wantDeletionProtection } from './changes.js';
import { snapshotBefore, type SnapshotApi } from './snapshot-before.js';
import { auroraApply, auroraPlan, auroraVerify } from './aurora.js';

export interface RdsOutput {
  identifier: string;
  endpoint: string;
  port: number;
  dbName: string;
  username: string;
  masterSecretArn: string;
  engineVersion: string;
  /** The application's own role (least privilege on its database); the pgvector step creates it. */
  appUser?: string;
  appSecretArn?: string;
  /** Aurora: the identifier is the cluster's, the endpoint its writer endpoint. */
  engine?: 'aurora-postgresql';
  /** Aurora with readers: the reader endpoint (DATABASE_READ_URL). */
  readerEndpoint?: string;
  /** Instances `db restore` moved the app away from: kept, with deletion protection, until `db forget-old` or destroy --delete-data. */
  kept?: string[];
  /** The snapshot the current instance was restored from (`db restore`). */
  restoredFrom?: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    rds: RdsOutput;
  }
}

export const MASTER_USER = 'dbadmin';
const DEADLINE_MS = 40 * 60_000;

// States that will not become "available" by waiting.
const FATAL = /^(failed|incompatible-.*|inaccessible-encryption-credentials.*|restore-error|storage-full|deleting|stopped|stopping)$/;

// RDS identifiers are at most 63 characters: rdsIdentifier (src/aws/names.ts) shortens long ones.
export { rdsIdentifier };

/** The application's database role: a Postgres identifier from the app name (hyphens are not allowed unquoted). */
export const appRoleName = (app: string) => `${app.replace(/-/g, '_')}_app`.slice(0, 63);

const identifier = currentIdentifier;
/** The subnet group keeps the first name whichever instance is current. */
const groupName = (ctx: Pick<StepContext, 'app' | 'env'>) => rdsIdentifier(ctx.app, ctx.env);
const db = (ctx: StepContext) => ctx.config.database!;

/** Changes that can wait go out now, unless the config (database.applyImmediately) or this run (--apply-immediately) says otherwise. */
const applyNow = (ctx: StepContext) => ctx.settings.applyImmediately || db(ctx).applyImmediately;
const differences = (ctx: StepContext, inst: DBInstance) => instanceChanges(db(ctx), ctx.env, inst);

/** An instance's snapshot, read and made (the shared convergence is steps/rds/snapshot-before.ts). */
const instanceSnapshots = (ctx: StepContext): SnapshotApi => ({
  find: async (id) =>
    (await unlessNotFound(ctx.aws.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })), 'DBSnapshotNotFound', 'DBSnapshotNotFoundFault'))
      ?.DBSnapshots?.[0],
  create: (id) =>
    ctx.aws.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: identifier(ctx), DBSnapshotIdentifier: id, Tags: ownershipTags(ctx, 'rds') })),
  exists: ['DBSnapshotAlreadyExists', 'DBSnapshotAlreadyExistsFault'],
});

function ensureSubnetGroup(ctx: StepContext, net: NetworkOutput): Promise<string> {
  const name = groupName(ctx);
  return convergeSubnetGroup(name, net.dataSubnetIds ?? net.subnetIds, {
    find: async () =>
      (
        await unlessNotFound(ctx.aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name })), 'DBSubnetGroupNotFoundFault')
      )?.DBSubnetGroups?.[0]?.Subnets?.map((s) => s.SubnetIdentifier!),
    create: (ids) =>
      ctx.aws.rds.send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: name,
          DBSubnetGroupDescription: `deploy-wizard ${ctx.app} ${ctx.env}`,
          SubnetIds: ids,
          Tags: ownershipTags(ctx, 'rds'),
        }),
      ),
    modify: (ids) => ctx.aws.rds.send(new ModifyDBSubnetGroupCommand({ DBSubnetGroupName: name, SubnetIds: ids })),
  });
}

/**
 * Waits until the instance is available and nothing this step changes is
 * still pending: a modification is done when RDS has applied it, not when it
 * accepted the call.
 */
async function waitAvailable(ctx: StepContext, settled = false): Promise<DBInstance> {
  return waitFor({
    stepId: 'rds',
    what: `RDS instance ${identifier(ctx)}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: DEADLINE_MS,
    onStatus: (l) => ctx.log.info(l),
    timeoutHint: 'RDS creates can take 10-20 minutes. Run the same command again: it finds the instance and keeps waiting.',
    typical: '10-20 min',
    poll: async () => {
      const inst = await findInstance(ctx, identifier(ctx));
      const status = inst?.DBInstanceStatus ?? 'missing';
      if (!inst) return { done: false, status, fatal: 'the instance disappeared while waiting (deleted outside the wizard?)' };
      if (FATAL.test(status)) return { done: false, status, fatal: `status is "${status}"` };
      const p = inst.PendingModifiedValues ?? {};
      const pending =
        settled && (p.DBInstanceClass || p.AllocatedStorage || p.EngineVersion || p.MultiAZ !== undefined || p.BackupRetentionPeriod !== undefined);
      return { done: status === 'available' && !!inst.Endpoint?.Address && !pending, status: pending ? `${status}, applying changes` : status, value: inst };
    },
  });
}

export const rds: StepCode<'rds'> = {
  async inputs(ctx) {
    const { access: _a, extensions: _e, clientImage: _c, ...rest } = db(ctx);
    return { ...rest, identifier: identifier(ctx) };
  },

  // The database never moves to another network by itself: that would make it again (src/aws/subnet-group.ts).
  async preflight(ctx) {
    const g = (await unlessNotFound(ctx.aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: groupName(ctx) })), 'DBSubnetGroupNotFoundFault'))
      ?.DBSubnetGroups?.[0];
    const moved = await dataMoveProblem(
      `the database ${identifier(ctx)}`,
      g,
      ctx.config.network,
      () => findDatabase(ctx),
      async () => (await findOwnVpc(ctx.aws.ec2, ctx))?.VpcId,
    );
    // An RDS instance does not become an Aurora cluster (nor back) in place: a new engine is a new, empty database.
    const aurora = db(ctx).engine === 'aurora-postgresql';
    const other = g ? await (aurora ? findInstance(ctx) : findCluster(ctx)) : undefined;
    if (other)
      moved.push(
        `database.engine: ${identifier(ctx)} is ${aurora ? 'an RDS instance' : 'an Aurora cluster'}; "${db(ctx).engine}" would make a new, empty database beside it. ` +
          `To move: deploy the new engine as a new env (--env), restore a snapshot or move the data with pg_dump and pg_restore, then point the app at it; or set engine back to "${aurora ? 'postgres' : 'aurora-postgresql'}"`,
      );
    return moved;
  },

  async plan(ctx) {
    const d = db(ctx);
    if (d.engine === 'aurora-postgresql') return auroraPlan(ctx);
    const inst = await findInstance(ctx, identifier(ctx));
    const items: PlanItem[] = [];
    if (!inst) {
      items.push({
        action: 'create',
        resource: `RDS instance ${identifier(ctx)}`,
        detail: `PostgreSQL ${d.engineVersion}, ${d.instanceClass}${d.multiAz ? ' Multi-AZ' : ''}, ${d.allocatedStorageGb} GB gp3${d.maxAllocatedStorageGb ? ` (autoscaling to ${d.maxAllocatedStorageGb} GB)` : ''}, encrypted, ${d.publiclyAccessible ? 'PUBLIC' : 'private'}, backups ${d.backupRetentionDays} days${wantDeletionProtection(d, ctx.env) ? ', deletion protection' : ''}`,
      });
    } else {
      const diff = differences(ctx, inst);
      items.push({
        action: diff.length ? 'update' : 'keep',
        resource: `RDS instance ${identifier(ctx)}`,
        detail: diff.map((x) => x.label).join(', ') || inst.DBInstanceStatus,
        ...(diff.length ? { changes: diff.map((c) => changeLine(c, applyNow(ctx), inst)) } : {}),
      });
    }
    return items;
  },

  async apply(ctx) {
    const d = db(ctx);
    const net = ctx.output('network');
    if (!net.securityGroups.db) throw new Error('network did not create the database security group');
    // The password exists in Secrets Manager before CreateDBInstance is sent.
    const master = await ensureGeneratedSecret(ctx, 'rds', rdsMasterSecretName(ctx), `deploy-wizard: RDS master credentials for ${identifier(ctx)}`, () => ({
      username: MASTER_USER,
      password: randomAlnum(32),
    }));
    // The app connects as its own role, not as the master user; the pgvector step creates the role with this password.
    const appRole = await ensureGeneratedSecret(ctx, 'rds', appDbSecretName(ctx), `deploy-wizard: application database role for ${identifier(ctx)}`, () => ({
      username: appRoleName(ctx.app),
      password: randomAlnum(32),
    }));
    const subnetGroup = await ensureSubnetGroup(ctx, net);
    const output = (at: { host: string; port?: number; version?: string }, more: Partial<RdsOutput> = {}): RdsOutput => ({
      identifier: identifier(ctx),
      ...(ctx.previous()?.kept?.length ? { kept: ctx.previous()!.kept } : {}),
      ...(ctx.previous()?.restoredFrom ? { restoredFrom: ctx.previous()!.restoredFrom } : {}),
      endpoint: at.host,
      port: at.port ?? 5432,
      dbName: d.name,
      username: master.value.username!,
      masterSecretArn: master.arn,
      engineVersion: at.version ?? d.engineVersion,
      appUser: appRole.value.username!,
      appSecretArn: appRole.arn,
      ...more,
    });
    if (d.engine === 'aurora-postgresql') {
      const c = await auroraApply(ctx, {
        masterUser: master.value.username!,
        masterPassword: master.value.password!,
        subnetGroup,
        securityGroupId: net.securityGroups.db,
      });
      return output(
        { host: c.Endpoint!, port: c.Port, version: c.EngineVersion },
        {
          engine: 'aurora-postgresql',
          ...(d.readers && c.ReaderEndpoint ? { readerEndpoint: c.ReaderEndpoint } : {}),
        },
      );
    }
    let inst = await findInstance(ctx, identifier(ctx));
    if (!inst) {
      ctx.log.info(`creating RDS instance ${identifier(ctx)} (PostgreSQL ${d.engineVersion}, ${d.instanceClass})`);
      try {
        await ctx.aws.rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: identifier(ctx),
            Engine: 'postgres',
            EngineVersion: d.engineVersion,
            DBInstanceClass: d.instanceClass,
            AllocatedStorage: d.allocatedStorageGb,
            StorageType: 'gp3',
            StorageEncrypted: true,
            PubliclyAccessible: d.publiclyAccessible,
            MasterUsername: master.value.username,
            MasterUserPassword: master.value.password,
            DBName: d.name,
            Port: 5432,
            VpcSecurityGroupIds: [net.securityGroups.db],
            DBSubnetGroupName: subnetGroup,
            BackupRetentionPeriod: d.backupRetentionDays,
            MultiAZ: d.multiAz,
            ...(d.maxAllocatedStorageGb ? { MaxAllocatedStorage: d.maxAllocatedStorageGb } : {}),
            ...(d.backupWindow ? { PreferredBackupWindow: d.backupWindow } : {}),
            ...(d.maintenanceWindow ? { PreferredMaintenanceWindow: d.maintenanceWindow.toLowerCase() } : {}),
            EnablePerformanceInsights: d.performanceInsights,
            CopyTagsToSnapshot: true,
            DeletionProtection: wantDeletionProtection(d, ctx.env),
            AutoMinorVersionUpgrade: true,
            Tags: ownershipTags(ctx, 'rds'),
          }),
        );
      } catch (e) {
        // Another run (or a crash after the call) got there first: wait for that instance.
        if (!isError(e, 'DBInstanceAlreadyExistsFault')) throw e;
      }
    } else {
      const tags = inst.TagList ?? [];
      if (!ownedBy(ctx, tags)) {
        throw new StepError('rds', `adopt database: RDS instance ${identifier(ctx)} exists but was not created by deploy-wizard`, {
          hint: `Rename it, use another --env, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env}.`,
        });
      }
      let diff = differences(ctx, inst);
      if (diff.length) {
        // RDS accepts a modification only on an available instance: wait for it (a backup, a maintenance window), never skip.
        if (inst.DBInstanceStatus !== 'available') {
          ctx.log.info(`${identifier(ctx)} is ${inst.DBInstanceStatus}; waiting before applying: ${diff.map((x) => x.label).join(', ')}`);
          inst = await waitAvailable(ctx);
          diff = differences(ctx, inst);
        }
        if (diff.some(needsSnapshot)) {
          await snapshotBefore(
            ctx,
            diff.filter(needsSnapshot).map((c) => c.label),
            instanceSnapshots(ctx),
          );
          // The snapshot keeps the instance busy (backing-up) for a while: RDS takes the modification once it is available again.
          inst = await waitAvailable(ctx);
          diff = differences(ctx, inst);
        }
        if (diff.length) {
          ctx.log.info(`modifying ${identifier(ctx)}: ${diff.map((c) => changeLine(c, applyNow(ctx), inst)).join('; ')}`);
          await ctx.aws.rds.send(
            new ModifyDBInstanceCommand({
              DBInstanceIdentifier: identifier(ctx),
              ApplyImmediately: applyNow(ctx),
              ...Object.assign({}, ...diff.map((x) => x.input)),
            }),
          );
        }
      }
    }
    // Changes left for the maintenance window stay pending: wait only for what goes out now.
    inst = await waitAvailable(ctx, applyNow(ctx));
    const left = differences(ctx, inst);
    if (left.length) {
      throw new StepError('rds', `modify database: RDS reports the instance available but ${left.map((x) => x.label).join(', ')} did not take effect`, {
        hint: "Check the instance's events in the RDS console (an unsupported class or version for this engine is the usual cause), fix the config, and run again.",
      });
    }
    return output({ host: inst.Endpoint!.Address!, port: inst.Endpoint!.Port, version: inst.EngineVersion });
  },

  async verify(ctx, out) {
    if (out.engine === 'aurora-postgresql') {
      const checks = await auroraVerify(ctx, out.endpoint);
      const master = await readSecretJson(ctx, out.masterSecretArn);
      checks.push({ name: `master secret ${rdsMasterSecretName(ctx)}`, ok: !!master?.password });
      return checks;
    }
    const inst = await findInstance(ctx, identifier(ctx));
    const checks: Check[] = [
      {
        name: `RDS instance ${out.identifier}`,
        ok: inst?.DBInstanceStatus === 'available' && inst.Endpoint?.Address === out.endpoint,
        detail: inst?.DBInstanceStatus,
      },
    ];
    if (inst) {
      const diff = differences(ctx, inst);
      checks.push({ name: 'settings as configured', ok: diff.length === 0, detail: diff.map((x) => x.label).join(', ') || undefined });
    }
    checks.push({ name: 'application role credentials', ok: !!out.appSecretArn });
    const master = await readSecretJson(ctx, out.masterSecretArn);
    checks.push({ name: `master secret ${rdsMasterSecretName(ctx)}`, ok: !!master?.password });
    return checks;
  },

  summary(out) {
    return { rows: [['Postgres', `${out.endpoint}:${out.port}/${out.dbName}${out.appUser ? ` as ${out.appUser}` : ''}`]] };
  },
};
