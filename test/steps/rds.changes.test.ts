import { describe, expect, it } from 'vitest';
import { rds } from '../../steps/rds/apply.js';
import { versionStanding } from '../../src/aws/engine-version.js';
import { network } from '../../steps/network/apply.js';
import { stepContext } from '../helpers/step-context.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { fakeOn, tags } from '../helpers/fake-client.js';

async function rdsContext(database: Record<string, unknown>, instance: Record<string, any>) {
  const { ctx, app } = stepContext({ database: { name: 'app_db', ...database } });
  const { clock } = fakeClock();
  ctx.clock = clock;
  const net = await network.apply(ctx);
  ctx.output = ((id: string) => ({ network: net })[id]) as any;
  let polls = 0;
  const snapshots = new Map<string, any>();
  const inst: any = {
    DBInstanceIdentifier: `${app}-prod`,
    Endpoint: { Address: 'db.internal', Port: 5432 },
    TagList: tags(app),
    AllocatedStorage: 20,
    // As the config's defaults make it (prod): only what a test changes differs.
    BackupRetentionPeriod: 7,
    MultiAZ: false,
    DeletionProtection: true,
    PreferredMaintenanceWindow: 'sun:04:30-sun:05:00',
    ...instance,
  };
  const calls = fakeOn(ctx, 'rds', {
    DescribeDBInstances: () => {
      polls++;
      // Busy for two polls, then available; a pending change applies after two more.
      if (inst.DBInstanceStatus !== 'available' && polls > 2) {
        Object.assign(inst, inst.PendingModifiedValues ?? {});
        inst.PendingModifiedValues = {};
        inst.DBInstanceStatus = 'available';
      }
      return { DBInstances: [structuredClone(inst)] };
    },
    // A snapshot is available at once here; the instance is busy with it for two polls, as RDS's is.
    DescribeDBSnapshots: (input: any) => {
      const snap = snapshots.get(input.DBSnapshotIdentifier);
      if (!snap) throw Object.assign(new Error(`DBSnapshot ${input.DBSnapshotIdentifier} not found.`), { name: 'DBSnapshotNotFoundFault' });
      return { DBSnapshots: [snap] };
    },
    CreateDBSnapshot: (input: any) => {
      snapshots.set(input.DBSnapshotIdentifier, { DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: 'available' });
      polls = 0;
      inst.DBInstanceStatus = 'backing-up';
      return { DBSnapshot: snapshots.get(input.DBSnapshotIdentifier) };
    },
    ModifyDBInstance: (input: any) => {
      if (inst.DBInstanceStatus !== 'available') throw Object.assign(new Error('not available'), { name: 'InvalidDBInstanceStateFault' });
      polls = 0;
      inst.DBInstanceStatus = 'modifying';
      inst.PendingModifiedValues = {
        ...(input.DBInstanceClass ? { DBInstanceClass: input.DBInstanceClass } : {}),
        ...(input.EngineVersion ? { EngineVersion: input.EngineVersion } : {}),
        ...(input.AllocatedStorage ? { AllocatedStorage: input.AllocatedStorage } : {}),
        ...(input.MultiAZ !== undefined ? { MultiAZ: input.MultiAZ } : {}),
      };
      // Settings RDS applies at once whatever ApplyImmediately says.
      for (const k of ['MaxAllocatedStorage', 'DeletionProtection', 'PreferredBackupWindow', 'PreferredMaintenanceWindow', 'BackupRetentionPeriod'])
        if (input[k] !== undefined) inst[k] = input[k];
      if (input.EnablePerformanceInsights !== undefined) inst.PerformanceInsightsEnabled = input.EnablePerformanceInsights;
      // Deferred: waits for the maintenance window, pending.
      if (input.ApplyImmediately === false) inst.DBInstanceStatus = 'available';
      return { DBInstance: inst };
    },
  });
  return { ctx, inst, calls, snapshots };
}

describe('RDS changes happen, wait, or fail: never recorded as done without happening', () => {
  it('an instance busy with a backup is waited for, then modified, and the step ends only when RDS has applied the change', async () => {
    const { ctx, inst, calls } = await rdsContext(
      { instanceClass: 'db.t4g.small' },
      { DBInstanceStatus: 'backing-up', DBInstanceClass: 'db.t4g.micro', EngineVersion: '16.4' },
    );
    const out = await rds.apply(ctx);
    const modifies = calls.filter((c) => c.name === 'ModifyDBInstance');
    expect(modifies).toHaveLength(1);
    expect(modifies[0]!.input).toMatchObject({ DBInstanceClass: 'db.t4g.small', ApplyImmediately: true });
    expect(inst.DBInstanceClass).toBe('db.t4g.small');
    expect(out.identifier).toBe(inst.DBInstanceIdentifier);
    expect(await rds.verify(ctx, out)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'settings as configured', ok: true })]));
  });

  it('verify reports a class that drifted, so an unchanged re-run converges instead of skipping', async () => {
    const { ctx, inst } = await rdsContext(
      { instanceClass: 'db.t4g.small' },
      { DBInstanceStatus: 'available', DBInstanceClass: 'db.t4g.small', EngineVersion: '16.4' },
    );
    const out = await rds.apply(ctx);
    inst.DBInstanceClass = 'db.t4g.large'; // changed in the console
    const checks = await rds.verify(ctx, out);
    expect(checks.find((c) => c.name === 'settings as configured')).toMatchObject({ ok: false, detail: 'class db.t4g.large → db.t4g.small' });
  });

  it('an engine AWS upgraded by itself (16.4 asked, 16.6 running) is not drift and not a downgrade', async () => {
    const { ctx, calls } = await rdsContext(
      { engineVersion: '16.4' },
      { DBInstanceStatus: 'available', DBInstanceClass: 'db.t4g.micro', EngineVersion: '16.6' },
    );
    expect(await rds.plan(ctx)).toEqual([expect.objectContaining({ action: 'keep' })]);
    await rds.apply(ctx);
    expect(calls.filter((c) => c.name === 'ModifyDBInstance')).toEqual([]);
  });

  it('compares at the level asked', () => {
    expect(versionStanding('16', '16.6')).toBe('met');
    expect(versionStanding('16.4', '16.6')).toBe('met');
    expect(versionStanding('16.8', '16.6')).toBe('upgrade');
    expect(versionStanding('17', '16.6')).toBe('upgrade');
    expect(versionStanding('15', '16.6')).toBe('downgrade');
    expect(versionStanding('7.1', '7.1.0')).toBe('met');
  });

  it('a major upgrade is applied with AllowMajorVersionUpgrade; asking for an older major fails naming the key', async () => {
    const up = await rdsContext({ engineVersion: '17' }, { DBInstanceStatus: 'available', DBInstanceClass: 'db.t4g.micro', EngineVersion: '16.6' });
    await rds.apply(up.ctx);
    expect(up.calls.find((c) => c.name === 'ModifyDBInstance')!.input).toMatchObject({ EngineVersion: '17', AllowMajorVersionUpgrade: true });
    const down = await rdsContext({ engineVersion: '15' }, { DBInstanceStatus: 'available', DBInstanceClass: 'db.t4g.micro', EngineVersion: '16.6' });
    await expect(rds.apply(down.ctx)).rejects.toThrow(/database.engineVersion 15 is older than the running 16.6/);
  });
});
