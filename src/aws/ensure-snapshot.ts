import type { Clock } from '../clock.js';
import { isError } from './not-found.js';
import { waitFor } from '../wait.js';

/** How one kind of snapshot (an instance's, a cluster's) is read and made. */
export interface SnapshotApi {
  /** The snapshot of that name, or undefined. */
  find(id: string): Promise<{ Status?: string } | undefined>;
  create(id: string): Promise<unknown>;
  /** The error codes for "a snapshot of that name exists already". */
  exists: string[];
}

/**
 * Takes the snapshot unless one of that name exists (a run that died after
 * asking finds it again instead of taking a second), and waits until it is
 * available.
 */
export async function ensureSnapshot(o: {
  id: string;
  api: SnapshotApi;
  clock: Clock;
  signal: AbortSignal;
  onStatus: (line: string) => void;
  /** Why, for the line that says it is taken. */
  why?: string;
}): Promise<void> {
  if (!(await o.api.find(o.id))) {
    o.onStatus(`taking snapshot ${o.id}${o.why ? ` ${o.why}` : ''}`);
    try {
      await o.api.create(o.id);
    } catch (e) {
      if (!isError(e, ...o.api.exists)) throw e;
    }
  }
  await waitFor({
    stepId: 'rds',
    what: `snapshot ${o.id}`,
    clock: o.clock,
    signal: o.signal,
    deadlineMs: 40 * 60_000,
    onStatus: o.onStatus,
    typical: 'a few minutes',
    poll: async () => {
      const status = (await o.api.find(o.id))?.Status ?? 'missing';
      return { done: status === 'available', status, ...(status === 'failed' ? { fatal: 'the snapshot failed' } : {}) };
    },
  });
}
