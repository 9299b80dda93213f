import type { StepContext } from '../pipeline/context.js';
import { waitFor } from '../wait.js';

/**
 * Polls a lookup until it finds nothing: a deleted resource whose name, or
 * whose hold on a subnet group or security group, is only free once it is
 * really gone. `find` answers undefined when it is gone, else its status.
 */
export async function waitGone(
  ctx: Pick<StepContext, 'clock' | 'signal'> & { log: Pick<StepContext['log'], 'info'> },
  o: { stepId: string; what: string; find: () => Promise<{ status?: string } | undefined>; deadlineMs: number; typical?: string },
): Promise<void> {
  await waitFor({
    stepId: o.stepId,
    what: o.what,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: o.deadlineMs,
    firstDelayMs: 2_000,
    maxDelayMs: 30_000,
    onStatus: (l) => ctx.log.info(l),
    ...(o.typical ? { typical: o.typical } : {}),
    poll: async () => {
      const cur = await o.find();
      return { done: !cur, status: cur ? (cur.status ?? 'deleting') : 'deleted' };
    },
  });
}
