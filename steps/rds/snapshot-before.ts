import { createHash } from 'node:crypto';
import type { StepContext } from '../../src/pipeline/context.js';
import { fit, rdsIdentifier } from '../../src/aws/names.js';
import { isError } from '../../src/aws/not-found.js';
import { waitFor } from '../../src/wait.js';

/**
 * The manual snapshot taken before changes that take the database down, restart it or upgrade its major
 * version: named for the changes, so a run that dies after asking for it finds it again instead of taking a second.
 */
export const beforeSnapshotName = (ctx: Pick<StepContext, 'app' | 'env'>, labels: readonly string[]) =>
  fit(`${rdsIdentifier(ctx.app, ctx.env)}-before-${createHash('sha256').update(labels.join(';')).digest('hex').slice(0, 8)}`, 255);

/** How one kind of snapshot (an instance's, a cluster's) is read and made. */
export interface SnapshotApi {
  /** The snapshot of that name, or undefined. */
  find(id: string): Promise<{ Status?: string } | undefined>;
  create(id: string): Promise<unknown>;
  /** The error codes for "a snapshot of that name exists already". */
  exists: string[];
}

/** Takes the snapshot unless it exists, and waits until it is available. */
export async function snapshotBefore(ctx: StepContext, labels: readonly string[], api: SnapshotApi): Promise<string> {
  const id = beforeSnapshotName(ctx, labels);
  if (!(await api.find(id))) {
    ctx.log.info(`taking snapshot ${id} before: ${labels.join(', ')}`);
    try {
      await api.create(id);
    } catch (e) {
      if (!isError(e, ...api.exists)) throw e;
    }
  }
  await waitFor({
    stepId: 'rds',
    what: `snapshot ${id}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 40 * 60_000,
    onStatus: (l) => ctx.log.info(l),
    typical: 'a few minutes',
    poll: async () => {
      const status = (await api.find(id))?.Status ?? 'missing';
      return { done: status === 'available', status, ...(status === 'failed' ? { fatal: 'the snapshot failed' } : {}) };
    },
  });
  return id;
}
