import { DescribeSubnetsCommand, DescribeVpcsCommand, type EC2Client, type Filter, type Subnet, type Vpc } from '@aws-sdk/client-ec2';
import type { Tier } from '../network/vpc-layout.js';

type Who = { app: string; env: string };

/** EC2 filters for what carries this app's and env's ownership tags, and these other tags. */
export function ownedFilters(who: Who, tags: Record<string, string> = {}): Filter[] {
  return Object.entries({ 'deploy-wizard:app': who.app, 'deploy-wizard:env': who.env, ...tags }).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));
}

/** The VPC `network.vpc: "create"` made for this app and env, found by its tags (EC2 makes the id), or undefined. */
export async function findOwnVpc(ec2: EC2Client, who: Who): Promise<Vpc | undefined> {
  const res = await ec2.send(new DescribeVpcsCommand({ Filters: ownedFilters(who, { 'deploy-wizard:step': 'vpc' }) }));
  return res.Vpcs?.[0];
}

/** Its subnets by tier, each tier in AZ order. */
export async function ownSubnets(ec2: EC2Client, who: Who, vpcId: string): Promise<Record<Tier, Subnet[]>> {
  const res = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, ...ownedFilters(who)] }));
  const tierOf = (s: Subnet) => s.Tags?.find((t) => t.Key === 'deploy-wizard:tier')?.Value;
  const of = (tier: Tier) => (res.Subnets ?? []).filter((s) => tierOf(s) === tier).sort((a, b) => a.AvailabilityZone!.localeCompare(b.AvailabilityZone!));
  return { public: of('public'), private: of('private'), data: of('data') };
}
