import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeSecurityGroupsCommand,
  ModifyVpcEndpointCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { StepContext } from '../../src/pipeline/context.js';
import { endpointServices } from '../../src/network/vpc-layout.js';
import type { VpcEndpointName } from '../../src/config/sections.js';
import { tagsFor, withClientToken, type Run } from './act.js';
import { ourEndpoints } from '../../src/network/egress.js';

export const endpointGroupName = (ctx: StepContext) => `${ctx.app}-${ctx.env}-endpoints`;

export async function endpointGroup(ctx: StepContext, vpcId: string): Promise<SecurityGroup | undefined> {
  const res = await ctx.aws.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: [endpointGroupName(ctx)] },
      ],
    }),
  );
  return res.SecurityGroups?.[0];
}

/**
 * The interface endpoints' security group: HTTPS from anywhere in the VPC, nothing else. Interface endpoints
 * are network interfaces in the private subnets; without a group of their own they get the VPC's default
 * group, which admits only its own members, and the tasks could not reach them.
 */
async function ensureEndpointGroup(run: Run, vpcId: string | undefined, cidr: string): Promise<string> {
  const ctx = run.ctx;
  let g = vpcId ? await endpointGroup(ctx, vpcId) : undefined;
  if (!g) {
    const id = await run.change(`create security group ${endpointGroupName(ctx)} (HTTPS from ${cidr})`, async () => {
      const res = await ctx.aws.ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: endpointGroupName(ctx),
          Description: `deploy-wizard ${ctx.app} ${ctx.env} VPC endpoints`,
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: tagsFor(ctx, 'endpoints') }],
        }),
      );
      return res.GroupId!;
    });
    if (!id) return '(new security group)';
    g = { GroupId: id, IpPermissions: [] };
  }
  const open = (g.IpPermissions ?? []).some((p) => p.FromPort === 443 && p.ToPort === 443 && (p.IpRanges ?? []).some((r) => r.CidrIp === cidr));
  if (!open)
    await run.change(`allow tcp 443 from ${cidr} to the VPC endpoints`, () =>
      ctx.aws.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: g.GroupId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: cidr, Description: 'HTTPS to the VPC endpoints' }] }],
        }),
      ),
    );
  return g.GroupId!;
}

const missing = (want: string[], have: string[] | undefined) => want.filter((x) => !(have ?? []).includes(x));

/**
 * The endpoints asked for, in the private subnets (interface) or on the private route tables (S3's gateway),
 * private DNS on so the SDKs' usual hostnames resolve to them; endpoints of ours no longer asked for are
 * deleted. Each create carries a client token recorded first.
 */
export async function convergeEndpoints(
  run: Run,
  vpc: { id?: string; cidr: string },
  names: readonly VpcEndpointName[],
  privateSubnetIds: string[],
  privateTableIds: string[],
): Promise<string[]> {
  const ctx = run.ctx;
  const wanted = endpointServices(ctx.region, names);
  const have = vpc.id ? await ourEndpoints(ctx, vpc.id) : [];
  const group = wanted.some((w) => w.type === 'Interface') ? await ensureEndpointGroup(run, vpc.id, vpc.cidr) : undefined;
  const ids: string[] = [];
  for (const w of wanted) {
    const found = have.find((e) => e.ServiceName === w.service);
    if (found) {
      ids.push(found.VpcEndpointId!);
      const addSubnets = w.type === 'Interface' ? missing(privateSubnetIds, found.SubnetIds) : [];
      const addTables = w.type === 'Gateway' ? missing(privateTableIds, found.RouteTableIds) : [];
      if (addSubnets.length || addTables.length)
        await run.change(`endpoint ${w.name}: add ${[...addSubnets, ...addTables].join(', ')}`, () =>
          ctx.aws.ec2.send(
            new ModifyVpcEndpointCommand({
              VpcEndpointId: found.VpcEndpointId,
              ...(addSubnets.length ? { AddSubnetIds: addSubnets } : {}),
              ...(addTables.length ? { AddRouteTableIds: addTables } : {}),
            }),
          ),
        );
      continue;
    }
    const id = await run.change(`create ${w.type.toLowerCase()} endpoint ${w.service}`, () =>
      withClientToken(ctx, `endpoint:${w.name}`, async (token) => {
        const res = await ctx.aws.ec2.send(
          new CreateVpcEndpointCommand({
            VpcId: vpc.id,
            ServiceName: w.service,
            VpcEndpointType: w.type,
            ClientToken: token,
            ...(w.type === 'Gateway'
              ? { RouteTableIds: privateTableIds }
              : { SubnetIds: privateSubnetIds, SecurityGroupIds: [group!], PrivateDnsEnabled: true }),
            TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: tagsFor(ctx, w.name) }],
          }),
        );
        return res.VpcEndpoint!.VpcEndpointId!;
      }),
    );
    if (id) ids.push(id);
  }
  const unwanted = have.filter((e) => !wanted.some((w) => w.service === e.ServiceName));
  if (unwanted.length)
    await run.change(`delete endpoint${unwanted.length > 1 ? 's' : ''} ${unwanted.map((e) => e.ServiceName).join(', ')} (no longer in network.endpoints)`, () =>
      ctx.aws.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: unwanted.map((e) => e.VpcEndpointId!) })),
    );
  return ids;
}
