import { describe, expect, it } from 'vitest';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { CognitoIdentityProviderClient, ListUserPoolClientsCommand, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ECSClient, ListServicesCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeExampleApp, readState, runCli, standinLogs } from '../helpers/cli.js';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
import { elbName } from '../../src/aws/names.js';
import { killPoints } from '../helpers/kill-points.js';

const region = { region: 'us-east-1' };
/** None of that name: an empty answer; anything else fails the test. */
const notFound =
  <T>(empty: T) =>
  (e: Error): T => {
    if (/NotFound/.test(e.name)) return empty;
    throw e;
  };

/** Every resource of one app that could be created twice, counted from moto's own state. */
async function census(app: string) {
  const name = `${app}-prod`;
  const sgs =
    (
      await new EC2Client(region).send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['lb', 'tasks', 'db', 'cache'].map((r) => `${name}-${r}`) }] }),
      )
    ).SecurityGroups ?? [];
  const dbs = ((await new RDSClient(region).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).filter((d) => d.DBInstanceIdentifier === name);
  const caches = ((await new ElastiCacheClient(region).send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups ?? []).filter(
    (g) => g.ReplicationGroupId === name,
  );
  const idp = new CognitoIdentityProviderClient(region);
  const pools = ((await idp.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? []).filter((p) => p.Name === name);
  let clients = 0;
  for (const p of pools) clients += ((await idp.send(new ListUserPoolClientsCommand({ UserPoolId: p.Id, MaxResults: 60 }))).UserPoolClients ?? []).length;
  const elb = new ElasticLoadBalancingV2Client(region);
  // Asked by name: a listing of every load balancer is paginated across all the tests' apps.
  const lbs = (await elb.send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] })).catch(notFound({ LoadBalancers: [] }))).LoadBalancers ?? [];
  const tgs = (await elb.send(new DescribeTargetGroupsCommand({ Names: [elbName(app, 'prod')] })).catch(notFound({ TargetGroups: [] }))).TargetGroups ?? [];
  let listeners = 0;
  for (const l of lbs) listeners += ((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: l.LoadBalancerArn }))).Listeners ?? []).length;
  const ecs = new ECSClient(region);
  const services = (await ecs.send(new ListServicesCommand({ cluster: name })).catch(() => ({ serviceArns: [] }))).serviceArns ?? [];
  const revisions =
    (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `${name}-web` }))).taskDefinitionArns?.filter((a) => a.includes(`/${name}-web:`)) ?? [];
  const buckets = ((await new S3Client({ ...region, forcePathStyle: true }).send(new ListBucketsCommand({}))).Buckets ?? []).filter((b) =>
    b.Name!.startsWith(`${app}-`),
  );
  const sm = new SecretsManagerClient(region);
  const versions = async (id: string) => ((await sm.send(new ListSecretVersionIdsCommand({ SecretId: id }))).Versions ?? []).length;
  return {
    securityGroups: sgs.length,
    dbInstances: dbs.length,
    replicationGroups: caches.length,
    userPools: pools.length,
    userPoolClients: clients,
    loadBalancers: lbs.length,
    targetGroups: tgs.length,
    listeners,
    services: services.length,
    taskDefinitionRevisions: revisions.length,
    buckets: buckets.length,
    masterPasswordVersions: await versions(`${app}/prod/rds-master`),
    appRolePasswordVersions: await versions(`${app}/prod/db-app`),
    authTokenVersions: await versions(`${app}/prod/redis-auth`),
    appSecretVersions: await versions(`${app}/prod`),
  };
}

const ONCE = {
  securityGroups: 4,
  dbInstances: 1,
  replicationGroups: 1,
  userPools: 1,
  userPoolClients: 1,
  loadBalancers: 1,
  targetGroups: 1,
  listeners: 1,
  services: 1,
  taskDefinitionRevisions: 1,
  buckets: 3,
  masterPasswordVersions: 1,
  appRolePasswordVersions: 1,
  authTokenVersions: 1,
};

describe('kill at every mutating call (the largest example, agencio-predict)', () => {
  it('after SIGKILL right after any mutating call, a re-run completes with no duplicate of anything and the same generated credentials', async () => {
    // The calls of one full deploy: the kill points.
    const probe = makeExampleApp('agencio-predict');
    const recorded = await recordedDeploy(probe.dir, probe.secrets);
    expect(recorded.code).toBe(0);
    const total = mutatingCalls(recorded.names).length;
    expect(total).toBeGreaterThan(30);
    expect(await census(probe.app)).toMatchObject(ONCE);

    // Every point with FAULTS=all; otherwise a fixed sample of twelve, spread over the run.
    const points = killPoints(total, 12);
    const covered: string[] = [];
    for (const point of points) {
      const { dir, app, secrets } = makeExampleApp('agencio-predict');
      const killed = await runCli(['deploy', '--non-interactive', '--verbose'], {
        cwd: dir,
        env: { ...secrets, DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: String(point) },
      });
      expect(killed.signal, `point ${point}: ${killed.stderr.slice(-2000)}`).toBe('SIGKILL');
      const last = killed.stderr
        .split('\n')
        .filter(
          (l) =>
            /^aws \S+ \S+$/.test(l) &&
            /^(Create|Put|Delete|Update|Modify|Register|Run|Tag|Attach|Detach|Set|Restore|Authorize|Revoke|Upload|Initiate|Complete|Batch|Increase|Decrease|Request|Import)/.test(
              l.split(' ')[2]!,
            ),
        )
        .pop();
      covered.push(`${point}: ${last?.replace(/^aws /, '') ?? '?'}`);
      const rerun = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: secrets });
      if (rerun.code !== 0) throw new Error(`point ${point} (${last}): re-run exit ${rerun.code}\n${rerun.stderr}\n${standinLogs()}`);
      const state = readState(dir);
      expect(
        Object.values(state.steps).every((s: any) => s.status === 'done'),
        `point ${point}`,
      ).toBe(true);
      const c = await census(app);
      expect(c, `point ${point} (${last})`).toMatchObject(ONCE);
      expect(c.appSecretVersions, `point ${point}`).toBeLessThanOrEqual(2);
    }
    console.log(`kill points covered: ${points.length} of ${total} mutating calls\n  ${covered.join('\n  ')}`);
    expect(points.length).toBeGreaterThanOrEqual(process.env.FAULTS === 'all' ? total : 10);
  }, 1_800_000);
});

describe('kill at mutating calls with the state in S3', () => {
  it("after SIGKILL right after any of 3 sampled mutating calls (state writes included), a re-run on the same machine takes the dead run's lock at once and completes with no duplicate", async () => {
    const bucket = `dw-kill-${Date.now().toString(36)}`;
    await new S3Client({ ...region, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
    const env = (secrets: Record<string, string>) => ({ ...secrets, DEPLOY_WIZARD_STATE: `s3://${bucket}/ledger/` });
    const probe = makeExampleApp('agencio-predict');
    const recorded = await recordedDeploy(probe.dir, env(probe.secrets));
    expect(recorded.code).toBe(0);
    const total = mutatingCalls(recorded.names).length;
    expect(recorded.names.filter((n) => n === 'State:PutObject').length).toBeGreaterThan(10);
    for (const point of killPoints(total, 3)) {
      const { dir, app, secrets } = makeExampleApp('agencio-predict');
      const killed = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { ...env(secrets), DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: String(point) } });
      expect(killed.signal, `point ${point}: ${killed.stderr.slice(-2000)}`).toBe('SIGKILL');
      const rerun = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: env(secrets) });
      if (rerun.code !== 0) throw new Error(`point ${point}: re-run exit ${rerun.code}\n${rerun.stderr}\n${standinLogs()}`);
      expect(existsSync(join(dir, '.deploy-wizard', 'prod.state.json'))).toBe(false);
      const c = await census(app);
      expect(c, `point ${point}`).toMatchObject(ONCE);
    }
  }, 1_800_000);
});
