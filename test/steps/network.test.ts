import { describe, expect, it } from 'vitest';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { network } from '../../steps/network/apply.js';
import { stepContext, MUTATING } from '../helpers/step-context.js';
import { StepError } from '../../src/errors.js';
import { DATABASE, withNetwork } from '../helpers/with-network.js';

async function group(ctx: ReturnType<typeof stepContext>['ctx'], id: string) {
  return (await ctx.aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups![0]!;
}

describe('network against moto', () => {
  it('uses the default VPC and makes four locked-down groups: db and cache admit only the tasks group', async () => {
    const { ctx, net, app } = await withNetwork({ database: DATABASE, cache: {} });
    const vpc = (await ctx.aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!;
    expect(net.vpcId).toBe(vpc.VpcId);
    expect(net.availabilityZones.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(net.securityGroups).sort()).toEqual(['cache', 'db', 'lb', 'tasks']);

    const lb = await group(ctx, net.securityGroups.lb);
    expect(lb.GroupName).toBe(`${app}-prod-lb`);
    // No certificate, so no 443: a port is opened only when something serves on it.
    expect(lb.IpPermissions!.map((p) => [p.FromPort, p.IpRanges?.map((r) => r.CidrIp)]).sort()).toEqual([[80, ['0.0.0.0/0']]]);
    const only = async (id: string, port: number, source: string) => {
      const g = await group(ctx, id);
      expect(g.IpPermissions).toHaveLength(1);
      const p = g.IpPermissions![0]!;
      expect([p.FromPort, p.ToPort, p.IpProtocol]).toEqual([port, port, 'tcp']);
      expect(p.IpRanges ?? []).toEqual([]);
      expect(p.Ipv6Ranges ?? []).toEqual([]);
      expect(p.UserIdGroupPairs!.map((u) => u.GroupId)).toEqual([source]);
      expect(g.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'deploy-wizard:app', Value: app },
          { Key: 'deploy-wizard:step', Value: 'network' },
        ]),
      );
    };
    await only(net.securityGroups.tasks, 8080, net.securityGroups.lb);
    await only(net.securityGroups.db!, 5432, net.securityGroups.tasks);
    await only(net.securityGroups.cache!, 6379, net.securityGroups.tasks);
  });

  it('converges: a second run makes no mutating call; a stray rule in its own group is removed', async () => {
    const calls: string[] = [];
    const { ctx, net } = await withNetwork({ database: DATABASE }, { onCall: (c) => calls.push(c.command) });
    calls.length = 0;
    const again = await network.apply(ctx);
    expect(again.securityGroups).toEqual(net.securityGroups);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    expect((await network.verify(ctx, again)).every((c) => c.ok)).toBe(true);

    await ctx.aws.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: net.securityGroups.db,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    expect((await network.verify(ctx, again)).find((c) => !c.ok)?.detail).toMatch(/remove tcp 5432:0\.0\.0\.0\/0/);
    await network.apply(ctx);
    expect((await group(ctx, net.securityGroups.db!)).IpPermissions!.flatMap((p) => p.IpRanges ?? [])).toEqual([]);
  });

  it('refuses subnets that span one availability zone, naming the fix', async () => {
    const { ctx } = stepContext({});
    const vpc = (await ctx.aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }))).Vpc!.VpcId!;
    const az = (await ctx.aws.ec2.send(new DescribeSubnetsCommand({}))).Subnets![0]!.AvailabilityZone!;
    const s1 = (await ctx.aws.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.42.1.0/24', AvailabilityZone: az }))).Subnet!.SubnetId!;
    const s2 = (await ctx.aws.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.42.2.0/24', AvailabilityZone: az }))).Subnet!.SubnetId!;
    ctx.config.network = { vpc: 'default', vpcId: vpc, subnetIds: [s1, s2] };
    const err = await network.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(/span 1 availability zone/);
    expect(err.hint).toMatch(/network\.subnetIds/);
  });
});
