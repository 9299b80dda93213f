import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { acquireS3Lock } from '../../../src/state/s3-lock.js';
import { machineId } from '../../../src/state/machine-id.js';
import { withServerDate } from '../../../src/aws/clients.js';
import { StateError } from '../../../src/errors.js';
import { startAwsProxy } from '../../helpers/aws-proxy.js';

const now = () => new Date();
// As the state's client is made: the answer's Date header is S3's clock for the lease.
const raw = (endpoint?: string) => withServerDate(new S3Client({ region: 'us-east-1', forcePathStyle: true, ...(endpoint ? { endpoint } : {}) }));
const DEAD_PID = 2 ** 22 + 12345; // above Linux's pid_max default: never a live process

async function bucket(): Promise<string> {
  const name = `dw-lockid-${randomBytes(4).toString('hex')}`;
  await raw().send(new CreateBucketCommand({ Bucket: name }));
  return name;
}
const where = (b: string) => ({ bucket: b, key: 'ledger/app1/prod.lock' });
const putLock = (b: string, record: object) =>
  raw().send(new PutObjectCommand({ Bucket: b, Key: where(b).key, Body: JSON.stringify(record), IfNoneMatch: '*' }));

describe('S3 lock holder identity', () => {
  it('keeps a random machine id in the config directory, the same on every call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-mid-'));
    const a = machineId({ DEPLOY_WIZARD_CONFIG_DIR: dir });
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(machineId({ DEPLOY_WIZARD_CONFIG_DIR: dir })).toBe(a);
    expect(readFileSync(join(dir, 'machine-id'), 'utf8').trim()).toBe(a);
    expect(machineId({ DEPLOY_WIZARD_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'dw-mid-')) })).not.toBe(a);
  });

  it('a live lock of another machine with our host name and a pid not running here is not taken over', async () => {
    const b = await bucket();
    const { hostname } = await import('node:os');
    await putLock(b, {
      id: 'other001',
      pid: DEAD_PID,
      host: hostname(),
      command: 'deploy-wizard deploy',
      startedAt: now().toISOString(),
      leaseMs: 60_000,
      machine: 'f'.repeat(32),
    });
    const err = await acquireS3Lock(raw(), where(b), 'deploy-wizard deploy', now, 60_000, 'a'.repeat(32)).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toContain(`pid ${DEAD_PID}`);
  });

  it('a lock of this very machine whose process is gone is taken over at once', async () => {
    const b = await bucket();
    await putLock(b, {
      id: 'mine0001',
      pid: DEAD_PID,
      host: 'whatever',
      command: 'deploy-wizard deploy',
      startedAt: now().toISOString(),
      leaseMs: 60_000,
      machine: 'a'.repeat(32),
    });
    const lock = await acquireS3Lock(raw(), where(b), 'deploy-wizard deploy', now, 60_000, 'a'.repeat(32));
    expect(lock.brokeStale?.id).toBe('mine0001');
    await lock.release();
  });

  it('a Date header that does not parse makes the lease age unmeasurable, and a live lock stays held', async () => {
    const b = await bucket();
    // Written a while ago by S3's clock would be expired; the answer's Date is two joined values, as Node joins a proxy's and S3's.
    await putLock(b, {
      id: 'live0001',
      pid: 1,
      host: 'laptop-2',
      command: 'deploy-wizard deploy',
      startedAt: now().toISOString(),
      leaseMs: 1,
      machine: 'e'.repeat(32),
    });
    // S3's LastModified and Date have whole seconds: wait until the 1 ms lease is over by S3's own clock.
    await new Promise((r) => setTimeout(r, 2100));
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, () => ({
      responseHeaders: { date: 'Wed, 02 Dec 2026 10:00:00 GMT, Wed, 02 Dec 2026 10:00:01 GMT' },
    }));
    try {
      const err = await acquireS3Lock(raw(proxy.url), where(b), 'deploy-wizard deploy', now, 60_000, 'a'.repeat(32)).catch((e) => e);
      expect(err).toBeInstanceOf(StateError);
      expect(err.message).toContain('laptop-2');
    } finally {
      await proxy.close();
    }
    // Without the proxy the same lock's lease (1 ms) is plainly over, and it is taken over: the header was the only difference.
    const lock = await acquireS3Lock(raw(), where(b), 'deploy-wizard deploy', now, 60_000, 'a'.repeat(32));
    expect(lock.brokeStale?.id).toBe('live0001');
    await lock.release();
  });

  it('a holder whose renewals hang counts its lock lost by 80% of the lease', async () => {
    const b = await bucket();
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!);
    try {
      const lock = await acquireS3Lock(raw(proxy.url), where(b), 'deploy-wizard deploy', now, 1000, 'a'.repeat(32));
      proxy.decide(() => 'hang');
      expect(lock.lost()).toBeUndefined();
      await new Promise((r) => setTimeout(r, 900));
      expect(lock.lost()).toMatch(/not renewed for \ds of its 1s lease/);
    } finally {
      await proxy.close();
    }
  });
});
