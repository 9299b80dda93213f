import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isMissingKey } from './missing-key.js';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StateError } from '../errors.js';
import { httpStatusOf, isError } from '../aws/not-found.js';
import { serverDateOf } from '../aws/clients.js';
import type { Lock, LockInfo } from './lock.js';
import { pidAlive } from './pid-alive.js';
import { machineId } from './machine-id.js';

/**
 * The lock of a state kept in S3: an object created with `If-None-Match: *`
 * (exactly one of any number of runs creates it), holding who, where, the
 * command and when, and a lease the holder renews with `If-Match` on the
 * ETag it last wrote. A lock whose lease ran out is taken over with the same
 * `If-Match` on the ETag it was read at, so of several runs finding it
 * expired exactly one wins. The lease's age is measured between two of S3's
 * own timestamps (the lock's LastModified and the Date of the answer that
 * read it): no machine's clock needs to be right.
 */

export interface S3LockRecord extends LockInfo {
  /** How long the holder may go without renewing before others may take the lock. */
  leaseMs: number;
  renewedAt?: string;
  /** The holder's machine id (src/state/machine-id.ts); absent in locks of older versions. */
  machine?: string;
}

export interface RemoteLock extends Lock {
  /** Why this run no longer holds the lock (taken over after its lease ran out, or renewal kept failing), once it is so. */
  lost(): string | undefined;
}

/** Renewals come this many times per lease, so a slow or failed one still leaves time for the next. */
const RENEWALS_PER_LEASE = 3;
export const DEFAULT_LEASE_MS = 60_000;
/** Past this share of the lease without a renewal, the holder counts its lock as lost. */
const LOST_AFTER = 0.8;

/** 412: the condition failed. 409: a concurrent conditional write won; AWS says retry. 404: the object is gone. */
const preconditionFailed = (e: unknown) => httpStatusOf(e) === 412 || isError(e, 'PreconditionFailed');
const conflict = (e: unknown) => httpStatusOf(e) === 409 || isError(e, 'ConditionalRequestConflict');
const missing = (e: unknown) => !isError(e, 'NoSuchBucket') && (httpStatusOf(e) === 404 || isError(e, 'NoSuchKey') || isError(e, 'NotFound'));

interface Found {
  record: S3LockRecord;
  etag: string;
  /** Milliseconds since the lock was last written, by S3's clock. */
  ageMs: number;
}

async function readLockObject(s3: S3Client, bucket: string, key: string): Promise<Found | undefined> {
  let out;
  try {
    out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (e) {
    if (missing(e) || (await isMissingKey(s3, bucket, key, e))) return undefined;
    throw e;
  }
  const text = (await out.Body?.transformToString()) ?? '';
  const etag = out.ETag ?? '';
  const server = serverDateOf(out);
  // Without a Date header (never seen on S3), or with one that does not parse (a proxy that adds its own,
  // which Node joins with S3's into one value), the lock counts as fresh: waiting is safe, breaking is not.
  const measured = server && out.LastModified ? server.getTime() - out.LastModified.getTime() : NaN;
  const ageMs = Number.isFinite(measured) ? measured : 0;
  let record: S3LockRecord;
  try {
    record = JSON.parse(text) as S3LockRecord;
    if (typeof record.id !== 'string') throw new Error('no id');
  } catch {
    // Not a lock we wrote (S3 writes are whole, so not a torn one): name it by its ETag so unlock can remove it.
    record = {
      id: `etag-${etag.replace(/"/g, '').slice(0, 12)}`,
      pid: 0,
      host: '?',
      command: '(not a deploy-wizard lock)',
      startedAt: '',
      leaseMs: DEFAULT_LEASE_MS,
    };
  }
  if (!(record.leaseMs > 0)) record.leaseMs = DEFAULT_LEASE_MS;
  return { record, etag, ageMs };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireS3Lock(
  s3: S3Client,
  where: { bucket: string; key: string },
  command: string,
  now: () => Date,
  leaseMs = DEFAULT_LEASE_MS,
  machine: string | undefined = machineId(),
): Promise<RemoteLock> {
  const { bucket, key } = where;
  const info: LockInfo = { id: randomBytes(4).toString('hex'), pid: process.pid, host: hostname(), command, startedAt: now().toISOString() };
  const body = (extra: object = {}) => JSON.stringify({ ...info, leaseMs, ...(machine ? { machine } : {}), ...extra } satisfies S3LockRecord, null, 2) + '\n';
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body(), IfNoneMatch: '*', ContentType: 'application/json' }));
      return held(s3, where, info, put.ETag ?? '', body, leaseMs, now);
    } catch (e) {
      if (conflict(e)) {
        await sleep(50 + Math.random() * 200);
        continue;
      }
      if (!preconditionFailed(e)) throw e;
    }
    const found = await readLockObject(s3, bucket, key);
    if (!found) continue; // released between our write and our read: try again
    // Our own write landed but its answer was lost, and the SDK's retry found it there: it is ours.
    if (found.record.id === info.id) return held(s3, where, info, found.etag, body, leaseMs, now);
    // A holder on this very machine (its random id, not its host name) whose process is gone needs no lease to run out.
    const deadHere = !!machine && found.record.machine === machine && found.record.pid > 0 && !pidAlive(found.record.pid);
    if (found.ageMs <= found.record.leaseMs && !deadHere) throw lockedError(`s3://${bucket}/${key}`, found);
    try {
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body(), IfMatch: found.etag, ContentType: 'application/json' }));
      const lock = held(s3, where, info, put.ETag ?? '', body, leaseMs, now);
      lock.brokeStale = found.record;
      return lock;
    } catch (e) {
      // Another run took it over (or renewed it) first: look again, most likely to find a live holder.
      if (!preconditionFailed(e) && !conflict(e) && !missing(e)) throw e;
      await sleep(20 + Math.random() * 100);
    }
  }
  const found = await readLockObject(s3, bucket, key);
  if (found) throw lockedError(`s3://${bucket}/${key}`, found);
  throw new StateError(`lock state: could not take s3://${bucket}/${key}; other runs kept taking it`, { hint: 'Run again when the other runs have finished.' });
}

function held(
  s3: S3Client,
  where: { bucket: string; key: string },
  info: LockInfo,
  firstEtag: string,
  body: (extra?: object) => string,
  leaseMs: number,
  now: () => Date,
): RemoteLock {
  let etag = firstEtag;
  let lostWhy: string | undefined;
  let lastRenewed = Date.now();
  let inFlight: Promise<void> = Promise.resolve();
  let serial = 0;
  const renew = async () => {
    if (lostWhy) return;
    try {
      // The serial makes every renewal's content, and so its ETag, new.
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: where.bucket,
          Key: where.key,
          Body: body({ renewedAt: now().toISOString(), serial: ++serial }),
          IfMatch: etag,
          ContentType: 'application/json',
        }),
      );
      etag = put.ETag ?? etag;
      lastRenewed = Date.now();
    } catch (e) {
      if (preconditionFailed(e) || missing(e)) {
        const current = await readLockObject(s3, where.bucket, where.key).catch(() => undefined);
        if (current?.record.id === info.id) {
          // A renewal whose answer was lost landed anyway; the SDK's retry then failed on the old ETag.
          etag = current.etag;
          lastRenewed = Date.now();
          return;
        }
        lostWhy = current
          ? `lock ${info.id} was taken over by ${current.record.id} (pid ${current.record.pid} on ${current.record.host}, "${current.record.command}") after this run's lease ran out`
          : `lock ${info.id} was removed (deploy-wizard unlock ${info.id}?)`;
      } else if (Date.now() - lastRenewed > LOST_AFTER * leaseMs) {
        lostWhy = `lock ${info.id} could not be renewed for ${Math.round((Date.now() - lastRenewed) / 1000)}s (${(e as Error).message}); another run may take it`;
      }
      // Otherwise a passing failure (throttling, a dropped connection): the next renewal tries again within the lease.
    }
  };
  const timer = setInterval(
    () => {
      inFlight = inFlight.then(renew);
    },
    Math.max(50, Math.floor(leaseMs / RENEWALS_PER_LEASE)),
  );
  timer.unref();
  return {
    info,
    lost: () => {
      // A renewal that hangs never fails: by 80% of the lease without one, another run may take the lock any moment.
      if (!lostWhy && Date.now() - lastRenewed > LOST_AFTER * leaseMs)
        lostWhy = `lock ${info.id} was not renewed for ${Math.round((Date.now() - lastRenewed) / 1000)}s of its ${Math.round(leaseMs / 1000)}s lease; another run may take it`;
      return lostWhy;
    },
    release: async () => {
      clearInterval(timer);
      await inFlight;
      if (lostWhy) return;
      try {
        // Only our own lock: a run that took it over keeps it.
        await s3.send(new DeleteObjectCommand({ Bucket: where.bucket, Key: where.key, IfMatch: etag }));
      } catch (e) {
        if (!preconditionFailed(e) && !missing(e)) throw e;
      }
    },
  };
}

function lockedError(where: string, found: Found): StateError {
  const h = found.record;
  const left = Math.max(0, Math.ceil((h.leaseMs - found.ageMs) / 1000));
  return new StateError(`lock state: ${where} is held by pid ${h.pid} on ${h.host} running "${h.command}" since ${h.startedAt}`, {
    hint: `Wait for it to finish. If that run is gone, its lease runs out in ${left}s and the next run takes the lock over; or break it now with: deploy-wizard unlock ${h.id}`,
  });
}

export async function readS3Lock(s3: S3Client, where: { bucket: string; key: string }): Promise<S3LockRecord | undefined> {
  return (await readLockObject(s3, where.bucket, where.key))?.record;
}

/** Removes the lock only if it is still the one the user named (a conditional delete on the ETag it was read at). */
export async function breakS3Lock(s3: S3Client, where: { bucket: string; key: string }, id: string): Promise<LockInfo> {
  const url = `s3://${where.bucket}/${where.key}`;
  const found = await readLockObject(s3, where.bucket, where.key);
  if (!found) throw new StateError(`unlock: there is no lock at ${url}`, { hint: 'Nothing to break; run the command again.' });
  if (found.record.id !== id) {
    const r = found.record;
    throw new StateError(`unlock: the lock is held by ${r.id} (pid ${r.pid} on ${r.host}), not ${id}`, {
      hint: `Run deploy-wizard unlock ${r.id} if that run is gone.`,
    });
  }
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: where.bucket, Key: where.key, IfMatch: found.etag }));
  } catch (e) {
    if (preconditionFailed(e) || conflict(e))
      throw new StateError(`unlock: lock ${id} was renewed or replaced while breaking it`, { hint: 'Its holder is alive; let it finish.' });
    if (!missing(e)) throw e;
  }
  return found.record;
}
