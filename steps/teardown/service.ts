import { DeleteClusterCommand, DeleteServiceCommand, DescribeClustersCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DeleteLoadBalancerCommand, DeleteTargetGroupCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { clusterName, ecsOwned } from '../../src/aws/ecs-helpers.js';
import { ownedServices } from '../../src/aws/ecs-service.js';
import { removeAutoscaling } from '../../src/aws/autoscaling.js';
import { elbOwned, findLoadBalancer, findTargetGroup, staleTargetGroups } from '../../src/aws/load-balancer.js';
import { targetGroupName } from '../../src/aws/names.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { waitGone } from '../../src/aws/wait-gone.js';

/** The services (scaled to zero, then deleted), the load balancer, its target groups, then the cluster. */
export async function destroyService(ctx: StepContext): Promise<Teardown[]> {
  const items: Teardown[] = [];
  const cluster = clusterName(ctx);
  for (const svc of await ownedServices(ctx, cluster)) {
    items.push({
      resource: `ECS service ${svc.serviceName}`,
      remove: async () => {
        await removeAutoscaling(ctx, cluster, svc.serviceName!);
        if ((svc.desiredCount ?? 0) > 0) await ctx.aws.ecs.send(new UpdateServiceCommand({ cluster, service: svc.serviceName, desiredCount: 0 }));
        // force: ECS drains the tasks itself; the service turns DRAINING, then INACTIVE.
        await unlessNotFound(ctx.aws.ecs.send(new DeleteServiceCommand({ cluster, service: svc.serviceName, force: true })), 'ServiceNotFoundException');
      },
    });
  }
  const lb = await findLoadBalancer(ctx);
  const lbOurs = !!lb && (await elbOwned(ctx, lb.LoadBalancerArn!));
  // Target groups on our load balancer, and those named for the config's web services (the load balancer may be gone already).
  const tgs = new Map((await staleTargetGroups(ctx, [])).map((tg) => [tg.TargetGroupArn!, tg]));
  for (const s of Object.values(ctx.config.services).filter((x) => x.kind === 'web')) {
    const tg = await findTargetGroup(ctx, targetGroupName(ctx, s.name));
    if (tg && !tgs.has(tg.TargetGroupArn!) && (await elbOwned(ctx, tg.TargetGroupArn!))) tgs.set(tg.TargetGroupArn!, tg);
  }
  if (lb && lbOurs) {
    items.push({
      resource: `load balancer ${lb.LoadBalancerName}`,
      remove: async () => {
        await ctx.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
        // Its network interfaces hold the security groups until it is really gone.
        await waitGone(ctx, {
          stepId: 'destroy',
          what: `load balancer ${lb.LoadBalancerName}`,
          deadlineMs: 10 * 60_000,
          find: async () => {
            const res = await unlessNotFound(
              ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lb.LoadBalancerArn!] })),
              'LoadBalancerNotFoundException',
              'LoadBalancerNotFound',
            );
            const found = res?.LoadBalancers?.[0];
            return found && { status: found.State?.Code };
          },
        });
      },
    });
  }
  for (const tg of tgs.values()) {
    items.push({
      resource: `target group ${tg.TargetGroupName}`,
      remove: () =>
        retryWhileInUse(ctx, `target group ${tg.TargetGroupName}`, ['ResourceInUse', 'ResourceInUseException'], () =>
          unlessNotFound(
            ctx.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn })),
            'TargetGroupNotFound',
            'TargetGroupNotFoundException',
          ),
        ),
    });
  }
  const c = (await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [cluster], include: ['TAGS'] }))).clusters?.find((x) => x.status === 'ACTIVE');
  if (c && ecsOwned(ctx, c.tags)) {
    items.push({
      resource: `ECS cluster ${cluster}`,
      // Deleted services stay DRAINING until their tasks stop; the cluster goes after.
      remove: () =>
        retryWhileInUse(ctx, `ECS cluster ${cluster}`, ['ClusterContainsServicesException', 'ClusterContainsTasksException', 'UpdateInProgressException'], () =>
          unlessNotFound(ctx.aws.ecs.send(new DeleteClusterCommand({ cluster })), 'ClusterNotFoundException'),
        ),
    });
  }
  return items;
}
