import type { StepCode } from '../../src/pipeline/manifest.js';
import type { Check } from '../../src/pipeline/step.js';
import { DescribeNatGatewaysCommand, DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { natsAvailable } from '../../src/aws/nat-wait.js';

export interface VpcEgressOutput {
  natGatewayIds: string[];
  endpointIds: string[];
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    'vpc-egress': VpcEgressOutput;
  }
}

export const vpcEgress: StepCode<'vpc-egress'> = {
  async inputs(ctx) {
    const v = ctx.output('vpc');
    return { natGatewayIds: v.natGatewayIds, endpointIds: v.endpointIds };
  },

  async plan() {
    return [];
  },

  async apply(ctx) {
    const v = ctx.output('vpc');
    await natsAvailable(ctx, 'vpc-egress', v.natGatewayIds, v.endpointIds);
    return { natGatewayIds: v.natGatewayIds, endpointIds: v.endpointIds };
  },

  async verify(ctx, out) {
    const nats = out.natGatewayIds.length
      ? ((await ctx.aws.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: out.natGatewayIds }))).NatGateways ?? [])
      : [];
    const eps = out.endpointIds.length
      ? ((await ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: out.endpointIds }))).VpcEndpoints ?? [])
      : [];
    const checks: Check[] = [
      { name: 'NAT gateways available', ok: nats.length === out.natGatewayIds.length && nats.every((n) => n.State === 'available') },
      { name: 'VPC endpoints available', ok: eps.length === out.endpointIds.length && eps.every((e) => e.State?.toLowerCase() === 'available') },
    ];
    return checks;
  },
};
