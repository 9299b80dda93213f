import { DeleteLoadBalancerCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { elbOwned, findLoadBalancer, findTargetGroup, recordedTargetGroups, staleTargetGroups, targetGroupTeardown } from '../../src/aws/load-balancer.js';
import { targetGroupName } from '../../src/aws/names.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { waitGone } from '../../src/aws/wait-gone.js';

/** The load balancer, then its target groups. Runs after the service step's teardown: a target group goes once no service uses it. */
export async function destroyLoadBalancer(ctx: StepContext<'load-balancer'>): Promise<Teardown[]> {
  const items: Teardown[] = [];
  const lb = await findLoadBalancer(ctx);
  const lbOurs = !!lb && (await elbOwned(ctx, lb.LoadBalancerArn!));
  // Target groups on our load balancer, and those named for the config's web services (the load balancer may be gone already).
  const tgs = new Map((await staleTargetGroups(ctx, [])).map((tg) => [tg.TargetGroupArn!, tg]));
  for (const s of Object.values(ctx.config.services).filter((x) => x.kind === 'web')) {
    const tg = await findTargetGroup(ctx, targetGroupName(ctx, s.name));
    if (tg && !tgs.has(tg.TargetGroupArn!) && (await elbOwned(ctx, tg.TargetGroupArn!))) tgs.set(tg.TargetGroupArn!, tg);
  }
  // Those of services removed from the config whose deletion a stopped run never reached: no route lists them any more.
  for (const tg of await recordedTargetGroups(
    ctx,
    (ctx.previous()?.retiredTargetGroups ?? []).filter((r) => !tgs.has(r.arn)),
  ))
    tgs.set(tg.TargetGroupArn!, tg);
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
  for (const tg of tgs.values()) items.push(targetGroupTeardown(ctx, tg));
  return items;
}
