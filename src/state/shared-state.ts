// The shared state in S3: making its bucket, moving a state between this disk
// and there. `state init|push|pull` and `ci github` both call these.
import { existsSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type LoadedConfig } from '../config/load-config.js';
import { createAwsClients } from '../aws/clients.js';
import { callerAccount } from '../aws/caller-account.js';
import { clientOptionsFor } from '../aws/client-options.js';
import { describeAwsError } from '../aws/describe-error.js';
import { InputError, StateError } from '../errors.js';
import { systemClock } from '../clock.js';
import { canonicalJson } from '../canonical-json.js';
import { bucketNameProblem } from '../config/bucket-name.js';
import { STATE_PREFIX, STATE_PREFIX_RULE } from '../config/state-schema.js';
import { LocalStateBackend, S3StateBackend } from './state-backend.js';
import { lockCommandOf, openState, stateLocationFor } from './open-state.js';
import { STATE_ENV } from './state-location.js';
import { upgradeState } from './state-file.js';
import { ensureStateBucket, defaultStateBucket, NONCURRENT_DAYS } from './state-bucket.js';
import { writeSynced } from './write-synced.js';
import type { CommonOptions, Io } from '../options.js';

const say = (opts: CommonOptions, io: Io, message: string, extra: Record<string, unknown> = {}) => {
  if (opts.json) io.stdout.write(JSON.stringify({ step: 'state', status: 'done', message, ...extra, timestamp: systemClock.now().toISOString() }) + '\n');
  else io.stdout.write(message + '\n');
};

/** The config lines that point at an S3 state. */
export function stateConfigLines(bucket: string, prefix: string): string {
  return `"state": { "backend": "s3", "bucket": "${bucket}", "prefix": "${prefix}" }`;
}

/** The state bucket ready (created or checked), and where in it this app's state goes. */
export async function initStateBucket(loaded: LoadedConfig, opts: CommonOptions, io: Io) {
  const sf = opts.state ?? {};
  if (sf.bucket && bucketNameProblem(sf.bucket)) throw new InputError('state init: invalid flags', [`--bucket ${sf.bucket}: ${bucketNameProblem(sf.bucket)}`]);
  if (sf.prefix && !STATE_PREFIX.test(sf.prefix)) throw new InputError('state init: invalid flags', [`--prefix ${sf.prefix}: ${STATE_PREFIX_RULE}`]);
  const loc = stateLocationFor(loaded, { ...opts, stateBackend: undefined }, io);
  const region = (loc.backend === 's3' && loc.region) || opts.region || loaded.config.region;
  const aws = createAwsClients(clientOptionsFor(opts, io, region));
  const account = await callerAccount(aws);
  const bucket = sf.bucket ?? (loc.backend === 's3' ? loc.bucket : defaultStateBucket(account, region));
  let prefix = sf.prefix ?? (loc.backend === 's3' ? loc.prefix : '');
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  let changed: string[];
  try {
    changed = await ensureStateBucket(aws.stateS3(region), bucket, region);
  } catch (e) {
    throw describeAwsError(e, `state init: set up s3://${bucket}`);
  }
  return { loc, bucket, prefix, region, account, changed };
}

export async function stateInit(loaded: LoadedConfig, opts: CommonOptions, io: Io): Promise<number> {
  const { loc, bucket, prefix, region, account, changed } = await initStateBucket(loaded, opts, io);
  const already = loc.backend === 's3' && loc.bucket === bucket && loc.prefix === prefix;
  const lines = stateConfigLines(bucket, prefix);
  if (opts.json) {
    say(opts, io, `state bucket s3://${bucket} is ready`, { bucket, prefix, region, account, changed, config: { backend: 's3', bucket, prefix } });
    return 0;
  }
  io.stdout.write(
    `State bucket s3://${bucket} (${region}, account ${account}) is ready: versioning on, encrypted (SSE-S3), public access blocked, earlier versions kept ${NONCURRENT_DAYS} days.\n` +
      (changed.length ? `Changed: ${changed.join(', ')}.\n` : 'Nothing needed changing.\n') +
      (already
        ? `${opts.configPath} already keeps its state there.\n`
        : `\nAdd this to ${opts.configPath} (top level):\n\n  ${lines}\n\nor, for one run or a CI job: ${STATE_ENV}=s3://${bucket}/${prefix}\n`) +
      (existsSync(new LocalStateBackend(loaded.dir, opts.env).where)
        ? `Then move the state of ${opts.env} there: deploy-wizard state push --env ${opts.env}\n`
        : ''),
  );
  return 0;
}

function remoteOf(loaded: LoadedConfig, opts: CommonOptions, io: Io, verb: string): S3StateBackend {
  const backend = openState(loaded, { ...opts, stateBackend: opts.stateBackend === 'local' ? undefined : opts.stateBackend }, io);
  if (!(backend instanceof S3StateBackend)) {
    throw new InputError(
      `state ${verb}: the state of ${opts.env} is kept on this disk; there is no S3 state to ${verb === 'push' ? 'push to' : 'pull from'}`,
      [`state: add "backend": "s3" with a bucket to ${opts.configPath}, or set ${STATE_ENV}=s3://bucket/prefix`],
      { hint: 'deploy-wizard state init creates a bucket and prints the lines to add.' },
    );
  }
  return backend;
}

export async function statePush(loaded: LoadedConfig, opts: CommonOptions, io: Io): Promise<number> {
  const clock = systemClock;
  const app = loaded.config.app;
  const remote = remoteOf(loaded, opts, io, 'push');
  const local = new LocalStateBackend(loaded.dir, opts.env);
  if (!existsSync(local.where)) {
    throw new InputError(`state push: there is no local state of ${opts.env} at ${local.where}`, [], {
      hint: `Nothing to move: runs keep their state in ${remote.where}.`,
    });
  }
  // Both locks: no run may change either state while it moves.
  const localLock = await local.lock(lockCommandOf(io), () => clock.now());
  try {
    const remoteLock = await remote.lock(lockCommandOf(io), () => clock.now());
    try {
      const mine = await local.load(app, clock.now());
      const theirs = await remote.read();
      if (theirs) {
        const other = upgradeState(theirs.raw, remote.where, app, (why) => new StateError(`state push: ${remote.where} is damaged: ${why}`));
        if (other.account && mine.account && other.account !== mine.account)
          throw new StateError(`state push: ${remote.where} belongs to AWS account ${other.account}, the local state to ${mine.account}`, {
            hint: 'Check --env and the bucket: each account keeps its own state.',
          });
        if (canonicalJson({ ...other, updatedAt: '' }) === canonicalJson({ ...mine, updatedAt: '' })) {
          say(opts, io, `${remote.where} already holds this state; nothing written.`);
          await parkLocal(local.where, clock.now());
          return 0;
        }
        if (Date.parse(other.updatedAt) >= Date.parse(mine.updatedAt)) {
          throw new StateError(
            `state push: ${remote.where} is newer (updated ${other.updatedAt}${theirs.writer ? ` by ${theirs.writer}` : ''}) than the local state (${mine.updatedAt}); not overwritten`,
            {
              hint: `Someone deployed from elsewhere since. Look at it with deploy-wizard state pull; the remote state is the one to keep. To start over from the local copy, delete the object (the bucket keeps its earlier versions ${NONCURRENT_DAYS} days) and push again.`,
            },
          );
        }
      }
      // Conditional on the object as just read: a run that wrote in between wins, and this push fails.
      await remote.store.writeOver(mine, theirs?.etag);
      const parked = await parkLocal(local.where, clock.now());
      say(opts, io, `Pushed the state of ${opts.env} to ${remote.where}. The local file is kept as ${parked}; runs now use the S3 state.`, {
        where: remote.where,
      });
      return 0;
    } finally {
      await remoteLock.release();
    }
  } finally {
    await localLock.release();
  }
}

/** Moves the local state aside (never deletes it): a run on the local backend must not pick up a copy that went stale. */
async function parkLocal(path: string, now: Date): Promise<string> {
  const parked = `${path}.pushed-${now.toISOString().replace(/[:.]/g, '-')}`;
  await rename(path, parked);
  return parked;
}

export async function statePull(loaded: LoadedConfig, opts: CommonOptions, io: Io): Promise<number> {
  const remote = remoteOf(loaded, opts, io, 'pull');
  const found = await remote.read();
  if (!found) throw new InputError(`state pull: there is no state at ${remote.where}`, [], { hint: 'Nothing deployed from there yet.' });
  const state = upgradeState(found.raw, remote.where, loaded.config.app, (why) => new StateError(`state pull: ${remote.where} is damaged: ${why}`));
  const out = opts.state?.out ? resolve(io.cwd, opts.state.out) : join(loaded.dir, '.deploy-wizard', `${opts.env}.state.pulled.json`);
  await mkdir(dirname(out), { recursive: true, mode: 0o700 });
  await unlink(out).catch(() => undefined);
  await writeSynced(out, JSON.stringify(state, null, 2) + '\n');
  say(opts, io, `Wrote a copy of ${remote.where} (updated ${state.updatedAt}) to ${out}, for reading; runs keep using the S3 state.`, { path: out });
  return 0;
}
