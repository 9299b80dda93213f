import { describe, expect, it } from 'vitest';
import { DescribeDBClustersCommand, DescribeDBClusterSnapshotsCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { network } from '../../steps/network/apply.js';
import { rds } from '../../steps/rds/apply.js';
import { destroyDatabase } from '../../steps/rds/teardown.js';
import { manifest } from '../../steps/rds/manifest.js';
import { runTeardowns } from '../../src/pipeline/removed-steps.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';
import { DATABASE } from '../helpers/with-network.js';
import { configProblems } from '../helpers/config-problems.js';
import { alarmSpecs } from '../../src/alarms/alarm-specs.js';
import { thresholds } from '../../src/config/alarms-schema.js';

const AURORA = { ...DATABASE, engine: 'aurora-postgresql', serverless: { minAcu: 0.5, maxAcu: 2 }, readers: 1 };

async function cluster(ctx: any, id: string) {
  return (await ctx.aws.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters[0];
}

describe('database.engine "aurora-postgresql": an Aurora Serverless v2 cluster', () => {
  it('makes the cluster with its scaling range, a writer and a reader of db.serverless; converges each key with one ModifyDBCluster; destroy keeps it with a snapshot', async () => {
    const calls: { command: string; input: unknown }[] = [];
    const { ctx, app } = stepContext({ database: AURORA }, { onCall: (c) => calls.push({ command: c.command, input: (c as any).input }) });
    const net = await network.apply(ctx);
    ctx.output = ((id: string) => ({ network: net })[id]) as typeof ctx.output;
    expect((await rds.plan(ctx))[0]).toMatchObject({ action: 'create', resource: `Aurora cluster ${app}-prod` });
    expect((await rds.plan(ctx))[0]!.detail).toMatch(/^Aurora PostgreSQL 16\.4, Serverless v2, 0\.5-2 ACU, a writer and 1 reader\(s\), encrypted, private/);

    const out = await rds.apply(ctx);
    const c = await cluster(ctx, `${app}-prod`);
    expect(c).toMatchObject({
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      DatabaseName: 'app_db',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 },
      DeletionProtection: true,
    });
    expect(c.DBSubnetGroup).toBe(`${app}-prod`);
    const members = (await ctx.aws.rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: [`${app}-prod`] }] }))).DBInstances!;
    expect(members.map((m) => [m.DBInstanceIdentifier, m.DBInstanceClass]).sort()).toEqual([
      [`${app}-prod-1`, 'db.serverless'],
      [`${app}-prod-2`, 'db.serverless'],
    ]);
    expect(out).toMatchObject({
      engine: 'aurora-postgresql',
      identifier: `${app}-prod`,
      endpoint: c.Endpoint,
      readerEndpoint: c.ReaderEndpoint,
      dbName: 'app_db',
    });
    expect((await rds.verify!(ctx, out)).filter((x) => !x.ok)).toEqual([]);

    calls.length = 0;
    expect(await rds.apply(ctx)).toEqual(out);
    expect(calls.filter((x) => MUTATING.test(x.command)).map((x) => x.command)).toEqual([]);

    // The range, backups, windows and deletion protection change with one ModifyDBCluster, read back.
    ctx.config = {
      ...ctx.config,
      database: {
        ...ctx.config.database!,
        serverless: { minAcu: 1, maxAcu: 8 },
        backupRetentionDays: 14,
        maintenanceWindow: 'sun:04:30-sun:05:30',
        readers: 0,
      },
    };
    const [plan] = await rds.plan(ctx);
    expect(plan!.changes).toEqual([
      'capacity 0.5-2 → 1-8 ACU: now, no downtime',
      'backups 7 → 14 days: now, no downtime',
      'maintenance window → sun:04:30-sun:05:30: now, no downtime',
      `remove reader ${app}-prod-2: now`,
    ]);
    calls.length = 0;
    await rds.apply(ctx);
    expect(calls.filter((x) => MUTATING.test(x.command)).map((x) => x.command)).toEqual(['ModifyDBCluster', 'DeleteDBInstance']);
    const after = await cluster(ctx, `${app}-prod`);
    expect(after).toMatchObject({
      ServerlessV2ScalingConfiguration: { MinCapacity: 1, MaxCapacity: 8 },
      BackupRetentionPeriod: 14,
      PreferredMaintenanceWindow: 'sun:04:30-sun:05:30',
    });
    expect(after.DBClusterMembers.map((m: any) => m.DBInstanceIdentifier)).toEqual([`${app}-prod-1`]);

    // A newer version restarts every instance: the plan says so, a snapshot is taken first, then one ModifyDBCluster.
    ctx.config = { ...ctx.config, database: { ...ctx.config.database!, engineVersion: '16.6' } };
    const [upgrade] = await rds.plan(ctx);
    expect(upgrade!.changes).toEqual([
      expect.stringMatching(
        new RegExp(`^version 16\\.4 → 16\\.6: now, a restart of every instance \\(a brief outage\\); snapshot ${app}-prod-before-[0-9a-f]{8} first$`),
      ),
    ]);
    calls.length = 0;
    await rds.apply(ctx);
    expect(calls.filter((x) => MUTATING.test(x.command)).map((x) => x.command)).toEqual(['CreateDBClusterSnapshot', 'ModifyDBCluster']);
    expect(calls.find((x) => x.command === 'ModifyDBCluster')!.input).toMatchObject({ EngineVersion: '16.6', ApplyImmediately: true });
    expect((await cluster(ctx, `${app}-prod`)).EngineVersion).toBe('16.6');
    // Older than what runs: refused, naming the key.
    ctx.config = { ...ctx.config, database: { ...ctx.config.database!, engineVersion: '15.4' } };
    await expect(rds.plan(ctx)).rejects.toThrow(/database\.engineVersion 15\.4 is older than the running 16\.6; Aurora cannot downgrade/);
    ctx.config = { ...ctx.config, database: { ...ctx.config.database!, engineVersion: '16.6' } };

    // The cost: ACU-hours at the floor, the ceiling stated, storage as it grows.
    expect(manifest.cost!(ctx.config)[0]).toMatchObject({ component: 'Aurora Serverless v2', monthly: 87.6 });

    // An engine switch would make a new, empty database beside this one: refused, naming the key.
    const back = { ...ctx, config: { ...ctx.config, database: { ...ctx.config.database!, engine: 'postgres' as const, serverless: undefined, readers: 0 } } };
    expect((await rds.preflight!(back)).join('\n')).toMatch(
      /^database\.engine: .* is an Aurora cluster; "postgres" would make a new, empty database beside it/,
    );

    const kept = await destroyDatabase(ctx, { deleteData: false, skipFinalSnapshot: false, stamp: '20261202000000' });
    expect(kept.map((t) => [t.resource, t.keep])).toEqual([
      [`Aurora cluster ${app}-prod (snapshot ${app}-prod-destroy-20261202000000)`, 'data, deletion protection on'],
      [`DB subnet group ${app}-prod`, 'the kept database uses it'],
    ]);
    await runTeardowns(kept, 'destroy', { deleted: () => {} });
    const snaps = (await ctx.aws.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: `${app}-prod` }))).DBClusterSnapshots ?? [];
    expect(snaps.map((s) => s.DBClusterSnapshotIdentifier)).toContain(`${app}-prod-destroy-20261202000000`);

    const gone = await destroyDatabase(ctx, { deleteData: true, skipFinalSnapshot: false, stamp: '20261202000001' });
    await runTeardowns(gone, 'destroy', { deleted: () => {} });
    expect(await cluster(ctx, `${app}-prod`).catch(() => undefined)).toBeUndefined();
  }, 120_000);
});

describe('alarms on an Aurora cluster', () => {
  it('watch the cluster by DBClusterIdentifier, leave out free storage (Aurora storage grows by itself), and watch Serverless capacity', () => {
    const t = thresholds.parse({});
    const w = { app: 'shop', env: 'prod', targetGroups: [], cluster: 'shop-prod', services: [], cacheNodes: [], database: 'shop-prod' };
    const names = (specs: ReturnType<typeof alarmSpecs>) => specs.map((s) => s.AlarmName).filter((n) => n.includes('-db-'));
    const instance = alarmSpecs(w, t, 'arn:aws:sns:us-east-1:123456789012:t');
    const cluster = alarmSpecs({ ...w, databaseIsCluster: true }, t, 'arn:aws:sns:us-east-1:123456789012:t');
    expect(names(instance)).toEqual(['shop-prod-db-cpu-high', 'shop-prod-db-free-storage-low', 'shop-prod-db-connections-high']);
    expect(names(cluster)).toEqual(['shop-prod-db-cpu-high', 'shop-prod-db-connections-high']);
    for (const s of cluster.filter((x) => x.AlarmName.includes('-db-'))) expect(s.Dimensions).toEqual([{ Name: 'DBClusterIdentifier', Value: 'shop-prod' }]);
    // Serverless v2: capacity near the ceiling (90% of maxAcu), as the bmo-learning runbook alarms on it.
    const serverless = alarmSpecs({ ...w, databaseIsCluster: true, databaseMaxAcu: 2 }, t, 'arn:aws:sns:us-east-1:123456789012:t');
    expect(serverless.find((x) => x.AlarmName === 'shop-prod-db-capacity-high')).toMatchObject({
      MetricName: 'ServerlessDatabaseCapacity',
      Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'shop-prod' }],
      Threshold: 1.8,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('Aurora keys in the config', () => {
  const problems = (database: Record<string, unknown>) => configProblems({ database: { name: 'd', ...database } });
  it('names the key: Serverless or readers without Aurora, Aurora without a size it offers, Multi-AZ, autoscaling or no backups, pgvector before 15.3', () => {
    expect(problems({ serverless: { minAcu: 0.5, maxAcu: 2 } })).toMatch(/database\.serverless: only with "engine": "aurora-postgresql"/);
    expect(problems({ readers: 1 })).toMatch(/database\.readers: only with "engine": "aurora-postgresql"/);
    expect(problems({ engine: 'aurora-postgresql' })).toMatch(/database\.serverless: needed with engine "aurora-postgresql"/);
    expect(problems({ engine: 'aurora-postgresql', instanceClass: 'db.r6g.large' })).toBe('');
    const s = { engine: 'aurora-postgresql', serverless: { minAcu: 0.5, maxAcu: 2 } };
    expect(problems({ ...s, multiAz: true })).toMatch(/database\.multiAz: not with Aurora/);
    expect(problems({ ...s, maxAllocatedStorageGb: 100 })).toMatch(/database\.maxAllocatedStorageGb: not with Aurora/);
    expect(problems({ ...s, backupRetentionDays: 0 })).toMatch(/database\.backupRetentionDays: Aurora keeps 1 to 35 days/);
    expect(problems({ ...s, serverless: { minAcu: 4, maxAcu: 2 } })).toMatch(/database\.serverless\.minAcu: minAcu is above maxAcu/);
    expect(problems({ ...s, serverless: { minAcu: 0.3, maxAcu: 2 } })).toMatch(/database\.serverless\.minAcu/);
    expect(problems({ ...s, engineVersion: '15.2', extensions: ['vector'] })).toMatch(
      /Aurora PostgreSQL 15\.2 does not support the "vector" extension; it needs 15\.3/,
    );
    expect(problems({ ...s, engineVersion: '15.4', extensions: ['vector'], readers: 2, proxy: true })).toBe('');
  });
});
