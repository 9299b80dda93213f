import {
  AttachInternetGatewayCommand,
  AssociateRouteTableCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';

export const ec2 = () => new EC2Client({ region: 'us-east-1' });

/** A VPC of our own: `public` subnets routed to an internet gateway, the rest with no way out. */
export async function vpcWith(subnets: { az: string; public: boolean }[], opts: { endpoints?: string[] } = {}) {
  const c = ec2();
  const base = 10 + Math.floor(Math.random() * 200);
  const vpc = (await c.send(new CreateVpcCommand({ CidrBlock: `10.${base}.0.0/16` }))).Vpc!.VpcId!;
  const igw = (await c.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await c.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
  const rt = (await c.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
  await c.send(new CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
  const ids: string[] = [];
  for (const [i, s] of subnets.entries()) {
    const id = (await c.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.${base}.${i}.0/24`, AvailabilityZone: s.az }))).Subnet!.SubnetId!;
    if (s.public) await c.send(new AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: id }));
    ids.push(id);
  }
  for (const e of opts.endpoints ?? []) await c.send(new CreateVpcEndpointCommand({ VpcId: vpc, ServiceName: `com.amazonaws.us-east-1.${e}` }));
  return { vpc, ids };
}
