import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from './config/load-config.js';
import { openSession, type Session } from './session.js';
import { openState, lockCommandOf } from './state/open-state.js';
import type { StateBackend } from './state/state-backend.js';
import type { Lock } from './state/lock.js';
import type { StateFile } from './state/state-file.js';
import { checkIdentity } from './state/state-store.js';
import { systemClock } from './clock.js';
import type { CommonOptions, Io } from './options.js';

/** What a command that works on a deployed app and env has open. */
export interface Deployment {
  loaded: LoadedConfig;
  store: StateBackend;
  session: Session;
  state: StateFile;
  /** Held while the command runs, when it asked for the lock. */
  lock?: Lock;
}

export interface DeploymentOptions<C> {
  /**
   * Checks of flags and arguments against the config (and questions, for deploy), before any AWS call: throw an
   * InputError to stop; what it returns reaches `fn` as `checked`. It may read the state, unlocked.
   */
  check?: (loaded: LoadedConfig, store: StateBackend) => C | Promise<C>;
  /** Connects to Docker as the session opens (a deploy builds images). */
  docker?: boolean;
  /** Read-only checks of the account once the session is open, before the lock is taken (deploy's preflight). */
  beforeLock?: (d: { loaded: LoadedConfig; store: StateBackend; session: Session; checked: C }) => Promise<void>;
  /** Holds the state lock while the command runs: every command that changes AWS or the state. */
  lock?: boolean;
  /** Refuses a state written for another account or region (default true; read-only views of the config skip it). */
  identity?: boolean;
}

/**
 * Opens, in the one order every command needs, what a command on a deployed
 * app and env works with: the config, where the state is (a bad
 * --state-backend is settled before any AWS call), the command's own checks,
 * the AWS clients and account, its read-only checks of the account, the lock
 * when asked, and the state read under it; then runs `fn` and releases the
 * lock, whatever happens.
 */
export async function withDeployment<T, C = undefined>(
  opts: CommonOptions,
  io: Io,
  o: DeploymentOptions<C>,
  fn: (d: Deployment & { checked: C }) => Promise<T>,
): Promise<T> {
  const loaded = await loadConfig(resolve(io.cwd, opts.configPath), opts.env);
  const store = openState(loaded, opts, io);
  const checked = (await o.check?.(loaded, store)) as C;
  const session = await openSession(opts, io, !!o.docker, loaded);
  await o.beforeLock?.({ loaded, store, session, checked });
  const lock = o.lock ? await store.lock(lockCommandOf(io), () => systemClock.now()) : undefined;
  try {
    const state = await store.load(loaded.config.app, systemClock.now());
    if (o.identity !== false) checkIdentity(state, session.account, session.region);
    return await fn({ loaded, store, session, state, checked, ...(lock ? { lock } : {}) });
  } finally {
    await lock?.release();
  }
}
