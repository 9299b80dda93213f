import { describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { rds } from '../../steps/rds/apply.js';
import { manifest } from '../../steps/rds/manifest.js';
import { network } from '../../steps/network/apply.js';
import { parseConfig } from '../../src/config/load-config.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';
import { DATABASE, withNetwork } from '../helpers/with-network.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { fakeOn } from '../helpers/fake-client.js';
import { InputError } from '../../src/errors.js';

/**
 * An existing instance behind a fake RDS that applies changes as "Settings for DB instances" says
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html): class, storage,
 * version and Multi-AZ now with ApplyImmediately, else pending until the maintenance window; the rest at once.
 * moto applies every change at once, so the timing and the plan's words are checked here.
 */
async function existing(database: Record<string, unknown>, instance: Record<string, unknown> = {}, env = 'prod') {
  const { ctx, app } = stepContext({ database: { ...DATABASE, ...database } }, { env });
  ctx.clock = fakeClock().clock;
  const net = await network.apply(ctx);
  ctx.output = ((id: string) => ({ network: net })[id]) as typeof ctx.output;
  const inst: Record<string, any> = {
    DBInstanceIdentifier: `${app}-${env}`,
    DBInstanceStatus: 'available',
    Endpoint: { Address: 'db.internal', Port: 5432 },
    TagList: [
      { Key: 'deploy-wizard:app', Value: app },
      { Key: 'deploy-wizard:env', Value: env },
    ],
    DBInstanceClass: 'db.t4g.micro',
    EngineVersion: '16.4',
    AllocatedStorage: 20,
    BackupRetentionPeriod: 7,
    MultiAZ: false,
    DeletionProtection: env === 'prod',
    PreferredBackupWindow: '07:00-07:30',
    PreferredMaintenanceWindow: 'wed:02:40-wed:03:10',
    ...instance,
  };
  let polls = 0;
  const snapshots: string[] = [];
  const calls = fakeOn(ctx, 'rds', {
    DescribeDBInstances: () => {
      if (inst.DBInstanceStatus !== 'available' && ++polls > 1) {
        Object.assign(inst, inst.PendingModifiedValues ?? {});
        inst.PendingModifiedValues = {};
        inst.DBInstanceStatus = 'available';
      }
      return { DBInstances: [structuredClone(inst)] };
    },
    DescribeDBSnapshots: (i: any) => {
      if (!snapshots.includes(i.DBSnapshotIdentifier)) throw Object.assign(new Error('not found'), { name: 'DBSnapshotNotFoundFault' });
      return { DBSnapshots: [{ DBSnapshotIdentifier: i.DBSnapshotIdentifier, Status: 'available' }] };
    },
    CreateDBSnapshot: (i: any) => {
      snapshots.push(i.DBSnapshotIdentifier);
      return { DBSnapshot: { DBSnapshotIdentifier: i.DBSnapshotIdentifier } };
    },
    ModifyDBInstance: (i: any) => {
      const deferrable = Object.fromEntries(
        ['DBInstanceClass', 'AllocatedStorage', 'EngineVersion', 'MultiAZ'].filter((k) => i[k] !== undefined).map((k) => [k, i[k]]),
      );
      // Turning backups on or off is deferrable too; between two non-zero values it applies at once.
      if (i.BackupRetentionPeriod !== undefined && (i.BackupRetentionPeriod === 0) !== (inst.BackupRetentionPeriod === 0))
        deferrable.BackupRetentionPeriod = i.BackupRetentionPeriod;
      else if (i.BackupRetentionPeriod !== undefined) inst.BackupRetentionPeriod = i.BackupRetentionPeriod;
      for (const k of ['MaxAllocatedStorage', 'DeletionProtection', 'PreferredBackupWindow', 'PreferredMaintenanceWindow'])
        if (i[k] !== undefined) inst[k] = i[k];
      if (i.EnablePerformanceInsights !== undefined) inst.PerformanceInsightsEnabled = i.EnablePerformanceInsights;
      inst.PendingModifiedValues = { ...inst.PendingModifiedValues, ...deferrable };
      if (i.ApplyImmediately && Object.keys(deferrable).length) {
        polls = 0;
        inst.DBInstanceStatus = 'modifying';
      }
      return { DBInstance: structuredClone(inst) };
    },
  });
  return { ctx, inst, calls, snapshots };
}

const modifies = (calls: { name: string; input: any }[]) => calls.filter((c) => c.name === 'ModifyDBInstance').map((c) => c.input);

describe('database settings converge on an existing instance, and the plan says when and at what cost', () => {
  it('with applyImmediately false: the plan says what waits for the window and what means downtime; one snapshot, then one ModifyDBInstance; the pending changes count as made', async () => {
    const { ctx, inst, calls, snapshots } = await existing({
      instanceClass: 'db.t4g.small',
      multiAz: true,
      maxAllocatedStorageGb: 100,
      backupRetentionDays: 14,
      backupWindow: '03:00-04:00',
      maintenanceWindow: 'sun:04:30-sun:05:30',
      performanceInsights: true,
      applyImmediately: false,
    });
    const [item] = await rds.plan(ctx);
    expect(item!.action).toBe('update');
    expect(item!.changes).toEqual([
      'class db.t4g.micro → db.t4g.small: in the maintenance window (wed:02:40-wed:03:10 UTC), downtime while the instance restarts (a manual snapshot is taken first)',
      'Multi-AZ off → on: in the maintenance window (wed:02:40-wed:03:10 UTC), no downtime',
      'storage autoscaling off → up to 100 GB: now, no downtime',
      'backup retention 7 → 14 days: now, no downtime',
      'backup window 07:00-07:30 → 03:00-04:00: now, no downtime',
      'maintenance window wed:02:40-wed:03:10 → sun:04:30-sun:05:30: now, no downtime',
      'Performance Insights off → on: now, no downtime',
    ]);
    expect(modifies(calls)).toEqual([]);

    const out = await rds.apply(ctx);
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatch(new RegExp(`^${ctx.app}-prod-before-[0-9a-f]{8}$`));
    const [m, ...more] = modifies(calls);
    expect(more).toEqual([]);
    expect(m).toEqual({
      DBInstanceIdentifier: `${ctx.app}-prod`,
      ApplyImmediately: false,
      DBInstanceClass: 'db.t4g.small',
      MultiAZ: true,
      MaxAllocatedStorage: 100,
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '03:00-04:00',
      PreferredMaintenanceWindow: 'sun:04:30-sun:05:30',
      EnablePerformanceInsights: true,
    });
    expect(inst.PendingModifiedValues).toEqual({ DBInstanceClass: 'db.t4g.small', MultiAZ: true });
    expect((await rds.verify(ctx, out)).find((c) => c.name === 'settings as configured')?.ok).toBe(true);

    // Again, before the window: nothing to do, no second snapshot.
    calls.length = 0;
    await rds.apply(ctx);
    expect(modifies(calls)).toEqual([]);
    expect(calls.filter((c) => c.name === 'CreateDBSnapshot')).toEqual([]);
  });

  it('--apply-immediately sends them now and waits until RDS has applied them', async () => {
    const { ctx, inst, calls } = await existing({ instanceClass: 'db.t4g.small', applyImmediately: false });
    ctx.settings = { ...ctx.settings, applyImmediately: true };
    expect((await rds.plan(ctx))[0]!.changes![0]).toMatch(/^class db.t4g.micro → db.t4g.small: now, downtime/);
    await rds.apply(ctx);
    expect(modifies(calls)[0]).toMatchObject({ ApplyImmediately: true, DBInstanceClass: 'db.t4g.small' });
    expect(inst.DBInstanceClass).toBe('db.t4g.small');
  });

  it('on Multi-AZ a class change is a failover, with no snapshot; turning backups off is a brief outage, with one', async () => {
    const multi = await existing({ instanceClass: 'db.t4g.small', multiAz: true }, { MultiAZ: true });
    expect((await rds.plan(multi.ctx))[0]!.changes).toEqual(['class db.t4g.micro → db.t4g.small: now, a failover to the standby (about a minute)']);
    await rds.apply(multi.ctx);
    expect(multi.snapshots).toEqual([]);

    const off = await existing({ backupRetentionDays: 0 }, {}, 'staging');
    expect((await rds.plan(off.ctx))[0]!.changes).toEqual([
      'backup retention 7 → 0 days: now, a brief outage while the instance restarts (a manual snapshot is taken first)',
    ]);
    await rds.apply(off.ctx);
    expect(off.snapshots).toHaveLength(1);
  });

  it('a run that dies right after asking for the snapshot finds it on the next run: one snapshot, then the change', async () => {
    const { ctx, calls, snapshots } = await existing({ instanceClass: 'db.t4g.small' });
    // The process dies the moment CreateDBSnapshot has returned (the kill matrix's worst moment).
    const send = ctx.aws.rds.send.bind(ctx.aws.rds);
    let killed = false;
    ctx.aws.rds.send = (async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
      const out = await (send as (c: unknown, ...r: unknown[]) => Promise<unknown>)(command, ...rest);
      if (command.constructor.name === 'CreateDBSnapshotCommand' && !killed) {
        killed = true;
        throw new Error('killed');
      }
      return out;
    }) as typeof ctx.aws.rds.send;
    await expect(rds.apply(ctx)).rejects.toThrow('killed');
    expect(modifies(calls)).toEqual([]);
    await rds.apply(ctx);
    expect(snapshots).toHaveLength(1);
    expect(calls.filter((c) => c.name === 'CreateDBSnapshot')).toHaveLength(1);
    expect(modifies(calls)).toHaveLength(1);
  });

  it('deletion protection follows the config, and stays on for prod by default; autoscaling off sets the ceiling to the storage', async () => {
    const { ctx, calls } = await existing({ deletionProtection: false }, { MaxAllocatedStorage: 200 });
    expect((await rds.plan(ctx))[0]!.changes).toEqual([
      'storage autoscaling up to 200 GB → off: now, no downtime',
      'deletion protection on → off: now, no downtime',
    ]);
    await rds.apply(ctx);
    expect(modifies(calls)[0]).toMatchObject({ MaxAllocatedStorage: 20, DeletionProtection: false });
  });
});

describe('database settings against moto', () => {
  it('each key, changed on a deployed instance, is one ModifyDBInstance and reads back; a re-run makes no call', async () => {
    const calls: string[] = [];
    const { ctx, app } = await withNetwork({ database: DATABASE }, { env: 'staging', onCall: (c) => void (c.ok && calls.push(c.command)) });
    await rds.apply(ctx);
    const want = {
      multiAz: true,
      maxAllocatedStorageGb: 200,
      backupRetentionDays: 14,
      backupWindow: '03:00-04:00',
      maintenanceWindow: 'sun:04:30-sun:05:30',
      deletionProtection: true,
    };
    for (const [key, value] of Object.entries(want)) {
      (ctx.config.database as Record<string, unknown>)[key] = value;
      calls.length = 0;
      await rds.apply(ctx);
      expect(
        calls.filter((c) => MUTATING.test(c)),
        key,
      ).toEqual(['ModifyDBInstance']);
    }
    const inst = (await ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${app}-staging` }))).DBInstances![0]!;
    expect(inst).toMatchObject({
      MultiAZ: true,
      MaxAllocatedStorage: 200,
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '03:00-04:00',
      PreferredMaintenanceWindow: 'sun:04:30-sun:05:30',
      DeletionProtection: true,
    });
    calls.length = 0;
    await rds.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    // A class change on a single-AZ instance would mean downtime; on this Multi-AZ one it is a failover: no snapshot.
    expect((await ctx.aws.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: `${app}-staging`, SnapshotType: 'manual' }))).DBSnapshots).toEqual(
      [],
    );
  });
});

describe('database settings in the config', () => {
  const parse = (database: Record<string, unknown>) =>
    parseConfig(
      JSON.stringify({ app: 'shop', region: 'us-east-1', image: {}, service: { port: 8080 }, database: { ...DATABASE, ...database } }),
      'test',
      'prod',
    );

  const problems = (database: Record<string, unknown>) => {
    try {
      parse(database);
      return '';
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return e.problems.join('\n');
    }
  };

  it('refuses windows RDS would refuse, naming the key, before anything is made', () => {
    expect(problems({ backupWindow: '03:00-03:15' })).toMatch(/database\.backupWindow: 03:00-03:15: must be at least 30 minutes/);
    expect(problems({ maintenanceWindow: 'sunday:04:00-sunday:05:00' })).toMatch(/database\.maintenanceWindow: .*ddd:hh:mm-ddd:hh:mm/);
    expect(problems({ backupWindow: '04:00-05:00', maintenanceWindow: 'sun:04:30-sun:05:30' })).toMatch(
      /database\.backupWindow: 04:00-05:00 overlaps the maintenance window/,
    );
    // Across midnight, and Sunday into Monday.
    expect(problems({ backupWindow: '23:30-00:30', maintenanceWindow: 'mon:00:00-mon:01:00' })).toMatch(/overlaps/);
    expect(problems({ backupWindow: '03:00-04:00', maintenanceWindow: 'sun:23:30-mon:00:30' })).toBe('');
    expect(problems({ maxAllocatedStorageGb: 20 })).toMatch(/database\.maxAllocatedStorageGb: 20 is not above allocatedStorageGb/);
  });

  it('prices Multi-AZ at twice the instance and storage, and states the autoscaling ceiling without counting it', () => {
    const single = manifest.cost!(parse({}));
    const multi = manifest.cost!(parse({ multiAz: true, maxAllocatedStorageGb: 120 }));
    expect(multi[0]!.monthly).toBeCloseTo(single[0]!.monthly! * 2, 1);
    expect(multi[0]!.size).toContain('Multi-AZ');
    expect(multi[1]).toEqual({
      component: 'RDS storage autoscaling',
      size: expect.stringMatching(/^up to 120 GB, at most \$23 more a month when full$/),
      monthly: 0,
    });
  });
});
