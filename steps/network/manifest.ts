import { defineStep } from '../../src/pipeline/manifest.js';

export const manifest = defineStep({
  id: 'network',
  title: 'Find the VPC and set up security groups',
  // The VPC step runs only for network.vpc "create"; otherwise the VPC is found.
  dependsOn: ['vpc'],
  // EC2 gives VPCs, subnets and security groups generated ids: scoped by action.
  grants: [
    {
      sid: 'Network',
      calls: [
        'EC2:DescribeVpcs',
        'EC2:DescribeSubnets',
        'EC2:DescribeRouteTables',
        'EC2:DescribeVpcEndpoints',
        'EC2:DescribeManagedPrefixLists',
        'EC2:DescribeSecurityGroups',
        'EC2:CreateSecurityGroup',
        'EC2:AuthorizeSecurityGroupIngress',
        'EC2:RevokeSecurityGroupIngress',
        // The preflight's look at where a deployed load balancer sits.
        'ELBv2:DescribeLoadBalancers',
      ],
      actions: ['ec2:CreateTags'],
      on: '*',
    },
  ],
  load: async () => (await import('./apply.js')).network,
  loadTeardown: async () => (await import('./teardown.js')).destroyNetwork,
});
