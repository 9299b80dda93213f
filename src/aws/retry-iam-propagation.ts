import type { Clock } from '../clock.js';

// What ECS and STS say while a new or changed role has not reached them yet.
const NOT_YET =
  /unable to assume (the )?role|cannot be assumed|not authorized to perform: sts:AssumeRole|Role is not valid|role defined for the function cannot be assumed|does not have (the )?(required )?permission to assume/i;

export function isRolePropagationError(e: unknown): boolean {
  return NOT_YET.test((e as Error)?.message ?? '');
}

/**
 * IAM changes take seconds to reach ECS. Calls that fail because a role cannot
 * be assumed yet are retried with backoff for up to a minute; anything else,
 * and the same error after a minute, fails as it is.
 */
export async function retryIamPropagation<T>(
  fn: () => Promise<T>,
  o: { clock: Clock; signal: AbortSignal; onRetry?: (msg: string) => void; budgetMs?: number },
): Promise<T> {
  const start = o.clock.now().getTime();
  const budget = o.budgetMs ?? 60_000;
  let delay = 2_000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      const waited = o.clock.now().getTime() - start;
      if (!isRolePropagationError(e) || waited + delay > budget) throw e;
      o.onRetry?.(`IAM role not usable yet (${(e as Error).message}); retrying in ${Math.round(delay / 1000)}s`);
      await o.clock.sleep(delay, o.signal);
      delay = Math.min(delay * 2, 15_000);
    }
  }
}
