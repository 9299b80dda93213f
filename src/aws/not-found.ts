/** An SDK error's name ("DBInstanceNotFoundFault"), or "" for anything that is not an error. */
export const errorName = (e: unknown): string =>
  e && typeof e === 'object' && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : '';

/** The HTTP status of an SDK error's response (404, 409, 412...), if it had one. */
export const httpStatusOf = (e: unknown): number | undefined => (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/** True when `e` is an AWS error with one of these names. */
export const isError = (e: unknown, ...names: string[]): boolean => names.includes(errorName(e));

/**
 * The call's result, or undefined when AWS answers that the thing does not
 * exist (one of `names`; emulators sometimes use the short form, so callers
 * list both). Every other error propagates.
 */
export async function unlessNotFound<T>(call: Promise<T>, ...names: string[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (isError(e, ...names)) return undefined;
    throw e;
  }
}

/**
 * Whether trying the same call again may succeed: no answer at all (a reset
 * or timed-out connection), a 5xx, or throttling. The SDK marks what it would
 * retry itself with $retryable.
 */
export function isTransient(e: unknown): boolean {
  const status = httpStatusOf(e);
  if ((e as { $retryable?: unknown } | undefined)?.$retryable) return true;
  if (status === undefined) return true;
  if (status >= 500 || status === 429) return true;
  return /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/.test(errorName(e));
}
