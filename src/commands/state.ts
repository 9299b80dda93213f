import { resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { InputError } from '../errors.js';
import { stateInit, statePull, statePush } from '../state/shared-state.js';
import type { CommonOptions, Io } from '../options.js';

/** `state init | push | pull`: the shared state in S3, and moving a state between this disk and there. */
export async function stateCommand(opts: CommonOptions, io: Io, rest: string[]): Promise<number> {
  const [sub, ...extra] = rest;
  if (extra.length) throw new InputError(`state ${sub}: unexpected argument "${extra[0]}"`, ['usage: deploy-wizard state init | push | pull']);
  const loaded = await loadConfig(resolve(io.cwd, opts.configPath), opts.env);
  switch (sub) {
    case 'init':
      return stateInit(loaded, opts, io);
    case 'push':
      return statePush(loaded, opts, io);
    case 'pull':
      return statePull(loaded, opts, io);
    default:
      throw new InputError(sub ? `state: unknown subcommand "${sub}"` : 'state: missing the subcommand', ['usage: deploy-wizard state init | push | pull']);
  }
}
