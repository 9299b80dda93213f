import { defineStep } from '../../src/pipeline/manifest.js';
import { round, WAF_ACL_MONTH, WAF_MILLION_REQUESTS, WAF_RULE_MONTH } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 'waf',
  title: 'Put a web application firewall in front (WAFv2)',
  dependsOn: ['load-balancer'],
  enabled: (c) => !!c.edge?.waf,
  // Web ACLs have generated ids; the distribution and load balancer it is put on too: scoped by action.
  grants: [
    {
      sid: 'WebAcl',
      calls: [
        'WAFV2:ListWebACLs',
        'WAFV2:GetWebACL',
        'WAFV2:CreateWebACL',
        'WAFV2:UpdateWebACL',
        'WAFV2:ListTagsForResource',
        'WAFV2:GetWebACLForResource',
        'WAFV2:AssociateWebACL',
      ],
      actions: [
        'wafv2:TagResource',
        'elasticloadbalancing:SetWebACL',
        'cloudfront:UpdateDistribution',
        'cloudfront:GetDistribution',
        'cloudfront:GetDistributionConfig',
      ],
      on: '*',
    },
  ],
  cost() {
    const requests = 1; // million per month, a light app
    return [
      {
        component: 'WAF',
        size: `1 web ACL, 3 rules, ~${requests}M requests`,
        monthly: round(WAF_ACL_MONTH + 3 * WAF_RULE_MONTH + requests * WAF_MILLION_REQUESTS),
      },
    ];
  },
  load: async () => (await import('./apply.js')).waf,
  loadTeardown: async () => (await import('./teardown.js')).destroyWaf,
});
