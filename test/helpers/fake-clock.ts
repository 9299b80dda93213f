import type { Clock } from '../../src/clock.js';

/** A clock whose sleeps return at once and move time forward: waits of minutes run in microseconds. */
export function fakeClock(start = new Date('2026-11-22T00:00:00Z')) {
  let now = start.getTime();
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => new Date(now),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps, elapsed: () => now - start.getTime() };
}
