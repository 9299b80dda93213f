import {
  DeleteNatGatewayCommand,
  DeleteVpcEndpointsCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  DescribeVpcEndpointsCommand,
  ReleaseAddressCommand,
  type Address,
  type NatGateway,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { StepContext } from '../pipeline/context.js';
import { ownedBy, tagOf, type Teardown } from '../pipeline/step.js';
import { unlessNotFound } from '../aws/not-found.js';
import { retryWhileInUse } from '../aws/retry-in-use.js';
import { waitFor } from '../wait.js';

// A created VPC's way out: its NAT gateways with their Elastic IPs, and its interface endpoints. The vpc step makes
// them; destroy removes them in the vpc-egress step, as soon as the tasks that used them are gone and beside the
// database's deletion (a database never uses them), and the vpc step removes any a resumed run finds left.

/** Our NAT gateways in the VPC that are, or are becoming, usable (a failed or deleted one is AWS's to forget). */
export async function ourNats(ctx: StepContext, vpcId: string): Promise<NatGateway[]> {
  const res = await ctx.aws.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  return (res.NatGateways ?? []).filter((n) => ownedBy(ctx, n.Tags) && (n.State === 'pending' || n.State === 'available'));
}

/** Our Elastic IPs for NAT gateways (tag filters are applied here: Elastic IPs are few). */
export async function ourAddresses(ctx: StepContext): Promise<Address[]> {
  const res = await ctx.aws.ec2.send(new DescribeAddressesCommand({}));
  return (res.Addresses ?? []).filter((a) => ownedBy(ctx, a.Tags) && tagOf(a.Tags, 'deploy-wizard:step') === 'vpc');
}

/** Deletes one NAT gateway and waits until it is gone: its Elastic IP cannot be released before. */
export async function deleteNat(ctx: StepContext, natId: string): Promise<void> {
  await unlessNotFound(ctx.aws.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: natId })), 'NatGatewayNotFound', 'InvalidNatGatewayID.NotFound');
  await waitFor({
    stepId: 'vpc',
    what: `NAT gateway ${natId} to be deleted`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 15 * 60_000,
    typical: '1 min',
    onStatus: (l) => ctx.log.info(l),
    poll: async () => {
      const res = await unlessNotFound(ctx.aws.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] })), 'NatGatewayNotFound');
      const state = res?.NatGateways?.[0]?.State ?? 'deleted';
      return { done: state === 'deleted', status: state };
    },
  });
}

export async function releaseAddress(ctx: StepContext, allocationId: string): Promise<void> {
  await unlessNotFound(ctx.aws.ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId })), 'InvalidAllocationID.NotFound');
}

export async function ourEndpoints(ctx: StepContext, vpcId: string): Promise<VpcEndpoint[]> {
  const res = await ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  return (res.VpcEndpoints ?? []).filter((e) => ownedBy(ctx, e.Tags) && !/^delet/i.test(e.State ?? ''));
}

export async function deleteEndpoints(ctx: StepContext, ids: string[]): Promise<void> {
  await ctx.aws.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ids }));
  // Their network interfaces go a while after: the subnets and the group cannot be deleted before.
  await waitFor({
    stepId: 'destroy',
    what: 'VPC endpoints to be deleted',
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 15 * 60_000,
    onStatus: (l) => ctx.log.info(l),
    poll: async () => {
      const res = await unlessNotFound(ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ids })), 'InvalidVpcEndpointId.NotFound');
      const left = (res?.VpcEndpoints ?? []).filter((e) => !/^deleted$/i.test(e.State ?? '')).length;
      return { done: left === 0, status: left ? `${left} deleting` : 'deleted' };
    },
  });
}

/** What EC2 says while a VPC resource is still held by one being deleted. */
export const IN_USE = ['DependencyViolation', 'InvalidIPAddress.InUse', 'AuthFailure'];

/**
 * The NAT gateways, the endpoints and the Elastic IPs, as destroy lists them. The gateways and the endpoints are
 * deleted together (each takes a minute or more to go, and neither waits for the other): the first of their items
 * starts every deletion and each item waits for all of them. The Elastic IPs go once their gateways have.
 */
export async function egressTeardown(ctx: StepContext, vpcId: string): Promise<Teardown[]> {
  const items: Teardown[] = [];
  const endpoints = await ourEndpoints(ctx, vpcId);
  const nats = await ourNats(ctx, vpcId);
  let all: Promise<unknown> | undefined;
  const together = async () =>
    void (await (all ??= Promise.all([
      ...(endpoints.length
        ? [
            deleteEndpoints(
              ctx,
              endpoints.map((e) => e.VpcEndpointId!),
            ),
          ]
        : []),
      ...nats.map((n) => deleteNat(ctx, n.NatGatewayId!)),
    ])));
  if (endpoints.length)
    items.push({ resource: `VPC endpoints ${endpoints.map((e) => e.ServiceName!.split('.').slice(3).join('.')).join(', ')}`, remove: together });
  for (const n of nats) items.push({ resource: `NAT gateway ${n.NatGatewayId} (${tagOf(n.Tags, 'deploy-wizard:nat-az') ?? n.SubnetId})`, remove: together });
  for (const a of await ourAddresses(ctx))
    items.push({
      resource: `Elastic IP ${a.PublicIp}`,
      // Released once its NAT gateway's deletion has let go of it.
      remove: () => retryWhileInUse(ctx, `Elastic IP ${a.PublicIp}`, IN_USE, () => releaseAddress(ctx, a.AllocationId!)),
    });
  return items;
}
