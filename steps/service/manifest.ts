import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { clusterName } from '../../src/aws/names.js';
import { HOURS, pricesFor, round } from '../../src/pricing.js';
import type { CostLine } from '../../src/pipeline/step.js';
import { SPOT_PRICE_RATIO, spotShare } from '../../src/aws/capacity-strategy.js';

export const manifest = defineStep({
  id: 'service',
  title: 'Start the ECS services (web and workers) and wait for their rollout',
  dependsOn: ['task-definition', 'network', 'pgvector', 'migrations', 'secrets', 'load-balancer', 'service-connect'],
  resources: (w) => [
    { kind: 'cluster', arn: arnIn(w, 'ecs', `cluster/${clusterName(w)}`) },
    // The cluster's services: the cluster's exact name bounds them (a service of a removed key is deleted too).
    // A preview's services, in its parent's cluster, carry the double hyphen no service of the parent's has.
    { kind: 'service', arn: arnIn(w, 'ecs', `service/${clusterName(w)}/${w.preview ? `${w.app}--*` : '*'}`) },
  ],
  grants: [
    { sid: 'Cluster', calls: ['ECS:DescribeClusters', 'ECS:CreateCluster', 'ECS:PutClusterCapacityProviders'], actions: ['ecs:TagResource'], on: ['cluster'] },
    { sid: 'Services', calls: ['ECS:CreateService', 'ECS:UpdateService', 'ECS:DeleteService'], actions: ['ecs:TagResource'], on: ['service'] },
    // A service that joins Service Connect names the app's namespace, which ECS reads (ECS's service-linked role then
    // registers the endpoints in it).
    { sid: 'ServiceConnectNamespace', calls: ['ServiceDiscovery:GetNamespace'], on: '*' },
    {
      sid: 'ReadServices',
      calls: ['ECS:DescribeServices', 'ECS:ListServices', 'ECS:ListTaskDefinitions', 'ECS:DescribeTaskDefinition', 'ECS:DeregisterTaskDefinition'],
      on: '*',
    },
    // Target groups of removed services go once the services are gone.
    {
      sid: 'RetiredTargetGroups',
      calls: ['ELBv2:DescribeLoadBalancers', 'ELBv2:DescribeTags', 'ELBv2:DescribeTargetGroups', 'ELBv2:DeleteTargetGroup'],
      on: '*',
    },
    {
      sid: 'Autoscaling',
      calls: [
        'ApplicationAutoScaling:DescribeScalableTargets',
        'ApplicationAutoScaling:DescribeScalingPolicies',
        'ApplicationAutoScaling:RegisterScalableTarget',
        'ApplicationAutoScaling:DeregisterScalableTarget',
        'ApplicationAutoScaling:PutScalingPolicy',
        'ApplicationAutoScaling:DeleteScalingPolicy',
      ],
      on: '*',
    },
    {
      sid: 'ServiceLinkedRoles',
      actions: ['iam:CreateServiceLinkedRole'],
      on: '*',
      condition: {
        StringEquals: {
          'iam:AWSServiceName': ['ecs.amazonaws.com', 'ecs.application-autoscaling.amazonaws.com', 'rds.amazonaws.com', 'elasticache.amazonaws.com'],
        },
      },
    },
  ],
  cost(config) {
    const lines: CostLine[] = [];
    const { p } = pricesFor(config.region);
    for (const s of Object.values(config.services)) {
      const onDemandTask = ((s.cpu / 1024) * p.fargateVcpuHour + (s.memory / 1024) * p.fargateGbHour) * HOURS;
      // With Spot in its strategy, the tasks the weights put there cost about SPOT_PRICE_RATIO of on-demand (assumed).
      const count = s.autoscaling?.min ?? s.desiredCount;
      const spot = s.capacity && count ? spotShare(s.capacity, count) / count : 0;
      const perTask = onDemandTask * (1 - spot + spot * SPOT_PRICE_RATIO);
      const size = `${s.cpu / 1024} vCPU / ${s.memory / 1024} GB${spot ? `, ${Math.round(spot * 100)}% on Fargate Spot (assumed ${Math.round((1 - SPOT_PRICE_RATIO) * 100)}% cheaper)` : ''}`;
      lines.push(
        s.autoscaling
          ? {
              component: `Fargate ${s.name} (${s.kind})`,
              size: `${s.autoscaling.min}–${s.autoscaling.max} × ${size}, up to $${round(perTask * s.autoscaling.max)}`,
              monthly: round(perTask * s.autoscaling.min),
            }
          : { component: `Fargate ${s.name} (${s.kind})`, size: `${s.desiredCount} × ${size}`, monthly: round(perTask * s.desiredCount) },
      );
    }
    return lines;
  },
  load: async () => (await import('./apply.js')).service,
  loadTeardown: async () => (await import('./teardown.js')).destroyService,
});
