import { resolve, dirname } from 'node:path';
import { breakLock } from '../state/lock.js';
import { statePaths } from '../state/state-store.js';
import { InputError } from '../errors.js';
import type { CommonOptions, Io } from '../options.js';

export async function unlockCommand(opts: CommonOptions, io: Io, id: string | undefined): Promise<number> {
  if (!id) throw new InputError('unlock: missing the lock ID', ['usage: deploy-wizard unlock ID (the ID is in the "locked" error message)']);
  const root = dirname(resolve(io.cwd, opts.configPath));
  const holder = await breakLock(statePaths(root, opts.env).lock, id);
  io.stderr.write(`Broke lock ${id} held by pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.startedAt}).\n`);
  return 0;
}
