import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { findOwnVpc } from '../../src/aws/own-vpc.js';
import { egressTeardown } from '../../src/network/egress.js';

/**
 * The NAT gateways, endpoints and Elastic IPs of the VPC the wizard made. Only the task definitions (and so every
 * task, service and schedule) depend on this step, so destroy gets here as soon as they are gone: beside the
 * database's and the cache's deletions, not after them, which the vpc step waits for.
 */
export async function destroyEgress(ctx: StepContext): Promise<Teardown[]> {
  const vpc = await findOwnVpc(ctx.aws.ec2, ctx);
  return vpc ? egressTeardown(ctx, vpc.VpcId!) : [];
}
