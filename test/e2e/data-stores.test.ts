import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RDSClient, DescribeDBInstancesCommand, DescribeDBSubnetGroupsCommand } from '@aws-sdk/client-rds';
import { DescribeServicesCommand, ECSClient, ListServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeCacheSubnetGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { elbName } from '../../src/aws/names.js';
import { makeExampleApp, readState, runCli, runCliKilledAt } from '../helpers/cli.js';
import { startDebianPostgres } from '../helpers/postgres-server.js';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
import { expectOk } from '../helpers/expect-ok.js';
import { secretJson } from '../helpers/read-back.js';

const rdsClient = () => new RDSClient({ region: 'us-east-1' });

async function instances(id: string) {
  try {
    return (await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances ?? [];
  } catch {
    return [];
  }
}

describe('data stores through the CLI', () => {
  it('deploys the agencio-predict example (network, rds, pgvector on PGlite, elasticache), then again with no mutating call', async () => {
    const { dir, app, secrets: asked } = makeExampleApp('agencio-predict');
    const first = await runCli(['--non-interactive', '--json'], { cwd: dir, env: asked });
    expectOk(first);
    const state = readState(dir);
    for (const id of ['network', 'ecr-push', 'rds', 'pgvector', 'elasticache', 's3-buckets']) expect(state.steps[id]?.status, id).toBe('done');
    expect(state.steps.pgvector.outputs).toMatchObject({
      database: 'predict_db',
      extensions: { vector: expect.stringMatching(/^0\.\d+\.\d+$/) },
      via: 'direct',
    });
    const appSecret = await secretJson(`${app}/prod`);
    expect(appSecret.REDIS_URL).toMatch(/^rediss:\/\//);
    // The app connects as its own role (created on PGlite by the pgvector step), never as the master user.
    const role = await secretJson(`${app}/prod/db-app`);
    expect(role.username).toBe(`${app}_app`);
    expect(appSecret.DATABASE_URL).toBe(`postgresql://${role.username}:${role.password}@${state.steps.rds.outputs.endpoint}:5432/predict_db?sslmode=require`);
    expect(state.steps.pgvector.outputs.appRole).toBe(role.username);

    const again = await recordedDeploy(dir);
    expect(again.code).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);
    expect(again.events.filter((e) => e.step !== 'deploy').every((e) => e.status === 'unchanged')).toBe(true);
    expect(again.events).toHaveLength(15); // fourteen steps (no migrations here) and the closing event
  });

  it('the production shape: Aurora Serverless v2 with a reader behind RDS Proxy, in a VPC of its own; pgvector enabled; a re-run makes no mutating call', async () => {
    const {
      dir,
      app,
      secrets: asked,
    } = makeExampleApp('agencio-predict', (c) => {
      c.network = { vpc: 'create', nat: 'single', endpoints: ['s3', 'ecr', 'logs', 'secretsmanager'] };
      Object.assign(c.database, { engine: 'aurora-postgresql', serverless: { minAcu: 0.5, maxAcu: 2 }, readers: 1, proxy: true });
      delete c.database.instanceClass;
    });
    expectOk(await runCli(['--non-interactive', '--json'], { cwd: dir, env: asked }));
    const state = readState(dir);
    for (const id of ['vpc', 'vpc-egress', 'network', 'rds', 'rds-proxy', 'pgvector', 'secrets', 'first-boot'])
      expect(state.steps[id]?.status, id).toBe('done');
    expect(state.steps.pgvector.outputs.extensions.vector).toMatch(/^0\.\d+\.\d+$/);
    const rdsOut = state.steps.rds.outputs;
    expect(rdsOut).toMatchObject({ engine: 'aurora-postgresql', identifier: `${app}-prod` });
    const appSecret = await secretJson(`${app}/prod`);
    expect(new URL(appSecret.DATABASE_URL).hostname).toBe(state.steps['rds-proxy'].outputs.endpoint);
    expect(new URL(appSecret.DATABASE_DIRECT_URL).hostname).toBe(rdsOut.endpoint);
    expect(new URL(appSecret.DATABASE_READ_URL).hostname).toBe(rdsOut.readerEndpoint);
    // Every part in its tier, read back from moto: services private with no public IP, the load balancer public,
    // the cluster's and the cache's subnet groups in the data tier.
    const v = state.steps.vpc.outputs;
    const sorted = (a: string[]) => [...a].sort();
    const ecs = new ECSClient({ region: 'us-east-1' });
    const arns = (await ecs.send(new ListServicesCommand({ cluster: `${app}-prod` }))).serviceArns!;
    const services = (await ecs.send(new DescribeServicesCommand({ cluster: `${app}-prod`, services: arns }))).services!;
    expect(services.length).toBeGreaterThan(0);
    for (const svc of services)
      expect(svc.networkConfiguration?.awsvpcConfiguration, svc.serviceName).toMatchObject({ subnets: v.privateSubnetIds, assignPublicIp: 'DISABLED' });
    const lb = (await new ElasticLoadBalancingV2Client({ region: 'us-east-1' }).send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] })))
      .LoadBalancers![0]!;
    expect(sorted(lb.AvailabilityZones!.map((z) => z.SubnetId!))).toEqual(sorted(v.publicSubnetIds));
    const dbGroup = (await rdsClient().send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: `${app}-prod` }))).DBSubnetGroups![0]!;
    expect(sorted(dbGroup.Subnets!.map((x) => x.SubnetIdentifier!))).toEqual(sorted(v.dataSubnetIds));
    const cacheGroup = (
      await new ElastiCacheClient({ region: 'us-east-1' }).send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: `${app}-prod` }))
    ).CacheSubnetGroups![0]!;
    expect(sorted(cacheGroup.Subnets!.map((x) => x.SubnetIdentifier!))).toEqual(sorted(v.dataSubnetIds));

    const again = await recordedDeploy(dir);
    expect(again.code).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);
  }, 300_000);

  it('after SIGKILL right after CreateDBInstance, a re-run finds the one instance and keeps the same password', async () => {
    const { dir, app, secrets: asked } = makeExampleApp('arbiter-ai');
    const first = await runCliKilledAt(['--non-interactive', '--verbose'], { cwd: dir, env: asked, stream: 'stderr', marker: 'aws RDS CreateDBInstance' });
    expect(first.signal).toBe('SIGKILL');
    expect(readState(dir).steps.rds.status).toBe('running');
    expect(await instances(`${app}-prod`)).toHaveLength(1);
    const password = (await secretJson(`${app}/prod/rds-master`)).password;

    const second = await runCli(['--non-interactive'], { cwd: dir, env: asked });
    expectOk(second);
    expect(await instances(`${app}-prod`)).toHaveLength(1);
    expect((await secretJson(`${app}/prod/rds-master`)).password).toBe(password);
    const role = await secretJson(`${app}/prod/db-app`);
    expect((await secretJson(`${app}/prod`)).DATABASE_URL).toContain(`${role.username}:${role.password}@`);
    expect(readState(dir).steps.rds.status).toBe('done');
    expect(`${second.stdout}${second.stderr}`).not.toContain(password);
  });

  it('fails at pgvector on a Postgres without the extension, then resumes there without touching RDS', async () => {
    const pg = await startDebianPostgres();
    try {
      const { dir, app, secrets: asked } = makeExampleApp('espejo', (c) => (c.region = 'us-east-1'));
      const first = await runCli(['--non-interactive'], { cwd: dir, env: { ...asked, DEPLOY_WIZARD_DB_URL: pg.url } });
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(/create extension vector in espejo: extension "vector" is not available/);
      expect(first.stderr).toMatch(/install the pgvector package/);
      const state = readState(dir);
      expect(state.steps.pgvector).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('"vector" is not available') } });
      expect(state.steps.rds.status).toBe('done');

      const again = await recordedDeploy(dir, { ...asked, DEPLOY_WIZARD_DB_URL: pg.url });
      expect(again.code).toBe(1);
      expect(mutatingCalls(again.names.filter((c) => c.startsWith('RDS:')))).toEqual([]);
      expect(again.events.find((e) => e.step === 'rds')?.status).toBe('unchanged');
      expect(again.events.filter((e) => e.step === 'pgvector').at(-1)?.status).toBe('failed');
      expect(await instances(`${app}-prod`)).toHaveLength(1);
    } finally {
      pg.stop();
    }
  });

  it('exits 2 for engineVersion 14.1 with pgvector, before any AWS call', async () => {
    const { dir, app } = makeExampleApp('agencio-predict', (c) => (c.database.engineVersion = '14.1'));
    // Nothing listens there: an AWS call would fail differently and later.
    const r = await runCli(['--non-interactive'], { cwd: dir, env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('database.engineVersion: PostgreSQL 14.1 does not support the "vector" extension; it needs 15.2 or later');
    expect(existsSync(join(dir, '.deploy-wizard'))).toBe(false);
    expect(await instances(`${app}-prod`)).toEqual([]);
  });
});
