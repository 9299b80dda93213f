import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { elbName } from '../../src/aws/names.js';
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
  // The rules go on the parent's listeners only, and change only rules on its load balancer; target groups have
  // generated names, so those are kept to the previews' own by the Denies of src/ci/preview-policy.ts (their tags).
  resources: (w) => {
    const lb = elbName(w.app, w.preview?.parent ?? w.env.split('--')[0]!);
    return [
      { kind: 'parent-listener', arn: arnIn(w, 'elasticloadbalancing', `listener/app/${lb}/*`) },
      { kind: 'parent-listener-rule', arn: arnIn(w, 'elasticloadbalancing', `listener-rule/app/${lb}/*`) },
    ];
  },
  grants: [
    {
      sid: 'PreviewRoutesRead',
      calls: [
        'ELBv2:DescribeLoadBalancers',
        'ELBv2:DescribeListeners',
        'ELBv2:DescribeRules',
        'ELBv2:DescribeTags',
        'ELBv2:DescribeTargetGroups',
        'ELBv2:DescribeTargetGroupAttributes',
      ],
      on: '*',
    },
    { sid: 'PreviewRulesOnTheParentsListeners', calls: ['ELBv2:CreateRule'], on: ['parent-listener'] },
    { sid: 'PreviewRules', calls: ['ELBv2:DeleteRule', 'ELBv2:ModifyRule'], on: ['parent-listener-rule'] },
    {
      sid: 'PreviewTargetGroups',
      calls: ['ELBv2:CreateTargetGroup', 'ELBv2:ModifyTargetGroup', 'ELBv2:ModifyTargetGroupAttributes', 'ELBv2:DeleteTargetGroup'],
      // Tagging on create (CreateRule and CreateTargetGroup with Tags), of the rule or target group being made.
      actions: ['elasticloadbalancing:AddTags'],
      on: '*',
    },
  ],
  load: async () => (await import('./apply.js')).previewRoutes,
  loadTeardown: async () => (await import('./teardown.js')).destroyPreviewRoutes,
});
