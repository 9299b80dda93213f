import * as clack from '@clack/prompts';
import { withDeployment } from '../with-deployment.js';
import { InputError, InterruptedError } from '../errors.js';
import { systemClock } from '../clock.js';
import { findCluster, findInstance } from '../aws/rds-instance.js';
import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import {
  deleteKept,
  deleteKeptCluster,
  nextRestoreIdentifier,
  protect,
  protectCluster,
  restorableSnapshot,
  restoreCluster,
  restoreInstance,
} from '../tasks/db-restore.js';
import { deployedDatabase } from '../tasks/deployed-database.js';
import { deployApp } from '../deploy/deploy-app.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { CommonOptions, Io } from '../options.js';

type Rds = StepOutputs['rds'];

/**
 * `db restore SNAPSHOT`: a new instance from the snapshot, then the app moved
 * to it by a deploy (the rds step converges the new instance, the secret's
 * derived keys follow its endpoint, the services roll). The instance it
 * replaces is kept with deletion protection. Each stage is recorded before it
 * is done, so a killed run picks up where it stopped and never makes a second
 * instance.
 */
export async function dbRestore(opts: CommonOptions, io: Io, args: string[]): Promise<number> {
  const snapshot = args[0]!;
  const note = (line: string) => {
    if (!opts.json) io.stderr.write(`${line}\n`);
  };
  await withDeployment(opts, io, { lock: true }, async (d) => {
    const rds = deployedDatabase(d) as Rds;
    const aurora = rds.engine === 'aurora-postgresql';
    if (rds.restoredFrom === snapshot && !d.state.restore) {
      note(`${rds.identifier} was restored from ${snapshot} already; finishing the move to it`);
      return;
    }
    const save = () => d.store.save(d.state, systemClock.now());
    const w = { aws: d.session.aws, app: d.loaded.config.app, env: opts.env, clock: systemClock, signal: io.signal, note };
    await restorableSnapshot(w, snapshot, aurora);
    const current = aurora ? await findCluster(w, rds.identifier) : await findInstance(w, rds.identifier);
    if (!current) throw new InputError(`db restore: the database ${rds.identifier} is not there`, [], { hint: 'Run deploy-wizard status to see what is.' });
    const pending = d.state.restore;
    if (pending && pending.snapshot !== snapshot)
      throw new InputError(`db restore: a restore of ${pending.snapshot} (as ${pending.identifier}) is under way`, [], {
        hint: `Run deploy-wizard db restore ${pending.snapshot} to finish it first.`,
      });
    if (!pending) {
      d.state.restore = { snapshot, identifier: await nextRestoreIdentifier(w), at: systemClock.now().toISOString() };
      await save();
    }
    const id = d.state.restore!.identifier;
    let at: { endpoint: string; port: number; readerEndpoint?: string };
    if (aurora) {
      const c = await restoreCluster(w, { identifier: id, snapshot, like: current as DBCluster });
      await protectCluster(w, rds.identifier);
      at = { endpoint: c.Endpoint!, port: c.Port ?? rds.port, ...(rds.readerEndpoint && c.ReaderEndpoint ? { readerEndpoint: c.ReaderEndpoint } : {}) };
    } else {
      const made = await restoreInstance(w, { identifier: id, snapshot, like: current as DBInstance });
      await protect(w, rds.identifier);
      at = { endpoint: made.Endpoint!.Address!, port: made.Endpoint!.Port ?? rds.port };
    }
    // The app's database is the new one from now on: the next deploy converges it (an Aurora cluster's instances
    // are made then) and moves the app to it.
    const step = d.state.steps.rds!;
    step.outputs = {
      ...rds,
      identifier: id,
      ...at,
      kept: [...new Set([...(rds.kept ?? []), rds.identifier])],
      restoredFrom: snapshot,
    } as unknown as Record<string, unknown>;
    delete step.inputHash;
    delete d.state.restore;
    await save();
    note(`${id} is available; ${rds.identifier} is kept with deletion protection (deploy-wizard db forget-old deletes it)`);
  });
  note('moving the app to the restored database: deploying');
  return deployApp(opts, io);
}

/** `db forget-old`: deletes the instances restores moved the app away from, each after a final snapshot. */
export async function dbForgetOld(opts: CommonOptions, io: Io): Promise<number> {
  const note = (line: string) => {
    if (!opts.json) io.stderr.write(`${line}\n`);
  };
  return withDeployment(opts, io, { lock: true }, async (d) => {
    const rds = deployedDatabase(d) as Rds;
    const kept = rds.kept ?? [];
    if (!kept.length) {
      note('No database was left behind by a restore; nothing to delete.');
      return 0;
    }
    if (!opts.yes) {
      if (!io.isTTY || opts.nonInteractive)
        throw new InputError(`db forget-old: deleting ${kept.join(', ')} needs --yes`, [], { hint: 'Each gets a final snapshot first.' });
      const ok = await clack.confirm({ message: `Delete ${kept.join(', ')} (each after a final snapshot)?`, initialValue: false });
      if (clack.isCancel(ok) || !ok) throw new InterruptedError('db forget-old: cancelled');
    }
    const w = { aws: d.session.aws, app: d.loaded.config.app, env: opts.env, clock: systemClock, signal: io.signal, note };
    const stamp = systemClock.now().toISOString().slice(0, 10).replace(/-/g, '');
    for (const id of kept) {
      if (rds.engine === 'aurora-postgresql') await deleteKeptCluster(w, id, `${id}-final-${stamp}`);
      else await deleteKept(w, id, `${id}-final-${stamp}`);
      (d.state.steps.rds!.outputs as unknown as Rds).kept = ((d.state.steps.rds!.outputs as unknown as Rds).kept ?? []).filter((k) => k !== id);
      await d.store.save(d.state, systemClock.now());
      note(`deleted ${id}`);
    }
    return 0;
  });
}
