import { describe, expect, it } from 'vitest';
import {
  CreateSecurityGroupCommand,
  DescribeNatGatewaysCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, GetRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTasksCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeApp, makeExampleApp, readState, runCli } from '../helpers/cli.js';
import { motoWithGapsFilled } from '../helpers/moto-gaps.js';
import { expectOk } from '../helpers/expect-ok.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';

const region = 'us-east-1';
const ec2 = new EC2Client({ region });
const s3 = new S3Client({ region, forcePathStyle: true });
const iam = new IAMClient({ region });
const ecs = new ECSClient({ region });
const elb = new ElasticLoadBalancingV2Client({ region });
const ecr = new ECRClient({ region });
const rds = new RDSClient({ region });
const cache = new ElastiCacheClient({ region });
const sm = new SecretsManagerClient({ region });
const scheduler = new SchedulerClient({ region });

const exists = (p: Promise<unknown>) =>
  p.then(
    () => true,
    () => false,
  );
const ownVpc = async (app: string, env: string) =>
  (
    await ec2.send(
      new DescribeVpcsCommand({
        Filters: [
          { Name: 'tag:deploy-wizard:app', Values: [app] },
          { Name: 'tag:deploy-wizard:env', Values: [env] },
        ],
      }),
    )
  ).Vpcs?.[0];
const liveNats = async (vpcId: string) =>
  ((await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [vpcId] }] }))).NatGateways ?? []).filter((n) => n.State !== 'deleted');
const groupsNamed = async (prefix: string) =>
  ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [`${prefix}*`] }] }))).SecurityGroups ?? [])
    .map((g) => g.GroupName)
    .sort();
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('destroy', () => {
  it('removes only what carries our tags, keeps a bucket with objects, resumes after a kill, and a deploy brings it all back', async () => {
    const { dir, app, config } = makeApp();
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    const state = readState(dir);
    const vpcId = state.steps.network.outputs.vpcId;
    const [uploads, exportsBucket] = config.buckets.names.map((n: string) => `${config.buckets.prefix}${n}`);
    await s3.send(new PutObjectCommand({ Bucket: uploads, Key: 'user-file.txt', Body: 'keep me' }));
    // Look-alikes without our tags, made by someone else beside ours.
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: `${app}-prod-extra`, Description: 'not ours', VpcId: vpcId }));
    await iam.send(new CreateRoleCommand({ RoleName: `${app}-prod-ops`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }));
    await s3.send(new CreateBucketCommand({ Bucket: `${config.buckets.prefix}other` }));

    // prod: --yes alone is not enough without a terminal.
    const refused = await runCli(['destroy', '--non-interactive', '--yes'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes: the prod env also needs --force');
    expect(await exists(ecs.send(new DescribeServicesCommand({ cluster: `${app}-prod`, services: [app] })))).toBe(true);

    // Killed after its third delete, then run again: it finishes.
    const killed = await runCli(['destroy', '--non-interactive', '--yes', '--force'], { cwd: dir, env: { DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: '3' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(readState(dir).destroy).toMatchObject({ stamp: expect.stringMatching(/^\d{14}$/) });
    const done = await runCli(['destroy', '--non-interactive', '--yes', '--force', '--json'], { cwd: dir });
    expectOk(done);
    const last = events(done.stdout).at(-1);
    expect(last).toMatchObject({ step: 'destroy', status: 'done' });
    expect(last.message).toContain(`S3 bucket ${uploads}: holds objects`);

    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: `${app}-prod`, services: [app] }))).services?.[0];
    expect(svc?.status ?? 'INACTIVE').not.toBe('ACTIVE');
    expect((await ecs.send(new DescribeClustersCommand({ clusters: [`${app}-prod`] }))).clusters?.[0]?.status ?? 'INACTIVE').toBe('INACTIVE');
    expect(await exists(elb.send(new DescribeLoadBalancersCommand({ Names: [`${app}-prod`] })))).toBe(false);
    expect(await exists(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`${app}-prod`] })))).toBe(false);
    expect(await exists(iam.send(new GetRoleCommand({ RoleName: `${app}-prod-execution` })))).toBe(false);
    expect(await exists(s3.send(new HeadBucketCommand({ Bucket: exportsBucket })))).toBe(false);
    // Kept: the bucket holding objects. Untouched: everything without our tags.
    expect(await exists(s3.send(new HeadBucketCommand({ Bucket: uploads })))).toBe(true);
    expect(await exists(s3.send(new HeadBucketCommand({ Bucket: `${config.buckets.prefix}other` })))).toBe(true);
    expect(await exists(iam.send(new GetRoleCommand({ RoleName: `${app}-prod-ops` })))).toBe(true);
    expect(await groupsNamed(`${app}-`)).toEqual([`${app}-prod-extra`]);
    expect(readState(dir).steps).toEqual({});
    expect(readState(dir).destroy).toBeUndefined();

    // Again: nothing left to remove, and nothing is changed.
    const again = await runCli(['destroy', '--non-interactive', '--yes', '--force', '--json', '--verbose'], { cwd: dir });
    expectOk(again);
    expect(events(again.stdout).filter((e) => /^deleted /.test(e.message ?? ''))).toEqual([]);

    // A fresh deploy recreates everything and adopts the kept bucket; then a re-run changes nothing.
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    expect(mutatingCalls((await recordedDeploy(dir)).names)).toEqual([]);
  }, 300_000);

  it('keeps the database (with a snapshot), its secrets and its network (a VPC of its own, without its NAT gateway); --delete-data then removes them after a final snapshot; deploy recreates it', async () => {
    const {
      dir,
      app,
      secrets: asked,
    } = makeExampleApp('agencio-predict', (c) => {
      c.environments = { staging: {} };
      c.network = { vpc: 'create', nat: 'single', endpoints: ['s3', 'logs'] };
    });
    const env = ['--env', 'staging'];
    expectOk(await runCli(['--non-interactive', ...env], { cwd: dir, env: asked }));
    const id = readState(dir, 'staging').steps.rds.outputs.identifier ?? `${app}-staging`;

    // moto has no DeleteCacheSubnetGroup: a proxy answers it as AWS does, and records the order of the calls.
    const proxy = await motoWithGapsFilled();
    const viaProxy = proxy.env;
    const kept = await runCli(['destroy', '--non-interactive', '--yes', ...env], { cwd: dir, env: viaProxy });
    expectOk(kept);
    expect(kept.stdout).toMatch(new RegExp(`RDS instance ${id} \\(snapshot ${id}-destroy-\\d{14}\\): data`));
    expect(kept.stdout).toMatch(/They still cost about \$\d+\.\d\d\/month/);
    expect((await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]?.DBInstanceIdentifier).toBe(id);
    const snaps = (await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id, SnapshotType: 'manual' }))).DBSnapshots ?? [];
    expect(snaps.map((s) => s.DBSnapshotIdentifier)).toEqual([expect.stringMatching(new RegExp(`^${id}-destroy-\\d{14}$`))]);
    // moto leaves a deleted replication group "deleting" for ever; AWS removes it.
    const group = (await cache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: `${app}-staging` })).catch(() => undefined))
      ?.ReplicationGroups?.[0];
    expect(group?.Status ?? 'deleted').toMatch(/^(deleting|deleted)$/);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: `${app}/staging` }))).DeletedDate).toBeUndefined();
    expect(await groupsNamed(`${app}-staging-`)).toEqual([`${app}-staging-db`]);
    // The VPC stays while the database sits in it, and says so; its NAT gateway, Elastic IP and endpoints, billed by the hour, go.
    const vpc = await ownVpc(app, 'staging');
    expect(vpc?.CidrBlock).toMatch(/^10\.\d+\.0\.0\/16$/);
    expect(kept.stdout).toContain(`VPC ${vpc!.VpcId} (${vpc!.CidrBlock}) with its subnets, route tables and internet gateway`);
    expect(kept.stdout).toContain(`the kept database ${id} sits in its data subnets`);
    expect(await liveNats(vpc!.VpcId!)).toEqual([]);
    expect(
      ((await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc!.VpcId!] }] }))).VpcEndpoints ?? []).map((e) => e.State),
    ).toEqual(['deleted', 'deleted']);
    const order = proxy.seen.map((r) => r.action);
    expect(order.indexOf('DeleteReplicationGroup')).toBeGreaterThan(-1);
    expect(order.indexOf('DeleteCacheSubnetGroup')).toBeGreaterThan(order.indexOf('DeleteReplicationGroup'));

    const gone = await runCli(['destroy', '--non-interactive', '--yes', '--delete-data', ...env], { cwd: dir, env: viaProxy });
    expectOk(gone);
    expect(await exists(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))).toBe(false);
    const after = ((await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id, SnapshotType: 'manual' }))).DBSnapshots ?? []).map(
      (s) => s.DBSnapshotIdentifier,
    );
    expect(after).toContainEqual(expect.stringMatching(new RegExp(`^${id}-final-\\d{14}$`)));
    expect((await sm.send(new DescribeSecretCommand({ SecretId: `${app}/staging` }))).DeletedDate).toBeInstanceOf(Date);
    expect(await groupsNamed(`${app}-staging-`)).toEqual([]);
    expect(await ownVpc(app, 'staging')).toBeUndefined();
    expect(gone.stdout).toContain('Nothing was kept.');

    // Everything comes back (the app secret restored: --yes agrees to it). Without the cache: moto keeps a
    // deleted replication group "deleting" for ever, where AWS removes it within minutes.
    const path = join(dir, 'deploy-wizard.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    delete config.cache;
    writeFileSync(path, JSON.stringify(config));
    expectOk(await runCli(['--non-interactive', '--yes', ...env], { cwd: dir, env: asked }));
    expect((await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]?.DBInstanceStatus).toBe('available');
    const again = await ownVpc(app, 'staging');
    expect(await liveNats(again!.VpcId!)).toHaveLength(1);
  }, 400_000);

  it('takes down an app of several services, workers and schedules: every service, role and schedule, and the schedule group', async () => {
    const { dir, app } = makeApp(() => {}, 'whole-app');
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    const roles = async () => {
      const names: string[] = [];
      let Marker: string | undefined;
      do {
        const page = await iam.send(new ListRolesCommand({ Marker }));
        names.push(...(page.Roles ?? []).map((x) => x.RoleName!).filter((n) => n.startsWith(`${app}-`)));
        Marker = page.IsTruncated ? page.Marker : undefined;
      } while (Marker);
      return names.sort();
    };
    expect((await roles()).length).toBeGreaterThanOrEqual(3);
    // A scheduled run still going: destroy stops it rather than wait for the cluster to empty.
    const state = readState(dir);
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: `${app}-prod`,
        taskDefinition: state.steps.schedules.outputs.schedules['nightly-digest'].taskDefinitionArn,
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: { subnets: state.steps.network.outputs.subnetIds, securityGroups: [state.steps.network.outputs.securityGroups.tasks] },
        },
      }),
    );
    const r = await runCli(['destroy', '--non-interactive', '--yes', '--force'], { cwd: dir });
    expectOk(r);
    expect(r.stdout + r.stderr).toMatch(/1 running one-off task\(s\) in \S+ \(family:\S+--schedule-nightly-digest\)/);
    const after = (await ecs.send(new DescribeTasksCommand({ cluster: `${app}-prod`, tasks: [run.tasks![0]!.taskArn!] }))).tasks ?? [];
    expect(after.map((t) => [t.lastStatus, t.stoppedReason])).toEqual([['STOPPED', 'deploy-wizard destroy']]);
    expect(await roles()).toEqual([]);
    const active = (await ecs.send(new DescribeServicesCommand({ cluster: `${app}-prod`, services: [app, `${app}-api`, `${app}-worker`] }))).services ?? [];
    expect(active.filter((x) => x.status === 'ACTIVE')).toEqual([]);
    expect(await exists(scheduler.send(new GetScheduleGroupCommand({ Name: `${app}-prod` })))).toBe(false);
    expect(r.stdout).toContain('Nothing was kept.');
  }, 300_000);
});
