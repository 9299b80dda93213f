import {
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DetachInternetGatewayCommand,
  DescribeInternetGatewaysCommand,
  DisassociateRouteTableCommand,
} from '@aws-sdk/client-ec2';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { ownedBy, tagOf } from '../../src/pipeline/step.js';
import { findOwnVpc, ownSubnets } from '../../src/aws/own-vpc.js';
import { findDatabase } from '../../src/aws/rds-instance.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { egressTeardown, IN_USE } from '../../src/network/egress.js';
import { endpointGroup } from './endpoints.js';
import { ourTables, vpcRouteTables } from './routes.js';

/**
 * The VPC the wizard made, after everything in it (security groups, load balancer, tasks, database, cache) is
 * gone. While a kept database still sits in its data subnets, the VPC, subnets, route tables and internet
 * gateway stay (and say so); the NAT gateways, their Elastic IPs and the endpoints, which cost by the hour
 * and which a database does not use, go either way.
 */
export async function destroyVpc(ctx: StepContext): Promise<Teardown[]> {
  const vpc = await findOwnVpc(ctx.aws.ec2, ctx);
  if (!vpc) return [];
  const vpcId = vpc.VpcId!;
  const items: Teardown[] = [];
  // What vpc-egress's teardown left (a run resumed part-way, or one that never had that step).
  items.push(...(await egressTeardown(ctx, vpcId)));
  const group = await endpointGroup(ctx, vpcId);
  if (group && ownedBy(ctx, group.Tags))
    items.push({
      resource: `security group ${group.GroupName} (${group.GroupId})`,
      remove: () =>
        retryWhileInUse(ctx, `security group ${group.GroupName}`, IN_USE, () =>
          unlessNotFound(ctx.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId })), 'InvalidGroup.NotFound'),
        ),
    });
  const db = await findDatabase(ctx);
  const keep = db ? `the kept database ${db.id} sits in its data subnets` : undefined;
  if (keep) {
    items.push({ resource: `VPC ${vpcId} (${vpc.CidrBlock}) with its subnets, route tables and internet gateway`, keep });
    return items;
  }
  for (const t of ourTables(ctx, await vpcRouteTables(ctx, vpcId)))
    items.push({
      resource: `route table ${tagOf(t.Tags, 'deploy-wizard:route-table')} (${t.RouteTableId})`,
      remove: async () => {
        for (const a of t.Associations ?? [])
          if (!a.Main && a.RouteTableAssociationId)
            await unlessNotFound(
              ctx.aws.ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId })),
              'InvalidAssociationID.NotFound',
            );
        await unlessNotFound(ctx.aws.ec2.send(new DeleteRouteTableCommand({ RouteTableId: t.RouteTableId })), 'InvalidRouteTableID.NotFound');
      },
    });
  const s = await ownSubnets(ctx.aws.ec2, ctx, vpcId);
  for (const subnet of [...s.public, ...s.private, ...s.data])
    items.push({
      resource: `subnet ${subnet.SubnetId} (${tagOf(subnet.Tags, 'deploy-wizard:tier')}, ${subnet.AvailabilityZone})`,
      // Fargate's and the load balancer's network interfaces outlive their owners by minutes.
      remove: () =>
        retryWhileInUse(ctx, `subnet ${subnet.SubnetId}`, IN_USE, () =>
          unlessNotFound(ctx.aws.ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId })), 'InvalidSubnetID.NotFound'),
        ),
    });
  const igws = (
    (await ctx.aws.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }))).InternetGateways ?? []
  ).filter((g) => ownedBy(ctx, g.Tags));
  for (const g of igws)
    items.push({
      resource: `internet gateway ${g.InternetGatewayId}`,
      remove: async () => {
        await retryWhileInUse(ctx, `internet gateway ${g.InternetGatewayId}`, IN_USE, () =>
          unlessNotFound(ctx.aws.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId, VpcId: vpcId })), 'Gateway.NotAttached'),
        );
        await unlessNotFound(
          ctx.aws.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId })),
          'InvalidInternetGatewayID.NotFound',
        );
      },
    });
  items.push({
    resource: `VPC ${vpcId} (${vpc.CidrBlock})`,
    remove: () =>
      retryWhileInUse(ctx, `VPC ${vpcId}`, IN_USE, () => unlessNotFound(ctx.aws.ec2.send(new DeleteVpcCommand({ VpcId: vpcId })), 'InvalidVpcID.NotFound')),
  });
  return items;
}
