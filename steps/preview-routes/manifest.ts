import { defineStep } from '../../src/pipeline/manifest.js';
import { hasWebService } from '../../src/config/features.js';

// A preview's routes, in place of the parent's load-balancer step: a target
// group per web service, and host-header rules for NAME.<previews.domain> on
// the parent's listener, in a priority band the parent never uses. The
// parent's load balancer, listeners and default action are only read.
export const manifest = defineStep({
  id: 'load-balancer',
  title: "Route the preview's name on the parent's load balancer",
  dependsOn: ['network'],
  enabled: hasWebService,
  grants: [
    {
      // Rules and target groups have generated ids: scoped by action, and the parent's are refused by tag in the code.
      sid: 'PreviewRoutes',
      calls: [
        'ELBv2:DescribeLoadBalancers',
        'ELBv2:DescribeListeners',
        'ELBv2:DescribeRules',
        'ELBv2:DescribeTags',
        'ELBv2:DescribeTargetGroups',
        'ELBv2:DescribeTargetGroupAttributes',
        'ELBv2:CreateRule',
        'ELBv2:CreateTargetGroup',
        'ELBv2:DeleteRule',
        'ELBv2:ModifyRule',
        'ELBv2:ModifyTargetGroup',
        'ELBv2:ModifyTargetGroupAttributes',
        'ELBv2:DeleteTargetGroup',
      ],
      actions: ['elasticloadbalancing:AddTags'],
      on: '*',
    },
  ],
  load: async () => (await import('./apply.js')).previewRoutes,
  loadTeardown: async () => (await import('./teardown.js')).destroyPreviewRoutes,
});
