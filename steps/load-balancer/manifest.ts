import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { generatedSecret } from '../../src/aws/grants.js';
import { originVerifySecretName } from '../../src/aws/names.js';
import { hasWebService, lbBehindCdn } from '../../src/config/features.js';
import { ALB_LCU_MONTH, HOURS, pricesFor, round } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 'load-balancer',
  title: 'Create the load balancer and its routes (ALB)',
  dependsOn: ['network', 'certificate'],
  enabled: hasWebService,
  // Behind the CDN: the origin header's value, made once (src/site/origin-verify.ts).
  resources: (w, c) => (lbBehindCdn(c) ? [{ kind: 'origin-secret', arn: arnIn(w, 'secretsmanager', `secret:${originVerifySecretName(w)}-??????`) }] : []),
  grants: [
    {
      // Load balancers, listeners, rules and target groups have generated ids: scoped by action.
      sid: 'LoadBalancer',
      calls: [
        'ELBv2:DescribeLoadBalancers',
        'ELBv2:DescribeLoadBalancerAttributes',
        'ELBv2:DescribeListeners',
        'ELBv2:DescribeRules',
        'ELBv2:DescribeTags',
        'ELBv2:DescribeTargetGroups',
        'ELBv2:DescribeTargetGroupAttributes',
        'ELBv2:CreateLoadBalancer',
        'ELBv2:CreateListener',
        'ELBv2:CreateRule',
        'ELBv2:CreateTargetGroup',
        'ELBv2:DeleteRule',
        'ELBv2:ModifyListener',
        'ELBv2:ModifyLoadBalancerAttributes',
        'ELBv2:ModifyRule',
        'ELBv2:ModifyTargetGroup',
        'ELBv2:ModifyTargetGroupAttributes',
        'ELBv2:SetSecurityGroups',
        'ELBv2:SetSubnets',
      ],
      actions: ['elasticloadbalancing:AddTags'],
      on: '*',
    },
    generatedSecret('OriginSecret', 'origin-secret'),
    {
      sid: 'LoadBalancerServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      on: '*',
      condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
    },
  ],
  cost(config) {
    const { p } = pricesFor(config.region);
    return [{ component: 'Application Load Balancer', size: '1, light traffic', monthly: round(p.albHour * HOURS + ALB_LCU_MONTH) }];
  },
  load: async () => (await import('./apply.js')).loadBalancer,
  loadTeardown: async () => (await import('./teardown.js')).destroyLoadBalancer,
});
