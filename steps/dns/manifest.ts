import { defineStep } from '../../src/pipeline/manifest.js';
import { HOSTED_ZONE_CALLS } from '../../src/aws/grants.js';

export const manifest = defineStep({
  id: 'dns',
  title: 'Point the domain at the app (Route 53 alias records)',
  dependsOn: ['certificate', 'load-balancer', 'site'],
  enabled: (c) => !!c.domain,
  // Hosted zones have generated ids: scoped by action.
  grants: [{ sid: 'AliasRecords', calls: [...HOSTED_ZONE_CALLS, 'ELBv2:DescribeLoadBalancers'], on: '*' }],
  load: async () => (await import('./apply.js')).dns,
  loadTeardown: async () => (await import('./teardown.js')).destroyRecords,
});
