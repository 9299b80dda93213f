import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalableTarget,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import type { StepContext } from '../pipeline/context.js';
import type { ServiceSpec } from '../config/schema.js';
import { canonicalJson } from '../canonical-json.js';

// Target tracking for an ECS service: Application Auto Scaling owns the
// desired count between min and max, and the deploy only sets the starting
// count, so a deploy never undoes what the scaler decided.

const DIMENSION = 'ecs:service:DesiredCount';
const resourceId = (cluster: string, service: string) => `service/${cluster}/${service}`;

type Metric = 'ECSServiceAverageCPUUtilization' | 'ECSServiceAverageMemoryUtilization' | 'ALBRequestCountPerTarget';

interface WantedPolicy {
  name: string;
  metric: Metric;
  target: number;
  resourceLabel?: string;
}

/** app/<lb>/<id>/targetgroup/<tg>/<id>: what ALBRequestCountPerTarget is measured on. */
export const requestsLabel = (loadBalancerArn: string, targetGroupArn: string) =>
  `${loadBalancerArn.split(':loadbalancer/')[1]}/${targetGroupArn.split(':').pop()}`;

function wantedPolicies(serviceName: string, s: ServiceSpec, label: string | undefined): WantedPolicy[] {
  const a = s.autoscaling!;
  return [
    ...(a.cpuTarget !== undefined ? [{ name: `${serviceName}-cpu`, metric: 'ECSServiceAverageCPUUtilization' as const, target: a.cpuTarget }] : []),
    ...(a.memoryTarget !== undefined ? [{ name: `${serviceName}-memory`, metric: 'ECSServiceAverageMemoryUtilization' as const, target: a.memoryTarget }] : []),
    ...(a.requestsPerTarget !== undefined && label
      ? [{ name: `${serviceName}-requests`, metric: 'ALBRequestCountPerTarget' as const, target: a.requestsPerTarget, resourceLabel: label }]
      : []),
  ];
}

export async function findScalableTarget(ctx: StepContext, cluster: string, service: string): Promise<ScalableTarget | undefined> {
  const res = await ctx.aws.autoscaling.send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId(cluster, service)], ScalableDimension: DIMENSION }),
  );
  return res.ScalableTargets?.[0];
}

async function policies(ctx: StepContext, cluster: string, service: string): Promise<ScalingPolicy[]> {
  const res = await ctx.aws.autoscaling.send(
    new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId(cluster, service), ScalableDimension: DIMENSION }),
  );
  return res.ScalingPolicies ?? [];
}

const policyKey = (p: { metric?: string; target?: number; resourceLabel?: string }) =>
  canonicalJson({ metric: p.metric, target: p.target, label: p.resourceLabel ?? null });

/** Registers min/max and the target tracking policies; changes only what differs. */
export async function ensureAutoscaling(
  ctx: StepContext,
  o: { cluster: string; serviceName: string; spec: ServiceSpec; loadBalancerArn?: string; targetGroupArn?: string },
): Promise<void> {
  const a = o.spec.autoscaling!;
  const id = resourceId(o.cluster, o.serviceName);
  const target = await findScalableTarget(ctx, o.cluster, o.serviceName);
  if (!target || target.MinCapacity !== a.min || target.MaxCapacity !== a.max) {
    ctx.log.info(`autoscaling ${o.spec.name} between ${a.min} and ${a.max} tasks`);
    await ctx.aws.autoscaling.send(
      new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: id, ScalableDimension: DIMENSION, MinCapacity: a.min, MaxCapacity: a.max }),
    );
  }
  const label = o.loadBalancerArn && o.targetGroupArn ? requestsLabel(o.loadBalancerArn, o.targetGroupArn) : undefined;
  const want = wantedPolicies(o.serviceName, o.spec, label);
  const have = await policies(ctx, o.cluster, o.serviceName);
  for (const p of want) {
    const cur = have.find((h) => h.PolicyName === p.name);
    const c = cur?.TargetTrackingScalingPolicyConfiguration;
    const curKey = c
      ? policyKey({
          metric: c.PredefinedMetricSpecification?.PredefinedMetricType,
          target: c.TargetValue,
          resourceLabel: c.PredefinedMetricSpecification?.ResourceLabel,
        })
      : undefined;
    if (curKey === policyKey(p)) continue;
    await ctx.aws.autoscaling.send(
      new PutScalingPolicyCommand({
        PolicyName: p.name,
        ServiceNamespace: 'ecs',
        ResourceId: id,
        ScalableDimension: DIMENSION,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: p.target,
          PredefinedMetricSpecification: { PredefinedMetricType: p.metric, ...(p.resourceLabel ? { ResourceLabel: p.resourceLabel } : {}) },
          ScaleOutCooldown: 60,
          ScaleInCooldown: 300,
        },
      }),
    );
  }
  for (const h of have) {
    if (!want.some((p) => p.name === h.PolicyName)) {
      await ctx.aws.autoscaling.send(
        new DeleteScalingPolicyCommand({ PolicyName: h.PolicyName, ServiceNamespace: 'ecs', ResourceId: id, ScalableDimension: DIMENSION }),
      );
    }
  }
}

/** Autoscaling turned off (or the service removed): the scalable target goes, and its policies with it. */
export async function removeAutoscaling(ctx: StepContext, cluster: string, service: string): Promise<boolean> {
  if (!(await findScalableTarget(ctx, cluster, service))) return false;
  ctx.log.info(`turning autoscaling off for ${service}`);
  await ctx.aws.autoscaling.send(
    new DeregisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId(cluster, service), ScalableDimension: DIMENSION }),
  );
  return true;
}
