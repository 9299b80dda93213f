import type { Clock } from './clock.js';
import { StepError } from './errors.js';

export interface Poll<T> {
  /** Finished: the value is returned. */
  done: boolean;
  value?: T;
  /** Shown to the user with the elapsed time, e.g. "creating". */
  status: string;
  /** A state that will not heal (failed, incompatible-*): stop at once with this reason. */
  fatal?: string;
}

export interface WaitOptions<T> {
  stepId: string;
  /** What is being waited for, e.g. "RDS instance app-prod". */
  what: string;
  poll: () => Promise<Poll<T>>;
  clock: Clock;
  signal: AbortSignal;
  deadlineMs: number;
  onStatus?: (line: string) => void;
  /** The shortest and the longest time between two polls (defaults 2 s and 30 s); see POLL_FRACTION. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Extra advice on timeout, e.g. where to look in the console. */
  timeoutHint?: string;
  /** How long this usually takes, shown beside the elapsed time ("10-20 min"), so a long wait reads as normal. */
  typical?: string;
}

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Each pause between polls is this fraction of the time already waited
 * (within the floor and cap), so a wait ends at most ~5% after the resource
 * is ready whatever its scale: a 15 s rollout is seen within a couple of
 * seconds, a 12 min database within 30 s. Growing by a fixed factor per poll
 * instead (×1.5 from 5 s) overshot by a third on short waits.
 */
export const POLL_FRACTION = 0.05;

/**
 * The one wait loop: polls with a backoff proportional to the elapsed time (capped), reports status
 * and elapsed time, stops on abort, fails at the deadline, and fails at once
 * on a fatal state. Errors thrown by `poll` propagate: the SDK has already
 * retried what can heal (throttling), so what reaches here will not.
 */
export async function waitFor<T>(o: WaitOptions<T>): Promise<T> {
  const start = o.clock.now().getTime();
  const minDelay = o.firstDelayMs ?? 2_000;
  const maxDelay = o.maxDelayMs ?? 30_000;
  let last = '';
  for (;;) {
    if (o.signal.aborted) throw o.signal.reason;
    const p = await o.poll();
    const elapsed = o.clock.now().getTime() - start;
    if (p.status !== last || !p.done) o.onStatus?.(`${o.what}: ${p.status} (${formatElapsed(elapsed)}${o.typical && !p.done ? `; usually ${o.typical}` : ''})`);
    last = p.status;
    if (p.fatal) {
      throw new StepError(o.stepId, `wait for ${o.what}: ${p.fatal}`, {
        hint: 'This state does not heal by waiting. Check the resource in the AWS console, fix the cause, then run again.',
      });
    }
    if (p.done) return p.value as T;
    const delay = Math.min(maxDelay, Math.max(minDelay, Math.round(elapsed * POLL_FRACTION)));
    if (elapsed + delay > o.deadlineMs) {
      throw new StepError(o.stepId, `wait for ${o.what}: still "${p.status}" after ${formatElapsed(elapsed)} (deadline ${formatElapsed(o.deadlineMs)})`, {
        hint: o.timeoutHint ?? 'It may still finish: run the same command again later and it picks up the wait where it stopped.',
      });
    }
    await o.clock.sleep(delay, o.signal);
  }
}
