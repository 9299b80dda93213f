import { describe, expect, it } from 'vitest';
import { retryIamPropagation } from '../../../src/aws/retry-iam-propagation.js';
import { fakeClock } from '../../helpers/fake-clock.js';

const notYet = () =>
  Object.assign(new Error('ECS was unable to assume the role arn:aws:iam::123456789012:role/app-prod-execution'), { name: 'InvalidParameterException' });

describe('retryIamPropagation', () => {
  it('retries "unable to assume the role" with backoff until the role works', async () => {
    const { clock, sleeps } = fakeClock();
    let calls = 0;
    const result = await retryIamPropagation(
      async () => {
        if (++calls < 4) throw notYet();
        return 'service-arn';
      },
      { clock, signal: new AbortController().signal },
    );
    expect(result).toBe('service-arn');
    expect(sleeps).toEqual([2000, 4000, 8000]);
  });

  it('gives up after about a minute with the original error', async () => {
    const { clock, elapsed } = fakeClock();
    let calls = 0;
    const err = await retryIamPropagation(
      async () => {
        calls++;
        throw notYet();
      },
      { clock, signal: new AbortController().signal },
    ).catch((e) => e);
    expect(err.message).toMatch(/unable to assume the role/);
    expect(elapsed()).toBeLessThanOrEqual(60_000);
    expect(calls).toBeGreaterThan(3);
  });

  it('does not retry other errors', async () => {
    const { clock } = fakeClock();
    let calls = 0;
    const denied = Object.assign(new Error('User is not authorized to perform: ecs:CreateService'), { name: 'AccessDeniedException' });
    await expect(
      retryIamPropagation(
        async () => {
          calls++;
          throw denied;
        },
        { clock, signal: new AbortController().signal },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });
});
