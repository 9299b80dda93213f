import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ownershipTags, type StepOutputs } from '../../src/pipeline/step.js';
import { withNetwork } from './with-network.js';
import type { stepContext } from './step-context.js';

/**
 * A context whose `output('network')` is a real network step's result and
 * whose `output('load-balancer')` is a load balancer made in moto with our
 * tags (what a teardown checks before touching records that point at it):
 * for the steps after the load balancer, without running it.
 */
export async function withLoadBalancer(edit: Record<string, unknown>, opts: Parameters<typeof stepContext>[1] = {}) {
  const t = await withNetwork(edit, opts);
  const lb = (
    await t.ctx.aws.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: `${t.app}-prod`,
        Subnets: t.net.publicSubnetIds.slice(0, 2),
        Type: 'application',
        Tags: ownershipTags(t.ctx, 'load-balancer'),
      }),
    )
  ).LoadBalancers![0]!;
  const net = t.net;
  t.ctx.output = (<T>(id: string) => {
    if (id === 'network') return net as T;
    if (id === 'load-balancer') return { loadBalancerArn: lb.LoadBalancerArn!, dnsName: lb.DNSName! } as Partial<StepOutputs['load-balancer']> as T;
    throw new Error(id);
  }) as typeof t.ctx.output;
  return { ...t, lb };
}
