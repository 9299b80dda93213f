import { describe, expect, it } from 'vitest';
import {
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { DescribeDBSubnetGroupsCommand, DescribeOrderableDBInstanceOptionsCommand } from '@aws-sdk/client-rds';
import { vpc } from '../../steps/vpc/apply.js';
import { vpcEgress } from '../../steps/vpc-egress/apply.js';
import { manifests } from '../../steps/index.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { withLoadBalancer } from '../helpers/with-load-balancer.js';
import { destroyVpc } from '../../steps/vpc/teardown.js';
import { network } from '../../steps/network/apply.js';
import { rds } from '../../steps/rds/apply.js';
import { awsvpc } from '../../src/aws/ecs-helpers.js';
import { runTeardowns } from '../../src/pipeline/removed-steps.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';
import { DATABASE } from '../helpers/with-network.js';
import { configProblems } from '../helpers/config-problems.js';
import { pickCidr, subnetCidr } from '../../src/network/vpc-layout.js';
import type { StepContext } from '../../src/pipeline/context.js';

const FULL = { vpc: 'create', nat: 'single', endpoints: ['s3', 'ecr', 'logs', 'secretsmanager'] };

const ours = (app: string) => [
  { Name: 'tag:deploy-wizard:app', Values: [app] },
  { Name: 'tag:deploy-wizard:env', Values: ['prod'] },
];

/** moto's own state: the VPC, its subnets by tier, its route tables, NAT gateways and endpoints. */
async function census(ctx: StepContext, app: string) {
  const ec2 = ctx.aws.ec2;
  const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: ours(app) }))).Vpcs ?? [];
  const vpcId = vpcs[0]?.VpcId;
  const subnets = vpcId ? ((await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? []) : [];
  const tables: RouteTable[] = vpcId
    ? ((await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables ?? [])
    : [];
  const nats = vpcId
    ? ((await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [vpcId] }] }))).NatGateways ?? []).filter(
        (n: any) => n.State !== 'deleted',
      )
    : [];
  const endpoints = vpcId ? ((await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).VpcEndpoints ?? []) : [];
  const addresses = ((await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []).filter((a: any) =>
    a.Tags?.some((t: any) => t.Key === 'deploy-wizard:app' && t.Value === app),
  );
  const tier = (t: string) => subnets.filter((s: any) => s.Tags?.some((x: any) => x.Key === 'deploy-wizard:tier' && x.Value === t));
  const defaultRoute = (subnetId: string) =>
    tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId))?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  return { vpcs, vpcId, subnets, tier, tables, nats, endpoints, addresses, defaultRoute };
}

describe('vpc "create": a VPC of its own in three tiers', () => {
  it('plans the layout, builds it with one NAT gateway and the endpoints, places every part in its tier, and converges with no mutating call', async () => {
    const calls: string[] = [];
    const { ctx, app } = stepContext({ network: FULL, database: DATABASE, cache: {} }, { onCall: (c) => calls.push(c.command) });
    const [item] = await vpc.plan(ctx);
    expect(item).toMatchObject({ action: 'create', resource: `VPC ${app}-prod`, detail: '3 tiers × 2 AZs' });
    expect(item!.changes![0]).toMatch(/^10\.\d+\.0\.0\/16 in 2 AZs \(us-east-1a, us-east-1b\), one NAT gateway \(us-east-1a\)$/);
    expect(item!.changes![2]).toMatch(/^private \S+, \S+: services and one-off tasks \(no public IP, out through NAT\)$/);
    expect(item!.changes![3]).toMatch(/: database and cache \(no route to the internet\)$/);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    // The network step's plan before the VPC exists: its groups are new, nothing is looked up in a VPC that is not there.
    expect((await network.plan(ctx)).map((i) => i.action)).toEqual(['create', 'create', 'create', 'create']);

    const out = await vpc.apply(ctx);
    const c = await census(ctx, app);
    expect(c.vpcs).toHaveLength(1);
    expect(c.vpcs[0]!.CidrBlock).toBe(out.cidr);
    expect(c.subnets).toHaveLength(6);
    for (const t of ['public', 'private', 'data'])
      expect(
        c
          .tier(t)
          .map((s: any) => s.AvailabilityZone)
          .sort(),
      ).toEqual(['us-east-1a', 'us-east-1b']);
    expect(c.nats).toHaveLength(1);
    expect(out.publicSubnetIds).toContain(c.nats[0]!.SubnetId);
    expect(c.addresses.map((a: any) => a.AllocationId)).toEqual([c.nats[0]!.NatGatewayAddresses![0]!.AllocationId]);
    // Public routes to the internet gateway, private through the NAT gateway, data nowhere.
    for (const s of out.publicSubnetIds) expect(c.defaultRoute(s)?.GatewayId).toMatch(/^igw-/);
    for (const s of out.privateSubnetIds) expect(c.defaultRoute(s)?.NatGatewayId).toBe(c.nats[0]!.NatGatewayId);
    for (const s of out.dataSubnetIds) expect(c.defaultRoute(s)).toBeUndefined();
    // S3's gateway on the private route tables; ECR (API and registry), Logs and Secrets Manager in the private subnets.
    const byName = Object.fromEntries(c.endpoints.map((e) => [e.ServiceName!.split('.').slice(3).join('.'), e]));
    expect(Object.keys(byName).sort()).toEqual(['ecr.api', 'ecr.dkr', 'logs', 's3', 'secretsmanager']);
    expect(byName['s3']!.VpcEndpointType).toBe('Gateway');
    expect(byName['logs']!.SubnetIds!.sort()).toEqual([...out.privateSubnetIds].sort());
    expect((await vpc.verify!(ctx, out)).filter((x) => !x.ok)).toEqual([]);

    // The network step puts the load balancer in the public tier, the tasks in the private one with no public IP.
    ctx.output = ((id: string) => ({ vpc: out })[id]) as typeof ctx.output;
    const net = await network.apply(ctx);
    expect(net.vpcId).toBe(out.vpcId);
    expect([...net.loadBalancerSubnetIds!].sort()).toEqual([...out.publicSubnetIds].sort());
    expect(awsvpc(net).awsvpcConfiguration).toMatchObject({ subnets: out.privateSubnetIds, assignPublicIp: 'DISABLED' });
    expect(net.dataSubnetIds).toEqual(out.dataSubnetIds);
    ctx.output = ((id: string) => ({ vpc: out, network: net })[id]) as typeof ctx.output;
    await rds.apply(ctx);
    const group = (await ctx.aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: `${app}-prod` }))).DBSubnetGroups![0]!;
    expect(group.VpcId).toBe(out.vpcId);
    expect(group.Subnets!.map((s) => s.SubnetIdentifier).sort()).toEqual([...out.dataSubnetIds].sort());

    calls.length = 0;
    expect(await vpc.apply(ctx)).toEqual(out);
    expect(await vpc.preflight!(ctx)).toEqual([]);
    expect((await vpc.plan(ctx))[0]).toMatchObject({ action: 'keep', resource: `VPC ${out.vpcId}` });
    expect(calls.filter((x) => MUTATING.test(x))).toEqual([]);

    // The database exists: a destroy keeps the VPC it sits in, and says so; the NAT gateway and endpoints still go.
    const kept = await destroyVpc(ctx);
    expect(kept.at(-1)).toMatchObject({ keep: `the kept database ${app}-prod sits in its data subnets` });
    expect(kept.filter((t) => !t.keep).map((t) => t.resource.split(' ')[0])).toEqual(['VPC', 'NAT', 'Elastic', 'security']);
    // destroy: vpc-egress removes the way out first, the NAT gateways and endpoints deleted together, beside the
    // database (only the task definitions wait on that step); the vpc step then finds none of them left.
    const { destroyEgress } = await import('../../steps/vpc-egress/teardown.js');
    const { manifests } = await import('../../steps/index.js');
    const { dependentsOf } = await import('../../src/pipeline/teardown-order.js');
    const before = dependentsOf(manifests as never, 'vpc-egress', (m: any) => !!m.loadTeardown).map((m) => m.id);
    expect(before).toContain('task-definition');
    for (const slow of ['rds', 'elasticache', 'site', 'network']) expect(before).not.toContain(slow);
    const egress = await destroyEgress(ctx);
    expect(egress.map((t) => t.resource.split(' ')[0])).toEqual(['VPC', 'NAT', 'Elastic']);
    await runTeardowns(egress, 'destroy', { deleted: () => {} });
    const left = await census(ctx, app);
    expect(left.vpcs).toHaveLength(1);
    expect(left.addresses).toEqual([]);
    expect(left.nats.filter((n: any) => n.State !== 'deleted')).toEqual([]);
    expect(left.endpoints.filter((e: any) => !/^deleted$/i.test(e.State ?? ''))).toEqual([]);
    expect((await destroyVpc(ctx)).filter((t) => !t.keep).map((t) => t.resource.split(' ')[0])).toEqual(['security']);
  }, 120_000);

  it('moves NAT from one to one per AZ and to none, routes first; tasks go public without NAT and endpoints; destroy removes all of it', async () => {
    const { ctx, app } = stepContext({ network: { vpc: 'create', nat: 'per-az', azs: 2 } });
    const perAz = await vpc.apply(ctx);
    let c = await census(ctx, app);
    expect(c.nats).toHaveLength(2);
    for (const s of perAz.privateSubnetIds) {
      const nat = c.nats.find((n) => n.NatGatewayId === c.defaultRoute(s)?.NatGatewayId)!;
      const sub = c.subnets.find((x) => x.SubnetId === s)!;
      expect(c.subnets.find((x) => x.SubnetId === nat.SubnetId)!.AvailabilityZone, 'each AZ leaves through its own NAT gateway').toBe(sub.AvailabilityZone);
    }

    ctx.config = { ...ctx.config, network: { ...ctx.config.network!, nat: 'single' } };
    const [plan] = await vpc.plan(ctx);
    expect(plan!.action).toBe('update');
    expect(plan!.detail).toMatch(
      /route private-us-east-1b: 0\.0\.0\.0\/0 → nat-\S+ \(was nat-\S+\), delete NAT gateway nat-\S+ in us-east-1b \(no longer wanted\)/,
    );
    const single = await vpc.apply(ctx);
    c = await census(ctx, app);
    expect(c.nats).toHaveLength(1);
    expect(c.addresses).toHaveLength(1);
    expect(single.privateSubnetIds.map((s) => c.defaultRoute(s)?.NatGatewayId)).toEqual([c.nats[0]!.NatGatewayId, c.nats[0]!.NatGatewayId]);

    ctx.config = { ...ctx.config, network: { ...ctx.config.network!, nat: 'none' } };
    const none = await vpc.apply(ctx);
    c = await census(ctx, app);
    expect(c.nats).toEqual([]);
    expect(c.addresses).toEqual([]);
    for (const s of none.privateSubnetIds) expect(c.defaultRoute(s)).toBeUndefined();
    expect(none.tasksPrivate).toBe(false);
    ctx.output = ((id: string) => ({ vpc: none })[id]) as typeof ctx.output;
    const net = await network.apply(ctx);
    expect(awsvpc(net).awsvpcConfiguration).toMatchObject({ subnets: none.publicSubnetIds, assignPublicIp: 'ENABLED' });

    const items = await destroyVpc(ctx);
    expect(items.every((t) => !t.keep)).toBe(true);
    // The network step's groups go first in a real destroy; here they are the only thing left in the VPC but the wizard's own.
    const { destroyNetwork } = await import('../../steps/network/teardown.js');
    await runTeardowns(await destroyNetwork(ctx), 'destroy', { deleted: () => {} });
    await runTeardowns(items, 'destroy', { deleted: () => {} });
    c = await census(ctx, app);
    expect(c.vpcs).toEqual([]);
    expect(await destroyVpc(ctx)).toEqual([]);
  }, 120_000);
});

describe('the wait for NAT gateways and endpoints overlaps with the rest of the deploy', () => {
  it('a new VPC does not wait for its pending NAT gateway; vpc-egress does, and every step that starts tasks runs after it', async () => {
    const { ctx } = stepContext({ network: { vpc: 'create', endpoints: ['logs'] } });
    const { clock, sleeps } = fakeClock();
    ctx.clock = clock;
    // moto makes a NAT gateway available at once; AWS takes a minute or more. Reported pending for the first polls.
    let polls = 0;
    const real = ctx.aws.ec2.send.bind(ctx.aws.ec2);
    ctx.aws.ec2.send = (async (cmd: any) => {
      const res: any = await real(cmd);
      if (cmd instanceof DescribeNatGatewaysCommand && cmd.input.NatGatewayIds) {
        polls++;
        if (polls <= 3) res.NatGateways = res.NatGateways.map((n: any) => ({ ...n, State: 'pending' }));
      }
      return res;
    }) as typeof ctx.aws.ec2.send;
    const out = await vpc.apply(ctx);
    expect(polls, 'the vpc step asked about no NAT gateway by id: it did not wait').toBe(0);
    ctx.output = ((id: string) => ({ vpc: out })[id]) as typeof ctx.output;
    await vpcEgress.apply(ctx);
    expect(polls).toBe(4);
    expect(sleeps.length).toBe(3);
    // Every step that starts a task waits for vpc-egress, through the task definitions; the database and the build do not.
    const byId = Object.fromEntries(manifests.map((m) => [m.id, m]));
    const after = (id: string, target: string): boolean => byId[id]!.dependsOn.some((d) => d === target || after(d, target));
    for (const id of ['task-definition', 'pgvector', 'migrations', 'service', 'schedules']) expect(after(id, 'vpc-egress'), id).toBe(true);
    for (const id of ['network', 'rds', 'elasticache', 'ecr-push', 'load-balancer']) expect(after(id, 'vpc-egress'), id).toBe(false);
  });
});

describe('the AZs a created VPC uses', () => {
  it('are the first ones where RDS offers the database class; with none on record, the first ones of the region', async () => {
    const { ctx } = stepContext({ network: { vpc: 'create' }, database: DATABASE });
    // moto answers DescribeOrderableDBInstanceOptions for Aurora only (an empty list for postgres). Answered here as
    // the API reference shows it, each option with the AZs it is offered in:
    // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html
    const asked: unknown[] = [];
    const real = ctx.aws.rds.send.bind(ctx.aws.rds);
    ctx.aws.rds.send = (async (cmd: any) => {
      if (cmd instanceof DescribeOrderableDBInstanceOptionsCommand) {
        asked.push(cmd.input);
        return { OrderableDBInstanceOptions: [{ DBInstanceClass: 'db.t4g.micro', AvailabilityZones: [{ Name: 'us-east-1c' }, { Name: 'us-east-1b' }] }] };
      }
      return real(cmd);
    }) as typeof ctx.aws.rds.send;
    const [item] = await vpc.plan(ctx);
    expect(item!.changes![0]).toMatch(/ in 2 AZs \(us-east-1b, us-east-1c\)/);
    expect(asked[0]).toMatchObject({ Engine: 'postgres', EngineVersion: '16.4', DBInstanceClass: 'db.t4g.micro' });
    ctx.aws.rds.send = real as typeof ctx.aws.rds.send;
    expect((await vpc.plan(ctx))[0]!.changes![0]).toMatch(/ in 2 AZs \(us-east-1a, us-east-1b\)/);
  });
});

describe('vpc "create" in the config and beside what exists', () => {
  const problems = (network: Record<string, unknown>) => configProblems({ network });

  it('names the key: a layout key without "create", subnets with it, a range that is public, off its boundary or too small', () => {
    expect(problems({ nat: 'single' })).toMatch(/network\.nat: only with "vpc": "create"/);
    expect(problems({ vpc: 'vpc-0a', cidr: '10.1.0.0/16' })).toMatch(/network\.cidr: only with "vpc": "create"/);
    expect(problems({ vpc: 'create', subnetIds: ['subnet-0a', 'subnet-0b'] })).toMatch(/network\.subnetIds: not with "vpc": "create"/);
    expect(problems({ vpc: 'create', cidr: '52.1.0.0/16' })).toMatch(/network\.cidr: expected a private range/);
    expect(problems({ vpc: 'create', cidr: '10.1.2.0/16' })).toMatch(
      /network\.cidr: 10\.1\.2\.0\/16 does not start on a \/16 boundary; did you mean 10\.1\.0\.0\/16\?/,
    );
    expect(problems({ vpc: 'create', cidr: '10.1.0.0/24' })).toMatch(/network\.cidr: a VPC range here is \/16 to \/22/);
    expect(problems({ vpc: 'create', azs: 4 })).toMatch(/network\.azs/);
    expect(problems({ vpc: 'create', endpoints: ['s3', 'dynamodb'] })).toMatch(/network\.endpoints/);
    expect(problems({ vpc: 'create', cidr: '172.20.0.0/20', azs: 3, nat: 'per-az', endpoints: ['s3', 'ecr'] })).toBe('');
  });

  it('picks a /16 no VPC in the region uses, and lays the tiers out in fixed blocks', () => {
    expect(pickCidr(['172.31.0.0/16', '10.20.0.0/16', '10.21.128.0/20'])).toBe('10.22.0.0/16');
    expect(['public', 'private', 'data'].map((t) => subnetCidr('10.20.0.0/16', t as never, 1))).toEqual(['10.20.16.0/20', '10.20.80.0/20', '10.20.144.0/20']);
    expect(subnetCidr('192.168.4.0/22', 'data', 2)).toBe('192.168.6.128/26');
  });

  it('a load balancer deployed in the default VPC is not moved half way: the network preflight refuses it before the VPC is made, and says how to move', async () => {
    const { ctx, app, lb } = await withLoadBalancer({});
    expect(await network.preflight!(ctx)).toEqual([]);
    ctx.config = { ...ctx.config, network: { vpc: 'create' } };
    const [moved] = await network.preflight!(ctx);
    expect(moved).toBe(
      `network.vpc: the load balancer ${app}-prod and its target groups sit in ${lb.VpcId}; the config moves the app to a new VPC, and neither can change VPC. ` +
        'To move: run deploy-wizard destroy (data is kept unless --delete-data), then deploy; or deploy the new network as a new env (--env) and switch traffic to it; or keep network.vpc as it was',
    );
  });

  it('a database deployed in the default VPC is not moved into a new one: the preflight refuses it, naming network.vpc', async () => {
    const { ctx, app } = stepContext({ database: DATABASE });
    const net = await network.apply(ctx);
    ctx.output = ((id: string) => ({ network: net })[id]) as typeof ctx.output;
    await rds.apply(ctx);
    ctx.config = { ...ctx.config, network: { vpc: 'create' } };
    const [moved] = await rds.preflight!(ctx);
    expect(moved).toMatch(
      new RegExp(`^network\\.vpc: the database ${app}-prod sits in ${net.vpcId} .*; the config moves it to a new VPC, which would make it again, empty`),
    );
    // The vpc step's own preflight has nothing against it: the refusal is the database's, before anything is made.
    expect(await vpc.preflight!(ctx)).toEqual([]);
  });
});
