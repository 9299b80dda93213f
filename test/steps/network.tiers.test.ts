import { describe, expect, it } from 'vitest';
import { DescribeDBSubnetGroupsCommand } from '@aws-sdk/client-rds';
import { network } from '../../steps/network/apply.js';
import { rds } from '../../steps/rds/apply.js';
import { awsvpc } from '../../src/aws/ecs-helpers.js';
import { stepContext } from '../helpers/step-context.js';
import { vpcWith } from '../helpers/vpc.js';
import { DATABASE } from '../helpers/with-network.js';
import { configProblems } from '../helpers/config-problems.js';

const ENDPOINTS = ['ecr.api', 'ecr.dkr', 's3', 'logs', 'secretsmanager'];

/** A VPC with three tiers in two AZs: public (routed to an internet gateway), private and data (no route out; endpoints for the tasks). */
async function tiered(endpoints = ENDPOINTS) {
  const { vpc, ids } = await vpcWith(
    [
      { az: 'us-east-1a', public: true },
      { az: 'us-east-1b', public: true },
      { az: 'us-east-1a', public: false },
      { az: 'us-east-1b', public: false },
      { az: 'us-east-1a', public: false },
      { az: 'us-east-1b', public: false },
    ],
    { endpoints },
  );
  return { vpc, pub: ids.slice(0, 2), priv: ids.slice(2, 4), data: ids.slice(4, 6), ids };
}

describe('an existing VPC in tiers: the load balancer public, the tasks private, the data where nothing routes', () => {
  it('places each part in its tier; the plan says where; the database subnet group is the data tier', async () => {
    const t = await tiered();
    const { ctx } = stepContext({
      network: { vpcId: t.vpc, publicSubnetIds: t.pub, privateSubnetIds: t.priv, dataSubnetIds: t.data },
      database: DATABASE,
    });
    expect(await network.preflight!(ctx)).toEqual([]);
    const [vpcItem] = await network.plan(ctx);
    expect(vpcItem!.changes).toEqual([
      `load balancer in ${t.pub.join(', ')} (public)`,
      `services and one-off tasks in ${t.priv.join(', ')} (no public IP)`,
      `database in ${t.data.join(', ')} (data tier, no route to the internet)`,
    ]);
    const net = await network.apply(ctx);
    expect(net).toMatchObject({ loadBalancerSubnetIds: t.pub, taskSubnetIds: t.priv, dataSubnetIds: t.data });
    expect(awsvpc(net).awsvpcConfiguration).toMatchObject({ subnets: t.priv, assignPublicIp: 'DISABLED' });

    ctx.output = ((id: string) => ({ network: net })[id]) as typeof ctx.output;
    await rds.apply(ctx);
    const group = (await ctx.aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: `${ctx.app}-prod` }))).DBSubnetGroups![0]!;
    expect(group.Subnets!.map((s) => s.SubnetIdentifier).sort()).toEqual([...t.data].sort());

    // Moving the deployed database to other subnets, or another VPC, would make it again: refused before anything changes, saying how to move.
    expect(await rds.preflight!(ctx)).toEqual([]);
    ctx.config = { ...ctx.config, network: { ...ctx.config.network!, dataSubnetIds: undefined, privateSubnetIds: t.priv } };
    const [moved] = await rds.preflight!(ctx);
    expect(moved).toMatch(
      new RegExp(
        `^network\\.privateSubnetIds: the database ${ctx.app}-prod sits in ${t.vpc} \\(${[...t.data].sort().join(', ')}\\); the config moves it to ${t.priv.join(', ')}`,
      ),
    );
    expect(moved).toContain('deploy the new network as a new env (--env)');
    ctx.config = { ...ctx.config, network: { ...ctx.config.network!, vpcId: 'vpc-0123456789abcdef0', privateSubnetIds: t.priv, dataSubnetIds: t.data } };
    expect((await rds.preflight!(ctx))[0]).toMatch(/^network\.vpcId: the database .* the config moves it to vpc-0123456789abcdef0/);
  });

  it('refuses, before anything is made: a data subnet routed to the internet, a "public" one that is not, private ones tasks cannot leave', async () => {
    const t = await tiered([]);
    const { ctx } = stepContext({
      network: { vpcId: t.vpc, publicSubnetIds: [t.pub[0]!, t.priv[0]!], privateSubnetIds: [t.priv[1]!, t.data[0]!], dataSubnetIds: [t.data[1]!, t.pub[1]!] },
    });
    const problems = await network.preflight!(ctx);
    expect(problems).toContainEqual(`network.publicSubnetIds: ${t.priv[0]} has no route to an internet gateway; the load balancer needs public subnets`);
    expect(problems).toContainEqual(`network.dataSubnetIds: ${t.pub[1]} routes to an internet gateway; the data tier must have no route to the internet`);
    expect(problems.find((p) => p.startsWith('network.privateSubnetIds:'))).toMatch(/no route to a NAT gateway.*com\.amazonaws\.us-east-1\.ecr\.dkr/);
  });

  it('without tiers nothing moves: tasks and data use every subnet, as before', async () => {
    const t = await tiered();
    const { ctx } = stepContext({ network: { vpcId: t.vpc, subnetIds: t.ids } });
    const net = await network.apply(ctx);
    expect(net.taskSubnetIds).toEqual(net.subnetIds);
    expect(net.dataSubnetIds).toEqual(net.subnetIds);
  });
});

describe('subnet tiers in the config', () => {
  const problems = (network: Record<string, unknown>) => configProblems({ network });
  const [a, b, c, d] = ['subnet-0a', 'subnet-0b', 'subnet-0c', 'subnet-0d'];

  it('names the key: tiers with subnetIds, tiers without the public one or the VPC, a subnet in two tiers', () => {
    expect(problems({ vpcId: 'vpc-01', subnetIds: [a, b], publicSubnetIds: [a, b] })).toMatch(/network\.subnetIds: give subnetIds or the tiers/);
    expect(problems({ vpcId: 'vpc-01', privateSubnetIds: [c, d] })).toMatch(/network\.publicSubnetIds: needed with privateSubnetIds/);
    expect(problems({ publicSubnetIds: [a, b] })).toMatch(/network\.vpcId: needed with subnet tiers/);
    expect(problems({ vpcId: 'vpc-01', publicSubnetIds: [a, b], privateSubnetIds: [b, c] })).toMatch(
      /network\.privateSubnetIds: subnet-0b is in publicSubnetIds too/,
    );
    expect(problems({ vpcId: 'vpc-01', publicSubnetIds: [a, b], privateSubnetIds: [c, d] })).toBe('');
  });
});
