import { defineStep } from '../../src/pipeline/manifest.js';
import { HOURS, pricesFor, round, NAT_ASSUMED_GB } from '../../src/pricing.js';
import { endpointServices, natAzs, vpcWanted } from '../../src/network/vpc-layout.js';
import type { CostLine } from '../../src/pipeline/step.js';

export const manifest = defineStep({
  id: 'vpc',
  title: 'Build the VPC: public, private and data subnets',
  dependsOn: [],
  enabled: (c) => c.network?.vpc === 'create',
  // EC2 makes every id here (VPC, subnets, gateways, route tables, endpoints): scoped by action, like the network step.
  grants: [
    // The AZs RDS offers the database's class in.
    { sid: 'VpcDatabaseAzs', calls: ['RDS:DescribeOrderableDBInstanceOptions'], on: '*' },
    {
      sid: 'Vpc',
      calls: [
        'EC2:DescribeVpcs',
        'EC2:DescribeVpcAttribute',
        'EC2:DescribeAvailabilityZones',
        'EC2:DescribeSubnets',
        'EC2:DescribeInternetGateways',
        'EC2:DescribeRouteTables',
        'EC2:DescribeNatGateways',
        'EC2:DescribeAddresses',
        'EC2:DescribeVpcEndpoints',
        'EC2:DescribeSecurityGroups',
        'EC2:CreateVpc',
        'EC2:ModifyVpcAttribute',
        'EC2:CreateInternetGateway',
        'EC2:AttachInternetGateway',
        'EC2:CreateSubnet',
        'EC2:CreateRouteTable',
        'EC2:CreateRoute',
        'EC2:ReplaceRoute',
        'EC2:DeleteRoute',
        'EC2:AssociateRouteTable',
        'EC2:ReplaceRouteTableAssociation',
        'EC2:AllocateAddress',
        'EC2:CreateNatGateway',
        'EC2:DeleteNatGateway',
        'EC2:ReleaseAddress',
        'EC2:CreateSecurityGroup',
        'EC2:AuthorizeSecurityGroupIngress',
        'EC2:CreateVpcEndpoint',
        'EC2:ModifyVpcEndpoint',
        'EC2:DeleteVpcEndpoints',
      ],
      actions: ['ec2:CreateTags'],
      on: '*',
    },
  ],
  cost(config) {
    const w = vpcWanted(config)!;
    const { p } = pricesFor(config.region);
    const lines: CostLine[] = [];
    const nats = natAzs(
      w,
      Array.from({ length: w.azs }, (_, i) => String(i)),
    ).length;
    if (nats) {
      // A NAT gateway bills by the hour, by the GB it carries, and for its public IPv4 address.
      const monthly = round(nats * (p.natHour * HOURS + NAT_ASSUMED_GB * p.natGb + p.publicIpv4Hour * HOURS));
      lines.push({
        component: 'NAT gateway',
        size: `${nats} (${w.nat}), each with an Elastic IP, assuming ${NAT_ASSUMED_GB} GB a month through each`,
        monthly,
        quantity: { n: nats, unit: 'gateway(s)' },
      });
    }
    const interfaces = endpointServices(config.region, w.endpoints).filter((e) => e.type === 'Interface').length;
    if (interfaces)
      lines.push({
        component: 'VPC interface endpoints',
        size: `${interfaces} × ${w.azs} AZs (${endpointServices(config.region, w.endpoints)
          .filter((e) => e.type === 'Interface')
          .map((e) => e.name)
          .join(', ')}), data processed not counted`,
        monthly: round(interfaces * w.azs * p.endpointHour * HOURS),
      });
    if (w.endpoints.includes('s3')) lines.push({ component: 'S3 gateway endpoint', size: 'no hourly or data charge', monthly: 0 });
    return lines;
  },
  load: async () => (await import('./apply.js')).vpc,
  loadTeardown: async () => (await import('./teardown.js')).destroyVpc,
});
