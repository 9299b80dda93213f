import { defineStep } from '../../src/pipeline/manifest.js';
import { HOSTED_ZONE_CALLS } from '../../src/aws/grants.js';
import { ROUTE53_ZONE_MONTH } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 'certificate',
  title: 'Issue the HTTPS certificate (ACM, DNS-validated)',
  dependsOn: [],
  enabled: (c) => !!c.domain,
  // Certificates and hosted zones have generated ids: scoped by action.
  grants: [
    {
      sid: 'Certificates',
      calls: ['ACM:ListCertificates', 'ACM:DescribeCertificate', 'ACM:ListTagsForCertificate', 'ACM:RequestCertificate'],
      actions: ['acm:AddTagsToCertificate'],
      on: '*',
    },
    { sid: 'ValidationRecords', calls: HOSTED_ZONE_CALLS, on: '*' },
  ],
  cost() {
    // Public ACM certificates are free; the zone is the user's and billed either way, shown so the total is honest.
    return [{ component: 'Route 53', size: '1 hosted zone (yours), alias queries free', monthly: ROUTE53_ZONE_MONTH }];
  },
  load: async () => (await import('./apply.js')).certificate,
  loadTeardown: async () => (await import('./teardown.js')).destroyCertificates,
});
