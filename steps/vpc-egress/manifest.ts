import { defineStep } from '../../src/pipeline/manifest.js';

// NAT gateways and interface endpoints take minutes to become available. The vpc step makes them and their
// routes (AWS accepts a route to a pending NAT gateway) and goes on, so the network, the database and the
// image build do not wait; this step waits, and only what starts tasks waits for it.
export const manifest = defineStep({
  id: 'vpc-egress',
  title: "Wait for the VPC's NAT gateways and endpoints",
  dependsOn: ['vpc'],
  enabled: (c) => c.network?.vpc === 'create',
  grants: [{ sid: 'VpcEgress', calls: ['EC2:DescribeNatGateways', 'EC2:DescribeVpcEndpoints'], on: '*' }],
  load: async () => (await import('./apply.js')).vpcEgress,
  loadTeardown: async () => (await import('./teardown.js')).destroyEgress,
});
