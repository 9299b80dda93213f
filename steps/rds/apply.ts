import {
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DescribeDBSubnetGroupsCommand,
  ModifyDBInstanceCommand,
  ModifyDBSubnetGroupCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import { rdsIdentifier, rdsMasterSecretName, appDbSecretName } from '../../src/aws/names.js';
import { versionParts, versionStanding } from '../../src/aws/engine-version.js';
import { findInstance } from '../../src/aws/rds-instance.js';
import { StepError } from '../../src/errors.js';
import { waitFor } from '../../src/wait.js';
import { ensureGeneratedSecret, randomAlnum, readSecretJson } from '../../src/secrets/store.js';
import type { NetworkOutput } from '../network/apply.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { unlessNotFound, isError } from '../../src/aws/not-found.js';
import { convergeSubnetGroup } from '../../src/aws/subnet-group.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

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

const identifier = (ctx: Pick<StepContext, 'app' | 'env'>) => rdsIdentifier(ctx.app, ctx.env);
const db = (ctx: StepContext) => ctx.config.database!;

/** What must change on an existing instance; throws for changes RDS cannot make. */
function differences(ctx: StepContext, inst: DBInstance): { label: string; input: Record<string, unknown> }[] {
  const want = db(ctx);
  const out: { label: string; input: Record<string, unknown> }[] = [];
  // A change already accepted but waiting to be applied counts as what the instance will have.
  const pending = inst.PendingModifiedValues ?? {};
  const cls = pending.DBInstanceClass ?? inst.DBInstanceClass;
  if (cls !== want.instanceClass) {
    out.push({ label: `class ${cls} → ${want.instanceClass}`, input: { DBInstanceClass: want.instanceClass } });
  }
  const have = pending.AllocatedStorage ?? inst.AllocatedStorage ?? 0;
  if (want.allocatedStorageGb < have) {
    throw new StepError(
      'rds',
      `modify database: database.allocatedStorageGb is ${want.allocatedStorageGb} GB but the instance has ${have} GB; RDS storage can only grow`,
      {
        hint: `Set database.allocatedStorageGb to ${have} or more.`,
      },
    );
  }
  if (want.allocatedStorageGb > have)
    out.push({ label: `storage ${have} → ${want.allocatedStorageGb} GB`, input: { AllocatedStorage: want.allocatedStorageGb } });
  const version = pending.EngineVersion ?? inst.EngineVersion ?? '0';
  const standing = versionStanding(want.engineVersion, version);
  if (standing === 'downgrade') {
    throw new StepError('rds', `modify database: database.engineVersion ${want.engineVersion} is older than the running ${version}; RDS cannot downgrade`, {
      hint: `Set database.engineVersion to ${version.split('.')[0]} (any minor of it) or later.`,
    });
  }
  if (standing === 'upgrade') {
    const major = versionParts(want.engineVersion)[0] > versionParts(version)[0];
    out.push({
      label: `version ${version} → ${want.engineVersion}`,
      input: { EngineVersion: want.engineVersion, ...(major ? { AllowMajorVersionUpgrade: true } : {}) },
    });
  }
  return out;
}

function ensureSubnetGroup(ctx: StepContext, net: NetworkOutput): Promise<string> {
  const name = identifier(ctx);
  return convergeSubnetGroup(name, net.subnetIds, {
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
      const inst = await findInstance(ctx);
      const status = inst?.DBInstanceStatus ?? 'missing';
      if (!inst) return { done: false, status, fatal: 'the instance disappeared while waiting (deleted outside the wizard?)' };
      if (FATAL.test(status)) return { done: false, status, fatal: `status is "${status}"` };
      const p = inst.PendingModifiedValues ?? {};
      const pending = settled && (p.DBInstanceClass || p.AllocatedStorage || p.EngineVersion);
      return { done: status === 'available' && !!inst.Endpoint?.Address && !pending, status: pending ? `${status}, applying changes` : status, value: inst };
    },
  });
}

export const rds: StepCode<'rds'> = {
  async inputs(ctx) {
    const { access: _a, extensions: _e, ...rest } = db(ctx);
    return { ...rest, identifier: identifier(ctx) };
  },

  async plan(ctx) {
    const d = db(ctx);
    const inst = await findInstance(ctx);
    const items: PlanItem[] = [];
    if (!inst) {
      items.push({
        action: 'create',
        resource: `RDS instance ${identifier(ctx)}`,
        detail: `PostgreSQL ${d.engineVersion}, ${d.instanceClass}, ${d.allocatedStorageGb} GB gp3, encrypted, ${d.publiclyAccessible ? 'PUBLIC' : 'private'}`,
      });
    } else {
      const diff = differences(ctx, inst);
      items.push({
        action: diff.length ? 'update' : 'keep',
        resource: `RDS instance ${identifier(ctx)}`,
        detail: diff.map((x) => x.label).join(', ') || inst.DBInstanceStatus,
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
    let inst = await findInstance(ctx);
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
            CopyTagsToSnapshot: true,
            DeletionProtection: ctx.env === 'prod',
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
        if (diff.length) {
          ctx.log.info(`modifying ${identifier(ctx)}: ${diff.map((x) => x.label).join(', ')}`);
          await ctx.aws.rds.send(
            new ModifyDBInstanceCommand({ DBInstanceIdentifier: identifier(ctx), ApplyImmediately: true, ...Object.assign({}, ...diff.map((x) => x.input)) }),
          );
        }
      }
    }
    inst = await waitAvailable(ctx, true);
    const left = differences(ctx, inst);
    if (left.length) {
      throw new StepError('rds', `modify database: RDS reports the instance available but ${left.map((x) => x.label).join(', ')} did not take effect`, {
        hint: "Check the instance's events in the RDS console (an unsupported class or version for this engine is the usual cause), fix the config, and run again.",
      });
    }
    const out: RdsOutput = {
      identifier: identifier(ctx),
      endpoint: inst.Endpoint!.Address!,
      port: inst.Endpoint!.Port ?? 5432,
      dbName: d.name,
      username: master.value.username!,
      masterSecretArn: master.arn,
      engineVersion: inst.EngineVersion ?? d.engineVersion,
      appUser: appRole.value.username!,
      appSecretArn: appRole.arn,
    };
    return out;
  },

  async verify(ctx, out) {
    const inst = await findInstance(ctx);
    const checks: Check[] = [
      {
        name: `RDS instance ${out.identifier}`,
        ok: inst?.DBInstanceStatus === 'available' && inst.Endpoint?.Address === out.endpoint,
        detail: inst?.DBInstanceStatus,
      },
    ];
    if (inst) {
      const diff = differences(ctx, inst);
      checks.push({ name: 'class, storage and version as configured', ok: diff.length === 0, detail: diff.map((x) => x.label).join(', ') || undefined });
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
