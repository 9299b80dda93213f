import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { breakLock } from '../state/lock.js';
import { statePaths } from '../state/state-paths.js';
import { loadConfig } from '../config/load-config.js';
import { openState } from '../state/open-state.js';
import { InputError } from '../errors.js';
import type { CommonOptions, Io } from '../options.js';

export async function unlockCommand(opts: CommonOptions, io: Io, id: string | undefined): Promise<number> {
  if (!id) throw new InputError('unlock: missing the lock ID', ['usage: deploy-wizard unlock ID (the ID is in the "locked" error message)']);
  const configPath = resolve(io.cwd, opts.configPath);
  // Without a config there is nowhere but this disk to look (a lock outlives a config that moved).
  const holder = existsSync(configPath)
    ? await openState(await loadConfig(configPath, opts.env), opts, io).unlock(id)
    : await breakLock(statePaths(dirname(configPath), opts.env).lock, id);
  io.stderr.write(`Broke lock ${id} held by pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.startedAt}).\n`);
  return 0;
}
