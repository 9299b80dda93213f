import type { StepContext } from '../pipeline/context.js';
import { waitFor } from '../wait.js';
import { errorName } from './not-found.js';

/**
 * Runs a delete that AWS refuses while something else still holds the
 * resource and lets go of it on its own in a while: a security group while
 * the network interfaces of deleted tasks and load balancers are released, a
 * certificate until the load balancer or distribution that used it is gone,
 * a target group while its load balancer is being deleted.
 */
export async function retryWhileInUse(ctx: StepContext, what: string, codes: string[], call: () => Promise<unknown>, deadlineMs = 20 * 60_000): Promise<void> {
  await waitFor({
    stepId: 'destroy',
    what,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs,
    firstDelayMs: 2_000,
    maxDelayMs: 20_000,
    onStatus: (l) => ctx.log.info(l),
    timeoutHint: 'Something else still uses it. Run destroy again later; it resumes here.',
    poll: async () => {
      try {
        await call();
        return { done: true, status: 'deleted' };
      } catch (e) {
        if (codes.includes(errorName(e))) return { done: false, status: `still in use (${errorName(e)})` };
        throw e;
      }
    },
  });
}
