import { describe, expect, it } from 'vitest';
import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBProxiesCommand, DescribeDBProxyTargetsCommand, RDSClient } from '@aws-sdk/client-rds';
import { makeApp, makeExampleApp, readState, runCli, standinLogs } from '../helpers/cli.js';
import { secretJson } from '../helpers/read-back.js';

const ec2 = () => new EC2Client({ region: 'us-east-1' });
const mine = (app: string) => (tags: Tag[] | undefined) => !!tags?.some((t) => t.Key === 'deploy-wizard:app' && t.Value === app);

/** Everything of the VPC step that could be made twice, counted from moto's own state by the app's tags. */
async function census(app: string) {
  const c = ec2();
  const ours = mine(app);
  const vpcs = ((await c.send(new DescribeVpcsCommand({}))).Vpcs ?? []).filter((v) => ours(v.Tags));
  const inVpc = vpcs.length ? [{ Name: 'vpc-id', Values: vpcs.map((v) => v.VpcId!) }] : undefined;
  const count = async <T extends { Tags?: Tag[] }>(items: Promise<T[] | undefined>, keep: (x: T) => boolean = () => true) =>
    ((await items) ?? []).filter((x) => ours(x.Tags) && keep(x)).length;
  return {
    vpcs: vpcs.length,
    subnets: inVpc ? await count(c.send(new DescribeSubnetsCommand({ Filters: inVpc })).then((r) => r.Subnets)) : 0,
    internetGateways: await count(c.send(new DescribeInternetGatewaysCommand({})).then((r) => r.InternetGateways)),
    attached: vpcs.length
      ? ((await c.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcs[0]!.VpcId!] }] }))).InternetGateways ?? [])
          .length
      : 0,
    elasticIps: await count(c.send(new DescribeAddressesCommand({})).then((r) => r.Addresses)),
    natGateways: inVpc
      ? await count(
          c.send(new DescribeNatGatewaysCommand({ Filter: inVpc })).then((r) => r.NatGateways),
          (n) => n.State !== 'deleted',
        )
      : 0,
    routeTables: inVpc ? await count(c.send(new DescribeRouteTablesCommand({ Filters: inVpc })).then((r) => r.RouteTables)) : 0,
    endpoints: inVpc ? await count(c.send(new DescribeVpcEndpointsCommand({ Filters: inVpc })).then((r) => r.VpcEndpoints)) : 0,
  };
}

// Two AZs: 6 subnets; route tables public, data and one private per AZ; the S3 gateway and the Logs interface endpoint.
const ONCE = { vpcs: 1, subnets: 6, internetGateways: 1, attached: 1, elasticIps: 1, natGateways: 1, routeTables: 4, endpoints: 2 };

/** Each kind of create call the vpc step makes (by name: steps run concurrently, so positions vary). */
const KILL_AFTER = [
  'EC2:CreateVpc',
  'EC2:ModifyVpcAttribute',
  'EC2:CreateInternetGateway',
  'EC2:AttachInternetGateway',
  'EC2:CreateSubnet',
  'EC2:AllocateAddress',
  'EC2:CreateNatGateway',
  'EC2:CreateRouteTable',
  'EC2:CreateRoute',
  'EC2:AssociateRouteTable',
  'EC2:CreateVpcEndpoint',
];

describe('kill at each create call of a VPC of its own (network.vpc "create")', () => {
  it('a run SIGKILLed right after each kind of create, each resuming the last, then one that completes: one of everything', async () => {
    // One app, its runs chained: each is killed right after the next kind of create, having adopted what the
    // killed runs before it made (every resume is a run after a kill). Only the last deploys the rest.
    const { dir, app } = makeApp((c) => {
      c.network = { vpc: 'create', nat: 'single', endpoints: ['s3', 'logs'] };
      delete c.buckets;
    });
    for (const call of KILL_AFTER) {
      const killed = await runCli(['deploy', '--non-interactive', '--verbose'], { cwd: dir, env: { DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: call } });
      expect(killed.signal, `${call}: ${killed.stderr.slice(-2000)}`).toBe('SIGKILL');
      expect(killed.stderr.trim().split('\n').pop(), 'killed right after the call').toBe(`aws ${call.replace(':', ' ')}`);
      const c = await census(app);
      for (const [k, n] of Object.entries(c)) expect(n, `${call}: ${k}`).toBeLessThanOrEqual(ONCE[k as keyof typeof ONCE]);
    }
    const rerun = await runCli(['deploy', '--non-interactive'], { cwd: dir });
    if (rerun.code !== 0) throw new Error(`re-run exit ${rerun.code}\n${rerun.stderr}\n${standinLogs()}`);
    expect(Object.values(readState(dir).steps).every((s: any) => s.status === 'done')).toBe(true);
    expect(await census(app)).toEqual(ONCE);
  }, 600_000);
});

/** The Aurora cluster, its instances, the proxy and its targets, counted from moto's own state. */
async function dataCensus(app: string) {
  const rds = new RDSClient({ region: 'us-east-1' });
  const clusters = ((await rds.send(new DescribeDBClustersCommand({}))).DBClusters ?? []).filter((c) => c.DBClusterIdentifier === `${app}-prod`);
  const instances = ((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).filter((i) => i.DBClusterIdentifier === `${app}-prod`);
  const proxies = ((await rds.send(new DescribeDBProxiesCommand({}))).DBProxies ?? []).filter((p) => p.DBProxyName === `${app}-prod`);
  const targets = proxies.length ? ((await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: `${app}-prod` }))).Targets ?? []).length : 0;
  return { clusters: clusters.length, instances: instances.length, proxies: proxies.length, targets };
}

describe('kill at each create call of an Aurora cluster behind RDS Proxy', () => {
  it('runs SIGKILLed right after the cluster, an instance, the proxy and its target, each resuming the last, then one that completes: one of each, the same password', async () => {
    const { dir, app, secrets } = makeExampleApp('agencio-predict', (c) => {
      Object.assign(c.database, { engine: 'aurora-postgresql', serverless: { minAcu: 0.5, maxAcu: 2 }, readers: 1, proxy: true });
      // The database and what uses it: no cache, buckets or user pool to make on every run.
      delete c.cache;
      delete c.buckets;
      delete c.auth;
    });
    let password: string | undefined;
    for (const call of ['RDS:CreateDBCluster', 'RDS:CreateDBInstance', 'RDS:CreateDBProxy', 'RDS:RegisterDBProxyTargets']) {
      const killed = await runCli(['deploy', '--non-interactive', '--verbose'], { cwd: dir, env: { ...secrets, DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: call } });
      expect(killed.signal, `${call}: ${killed.stderr.slice(-2000)}`).toBe('SIGKILL');
      password ??= (await secretJson(`${app}/prod/rds-master`)).password;
      const c = await dataCensus(app);
      expect(c.clusters, call).toBe(1);
      expect(c.proxies, call).toBeLessThanOrEqual(1);
      expect(c.instances, call).toBeLessThanOrEqual(2);
    }
    const rerun = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: secrets });
    if (rerun.code !== 0) throw new Error(`re-run exit ${rerun.code}\n${rerun.stderr}\n${standinLogs()}`);
    expect(await dataCensus(app)).toEqual({ clusters: 1, instances: 2, proxies: 1, targets: 1 });
    expect((await secretJson(`${app}/prod/rds-master`)).password).toBe(password);
  }, 600_000);
});
