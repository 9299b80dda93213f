import { describe, expect, it } from 'vitest';
import { POLL_FRACTION, waitFor, type Poll } from '../../src/wait.js';
import { StepError } from '../../src/errors.js';
import { fakeClock } from '../helpers/fake-clock.js';

const MIN = 60_000;

/** An RDS-like resource that reports `status` until `readyAfterMs` of simulated time. */
function resource(clock: { now(): Date }, readyAfterMs: number, status = 'creating', end: Poll<string> = { done: true, value: 'ep', status: 'available' }) {
  const t0 = clock.now().getTime();
  let polls = 0;
  return {
    polls: () => polls,
    poll: async (): Promise<Poll<string>> => {
      polls++;
      return clock.now().getTime() - t0 >= readyAfterMs ? end : { done: false, status };
    },
  };
}

describe('waitFor', () => {
  it('waits through 12 simulated minutes of "creating", backing off, with status and elapsed time', async () => {
    const { clock, sleeps, elapsed } = fakeClock();
    const r = resource(clock, 12 * MIN);
    const lines: string[] = [];
    const value = await waitFor({
      stepId: 'rds',
      what: 'RDS instance a-prod',
      poll: r.poll,
      clock,
      signal: new AbortController().signal,
      deadlineMs: 40 * MIN,
      onStatus: (l) => lines.push(l),
      typical: '10-20 min',
    });
    expect(value).toBe('ep');
    expect(elapsed()).toBeGreaterThanOrEqual(12 * MIN);
    expect(elapsed()).toBeLessThanOrEqual(12 * MIN + 30_000); // seen within one capped pause
    expect(sleeps[0]).toBe(2_000); // the floor
    expect(sleeps.at(-1)!).toBeGreaterThan(sleeps[0]!); // backoff
    expect(Math.max(...sleeps)).toBe(30_000); // capped
    expect(r.polls()).toBeLessThan(100);
    // Each wait says its elapsed time beside the usual one, so a long wait reads as normal.
    expect(lines[0]).toBe('RDS instance a-prod: creating (0s; usually 10-20 min)');
    expect(lines.some((l) => /creating \(\d+m\d\ds; usually 10-20 min\)/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^RDS instance a-prod: available \(12m\d\ds\)$/);
  });

  // The same rule at every scale: ready after T, seen by T × (1 + POLL_FRACTION) or one floor pause.
  it.each([15_000, 60_000, 4 * MIN, 15 * MIN])('sees a resource ready after %i ms within 5%% (or the 2 s floor), not a third later', async (readyAfter) => {
    const { clock, elapsed } = fakeClock();
    const r = resource(clock, readyAfter);
    await waitFor({ stepId: 'service', what: 'x', poll: r.poll, clock, signal: new AbortController().signal, deadlineMs: 40 * MIN });
    const late = elapsed() - readyAfter;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThanOrEqual(Math.min(30_000, Math.max(2_000, readyAfter * POLL_FRACTION)));
  });

  it('fails at once on a state that will not heal', async () => {
    const { clock, elapsed } = fakeClock();
    const r = resource(clock, 3 * MIN, 'creating', { done: false, status: 'failed', fatal: 'status is "failed"' });
    const err = await waitFor({
      stepId: 'rds',
      what: 'RDS instance a-prod',
      poll: r.poll,
      clock,
      signal: new AbortController().signal,
      deadlineMs: 40 * MIN,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toBe('wait for RDS instance a-prod: status is "failed"');
    expect(elapsed()).toBeLessThan(4 * MIN);
  });

  it('gives up at the deadline, not after it', async () => {
    const { clock, elapsed } = fakeClock();
    const r = resource(clock, Infinity);
    const err = await waitFor({
      stepId: 'rds',
      what: 'RDS instance a-prod',
      poll: r.poll,
      clock,
      signal: new AbortController().signal,
      deadlineMs: 10 * MIN,
    }).catch((e) => e);
    expect(err.message).toMatch(/still "creating" after \d+m\d\ds \(deadline 10m00s\)/);
    expect(elapsed()).toBeLessThanOrEqual(10 * MIN);
  });

  it('stops when aborted', async () => {
    const { clock } = fakeClock();
    const ac = new AbortController();
    let polls = 0;
    const p = waitFor({
      stepId: 'rds',
      what: 'x',
      poll: async () => {
        if (++polls === 3) ac.abort(new Error('interrupted'));
        return { done: false, status: 'creating' };
      },
      clock,
      signal: ac.signal,
      deadlineMs: 40 * MIN,
    });
    await expect(p).rejects.toThrow('interrupted');
    expect(polls).toBe(3);
  });

  it('lets a non-healing error from the poll through at once', async () => {
    const { clock } = fakeClock();
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
    await expect(
      waitFor({ stepId: 'rds', what: 'x', poll: async () => Promise.reject(denied), clock, signal: new AbortController().signal, deadlineMs: MIN }),
    ).rejects.toBe(denied);
  });
});
