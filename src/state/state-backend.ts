import type { S3Client } from '@aws-sdk/client-s3';
import { StateStore } from './state-store.js';
import { statePaths } from './state-paths.js';
import { acquireLock, breakLock, type Lock, type LockInfo } from './lock.js';
import { S3StateStore, writerLabel } from './s3-state-store.js';
import { acquireS3Lock, breakS3Lock, DEFAULT_LEASE_MS, type RemoteLock } from './s3-lock.js';
import { STATE_ENV, stateKeys, type StateLocation } from './state-location.js';
import { InputError } from '../errors.js';
import { isError } from '../aws/not-found.js';
import { describeAwsError } from '../aws/describe-error.js';
import type { StateFile } from './state-file.js';

/**
 * Where one app and env's state lives, and its lock: the commands use only
 * this, so every one of them works the same on this disk and in S3.
 */
export interface StateBackend {
  readonly kind: 'local' | 's3';
  /** A path or an s3:// URL, for messages. */
  readonly where: string;
  load(app: string, now: Date): Promise<StateFile>;
  save(state: StateFile, now: Date): Promise<void>;
  lock(command: string, now: () => Date): Promise<Lock>;
  unlock(id: string): Promise<LockInfo>;
  /** File digests of the build context: a cache of this checkout, always on this disk. */
  readonly digestsPath: string;
}

export class LocalStateBackend implements StateBackend {
  readonly kind = 'local';
  readonly store: StateStore;
  constructor(root: string, env: string) {
    this.store = new StateStore(root, env);
  }
  get where() {
    return this.store.paths.file;
  }
  get digestsPath() {
    return this.store.paths.digests;
  }
  load(app: string, now: Date) {
    return this.store.load(app, now);
  }
  save(state: StateFile, now: Date) {
    return this.store.save(state, now);
  }
  lock(command: string, now: () => Date) {
    return acquireLock(this.store.paths.lock, command, now());
  }
  unlock(id: string) {
    return breakLock(this.store.paths.lock, id);
  }
}

export class S3StateBackend implements StateBackend {
  readonly kind = 's3';
  readonly store: S3StateStore;
  readonly lockKey: string;
  private held: RemoteLock | undefined;
  readonly digestsPath: string;
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    prefix: string,
    app: string,
    env: string,
    root: string,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {
    const keys = stateKeys({ prefix }, app, env);
    this.lockKey = keys.lock;
    this.digestsPath = statePaths(root, env).digests;
    this.store = new S3StateStore(s3, bucket, keys.state, env, () => ({
      label: this.held ? writerLabel(this.held.info) : 'deploy-wizard (no lock)',
      lost: this.held?.lost(),
    }));
  }
  get where() {
    return this.store.url;
  }
  load(app: string, now: Date) {
    return this.explained('read state', () => this.store.load(app, now));
  }
  /** The object as it is, without adopting its ETag (state push and pull). */
  read() {
    return this.explained('read state', () => this.store.read());
  }
  save(state: StateFile, now: Date) {
    return this.explained('write state', () => this.store.save(state, now));
  }
  async lock(command: string, now: () => Date) {
    const lock = await this.explained('lock state', () => acquireS3Lock(this.s3, { bucket: this.bucket, key: this.lockKey }, command, now, this.leaseMs));
    this.held = lock;
    return lock;
  }
  unlock(id: string) {
    return this.explained('unlock', () => breakS3Lock(this.s3, { bucket: this.bucket, key: this.lockKey }, id));
  }

  /** AWS errors as the user can act on them: a missing bucket names the config key and the command that makes it. */
  private async explained<T>(doing: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (isError(e, 'NoSuchBucket'))
        throw new InputError(`${doing}: the state bucket ${this.bucket} does not exist`, [`state.bucket (or ${STATE_ENV}): ${this.bucket} is not a bucket`], {
          hint: `Create it with: deploy-wizard state init --bucket ${this.bucket}`,
        });
      throw describeAwsError(e, `${doing} ${this.where}`);
    }
  }
}

/** The backend a location names. `s3For` makes the state bucket's client (src/aws/clients.ts builds it). */
export function stateBackendFor(
  loc: StateLocation,
  where: { root: string; app: string; env: string },
  s3For: (region?: string) => S3Client,
  leaseMs?: number,
): StateBackend {
  if (loc.backend === 'local') return new LocalStateBackend(where.root, where.env);
  return new S3StateBackend(s3For(loc.region), loc.bucket, loc.prefix, where.app, where.env, where.root, leaseMs);
}
