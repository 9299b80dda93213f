import { withDeployment } from '../with-deployment.js';
import { systemClock } from '../clock.js';
import { fit } from '../aws/names.js';
import { ensureSnapshot } from '../aws/ensure-snapshot.js';
import { listSnapshots, snapshotApi } from '../tasks/db-snapshots.js';
import { deployedDatabase } from '../tasks/deployed-database.js';
import type { CommonOptions, Io } from '../options.js';

const age = (from: Date | undefined, now: Date) => {
  if (!from) return '';
  const h = (now.getTime() - from.getTime()) / 3_600_000;
  return h < 1 ? `${Math.max(0, Math.round(h * 60))}m ago` : h < 48 ? `${Math.round(h)}h ago` : `${Math.round(h / 24)}d ago`;
};

/** `db snapshot [NAME]`: a manual snapshot, waited for; a run that died after asking finds the same one again. */
export async function dbSnapshot(opts: CommonOptions, io: Io, args: string[]): Promise<number> {
  return withDeployment(opts, io, {}, async (d) => {
    const rds = deployedDatabase(d);
    const stamp = systemClock.now().toISOString().slice(0, 16).replace(/[-:T]/g, '');
    const id = args[0] ?? fit(`${rds.identifier}-manual-${stamp}`, 255);
    const tags = [
      { Key: 'deploy-wizard:app', Value: d.loaded.config.app },
      { Key: 'deploy-wizard:env', Value: opts.env },
      { Key: 'deploy-wizard:step', Value: 'rds' },
    ];
    await ensureSnapshot({
      id,
      api: snapshotApi(d.session.aws, rds, tags),
      clock: systemClock,
      signal: io.signal,
      onStatus: (l) => !opts.json && io.stderr.write(`${l}\n`),
      why: `of ${rds.identifier}`,
    });
    io.stdout.write(opts.json ? `${JSON.stringify({ type: 'snapshot', id, of: rds.identifier })}\n` : `${id}\n`);
    return 0;
  });
}

/** `db snapshots`: manual and automated snapshots of the database (and of any a restore left behind), newest first. */
export async function dbSnapshots(opts: CommonOptions, io: Io): Promise<number> {
  return withDeployment(opts, io, { identity: false }, async (d) => {
    const rds = deployedDatabase(d);
    const rows = await listSnapshots(d.session.aws, rds, [rds.identifier, ...(rds.kept ?? [])]);
    const now = systemClock.now();
    if (opts.json) {
      for (const r of rows) io.stdout.write(`${JSON.stringify({ type: 'snapshot', ...r, createdAt: r.createdAt?.toISOString() })}\n`);
      return 0;
    }
    if (!rows.length) {
      io.stdout.write(`No snapshots of ${rds.identifier} yet; take one with deploy-wizard db snapshot.\n`);
      return 0;
    }
    const w = Math.max(...rows.map((r) => r.id.length));
    for (const r of rows)
      io.stdout.write(
        `${r.id.padEnd(w)}  ${r.kind.padEnd(9)}  ${r.status.padEnd(9)}  ${r.sizeGiB !== undefined ? `${r.sizeGiB} GiB` : ''.padEnd(6)}  ${age(r.createdAt, now)}${r.of !== rds.identifier ? `  (of ${r.of})` : ''}\n`,
      );
    return 0;
  });
}
