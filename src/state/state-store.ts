import { open, readFile, rename, unlink, mkdir, copyFile, chmod, readdir } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { StateError } from '../errors.js';
import { statePaths } from './state-paths.js';
import { pidAlive } from './pid-alive.js';
import { writeSynced } from './write-synced.js';
import { emptyState, parseStateText, upgradeState, type StateFile } from './state-file.js';

/** File-system calls the store makes, injectable so a test can crash between temp write and rename. */
export interface StateFs {
  rename: typeof rename;
}

export { statePaths };

/**
 * Loads and saves one env's state file. Writes are atomic (temp file, fsync,
 * rename), keep a .bak of the previous version, and are mode 0600.
 */
export class StateStore {
  readonly paths: ReturnType<typeof statePaths>;
  constructor(
    root: string,
    readonly env: string,
    private readonly fs: StateFs = { rename },
  ) {
    this.paths = statePaths(root, env);
  }

  async load(app: string, now: Date): Promise<StateFile> {
    await this.removeStaleTemps();
    let text: string;
    try {
      text = await readFile(this.paths.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(app, this.env, now);
      throw e;
    }
    return upgradeState(this.parse(text), this.paths.file, app, (why) => this.corrupt(why));
  }

  /**
   * Every write of this state goes through one queue, in call order, each
   * writing the state as it is when its turn comes: an older snapshot can
   * never land after a newer one, whoever saves (the runner, an intent).
   */
  save(state: StateFile, now: Date): Promise<void> {
    const turn = this.queue.then(() => this.write(state, now));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private queue: Promise<void> = Promise.resolve();

  private parse(text: string): Record<string, unknown> {
    return parseStateText(text, (why) => this.corrupt(why));
  }

  /** A state file that cannot be used: exit 3, naming the file and offering the .bak when it is usable. */
  private corrupt(why: string): StateError {
    let bakOk = false;
    try {
      const b = JSON.parse(readFileSync(this.paths.bak, 'utf8'));
      bakOk = typeof b === 'object' && b !== null && typeof b.steps === 'object' && b.steps !== null && !Array.isArray(b.steps);
    } catch {
      /* no usable .bak */
    }
    return new StateError(`read state: ${this.paths.file} is damaged: ${why}`, {
      hint: bakOk
        ? `The previous version in ${basename(this.paths.bak)} looks good. Restore it with: cp ${this.paths.bak} ${this.paths.file}  then run again (steps it does not list are found by name and adopted).`
        : `There is no usable ${basename(this.paths.bak)}. Move ${this.paths.file} aside and run again: every step finds its resources by name and tags and adopts them.`,
    });
  }

  private async write(state: StateFile, now: Date): Promise<void> {
    await mkdir(this.paths.dir, { recursive: true, mode: 0o700 });
    state.updatedAt = now.toISOString();
    const tmp = join(this.paths.dir, `.${this.env}.state.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    await writeSynced(tmp, JSON.stringify(state, null, 2) + '\n');
    try {
      await copyFile(this.paths.file, this.paths.bak);
      await chmod(this.paths.bak, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      await this.fs.rename(tmp, this.paths.file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    // fsync the directory so the rename itself survives a power cut.
    const dh = await open(this.paths.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  /** Temp files left by a crash between write and rename are never the state; drop them. */
  private async removeStaleTemps(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.paths.dir);
    } catch {
      return;
    }
    const mine = new RegExp(`^\\.${this.env}\\.state\\.json\\.(\\d+)\\.[0-9a-f]+\\.tmp$`);
    for (const n of names) {
      const m = mine.exec(n);
      if (m && !pidAlive(Number(m[1]))) await unlink(join(this.paths.dir, n)).catch(() => undefined);
    }
  }
}

export { pidAlive };

/** Refuses state that belongs to another AWS account or region (exit 3). */
export function checkIdentity(state: StateFile, account: string, region: string): void {
  if (state.account && state.account !== account) {
    throw new StateError(`check state: this state belongs to AWS account ${state.account}, but the credentials are for ${account}`, {
      hint: 'Use the profile for the right account (--profile), or a different --env.',
    });
  }
  if (state.region && state.region !== region) {
    throw new StateError(`check state: this state was deployed to ${state.region}, but the region is now ${region}`, {
      hint: `Pass --region ${state.region}, or use a different --env for a second region.`,
    });
  }
  state.account = account;
  state.region = region;
}
