import { createHash } from 'node:crypto';
import type { StepContext } from '../../src/pipeline/context.js';
import { fit, rdsIdentifier } from '../../src/aws/names.js';
import { ensureSnapshot, type SnapshotApi } from '../../src/aws/ensure-snapshot.js';

/**
 * The manual snapshot taken before changes that take the database down, restart it or upgrade its major
 * version: named for the changes, so a run that dies after asking for it finds it again instead of taking a second.
 */
export const beforeSnapshotName = (ctx: Pick<StepContext, 'app' | 'env'>, labels: readonly string[]) =>
  fit(`${rdsIdentifier(ctx.app, ctx.env)}-before-${createHash('sha256').update(labels.join(';')).digest('hex').slice(0, 8)}`, 255);

export type { SnapshotApi };

/** Takes the snapshot unless it exists, and waits until it is available. */
export async function snapshotBefore(ctx: StepContext, labels: readonly string[], api: SnapshotApi): Promise<string> {
  const id = beforeSnapshotName(ctx, labels);
  await ensureSnapshot({ id, api, clock: ctx.clock, signal: ctx.signal, onStatus: (l) => ctx.log.info(l), why: `before: ${labels.join(', ')}` });
  return id;
}
