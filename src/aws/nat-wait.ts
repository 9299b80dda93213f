import { DescribeNatGatewaysCommand, DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import type { StepContext } from '../pipeline/context.js';
import type { StepId } from '../pipeline/outputs.js';
import { waitFor } from '../wait.js';

/**
 * Waits until the NAT gateways and VPC endpoints are available: a task that starts before has no way out to
 * pull its image, read its secret or write its logs. Fails at once on a failed gateway or endpoint.
 */
export async function natsAvailable(ctx: StepContext, stepId: StepId, natIds: string[], endpointIds: string[] = []): Promise<void> {
  if (!natIds.length && !endpointIds.length) return;
  await waitFor({
    stepId,
    what: [natIds.length && `NAT gateway${natIds.length > 1 ? 's' : ''} ${natIds.join(', ')}`, endpointIds.length && 'VPC endpoints']
      .filter(Boolean)
      .join(' and '),
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 15 * 60_000,
    typical: '1-3 min',
    onStatus: (l) => ctx.log.info(l),
    poll: async () => {
      const nats = natIds.length ? ((await ctx.aws.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: natIds }))).NatGateways ?? []) : [];
      const failed = nats.find((n) => n.State === 'failed');
      if (failed) return { done: false, status: 'failed', fatal: `NAT gateway ${failed.NatGatewayId} failed: ${failed.FailureMessage ?? failed.FailureCode}` };
      const eps = endpointIds.length ? ((await ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: endpointIds }))).VpcEndpoints ?? []) : [];
      const bad = eps.find((e) => /fail|reject/i.test(e.State ?? ''));
      if (bad) return { done: false, status: 'failed', fatal: `VPC endpoint ${bad.ServiceName} is ${bad.State}` };
      const pending = nats.filter((n) => n.State !== 'available').length + eps.filter((e) => e.State?.toLowerCase() !== 'available').length;
      return { done: pending === 0, status: pending ? `${pending} pending` : 'available' };
    },
  });
}
