import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createAwsClients } from '../../../src/aws/clients.js';
import { S3StateBackend } from '../../../src/state/state-backend.js';
import { StateError } from '../../../src/errors.js';
import { emptyState } from '../../../src/state/state-file.js';
import { startAwsProxy, throttlingFor } from '../../helpers/aws-proxy.js';

// The S3 state and its lock against moto's S3, which honours If-Match and
// If-None-Match on PutObject and If-Match on DeleteObject.

const now = () => new Date();
const raw = () => new S3Client({ region: 'us-east-1', forcePathStyle: true });

async function bucket(): Promise<string> {
  const name = `dw-state-${randomBytes(4).toString('hex')}`;
  await raw().send(new CreateBucketCommand({ Bucket: name }));
  await raw().send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  return name;
}

function backend(b: string, opts: { leaseMs?: number; endpoint?: string } = {}) {
  const clients = createAwsClients({ region: 'us-east-1', customEndpoint: true, maxAttempts: 8 });
  const s3 = opts.endpoint
    ? new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: opts.endpoint, maxAttempts: 8, retryMode: 'adaptive' })
    : clients.stateS3();
  return new S3StateBackend(s3, b, 'ledger/', 'app1', 'prod', '/tmp', opts.leaseMs);
}

const read = async (b: string, key: string) => {
  const o = await raw().send(new GetObjectCommand({ Bucket: b, Key: key }));
  return { text: await o.Body!.transformToString(), etag: o.ETag, writer: o.Metadata?.writer };
};

describe('S3 state', () => {
  it('a write based on a state someone changed since is refused (exit 3, naming the writer), and the remote state is left intact', async () => {
    const b = await bucket();
    const a = backend(b);
    const lock = await a.lock('deploy-wizard deploy', now);
    const state = await a.load('app1', now());
    state.steps.network = { status: 'done' };
    await a.save(state, now());
    // Someone else writes the same object (a lock broken by hand, then a run of theirs).
    const other = JSON.stringify({ ...emptyState('app1', 'prod', now()), steps: { network: { status: 'done' }, rds: { status: 'done' } } });
    await raw().send(
      new PutObjectCommand({
        Bucket: b,
        Key: 'ledger/app1/prod.state.json',
        Body: other,
        Metadata: { writer: 'beef0001 pid 7 on laptop-2: deploy-wizard deploy' },
      }),
    );
    state.steps.rds = { status: 'running' };
    const err = await a.save(state, now()).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('beef0001 pid 7 on laptop-2');
    expect((await read(b, 'ledger/app1/prod.state.json')).text).toBe(other);
    await lock.release();
  });

  it('the first write creates the object only if there is none; the writer is named in its metadata', async () => {
    const b = await bucket();
    const [x, y] = [backend(b), backend(b)];
    const lock = await x.lock('deploy-wizard deploy --env prod', now);
    const sx = await x.load('app1', now());
    const sy = await y.load('app1', now());
    await x.save(sx, now());
    const err = await y.save(sy, now()).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((await read(b, 'ledger/app1/prod.state.json')).writer).toContain(`${lock.info.id} pid ${process.pid}`);
    await lock.release();
  });

  it('of 20 runs taking the lock at once exactly one wins; the others exit 3 naming the holder and the unlock ID', async () => {
    const b = await bucket();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => backend(b).lock(`deploy-wizard deploy #${i}`, now)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<S3StateBackend['lock']>>>).value;
    for (const r of results.filter((r) => r.status === 'rejected')) {
      const e = (r as PromiseRejectedResult).reason;
      expect(e).toBeInstanceOf(StateError);
      expect(e.hint).toContain(`deploy-wizard unlock ${winner.info.id}`);
    }
    await winner.release();
    // Released (a delete marker in a versioned bucket): the next run takes it.
    const next = await backend(b).lock('deploy-wizard deploy', now);
    await next.release();
  });

  it('a holder that renews keeps the lock past its lease; one that stops is taken over once the lease runs out, by S3 clock', async () => {
    const b = await bucket();
    const holder = await backend(b, { leaseMs: 1500 }).lock('deploy-wizard deploy', now);
    await new Promise((r) => setTimeout(r, 3500));
    expect(
      await backend(b, { leaseMs: 1500 })
        .lock('x', now)
        .catch((e) => e),
    ).toBeInstanceOf(StateError);
    expect(holder.lost()).toBeUndefined();

    // A holder that died: its lock object stays, and nothing renews it.
    const dead = { id: 'dead0001', pid: 4242, host: 'ci-runner-9', command: 'deploy-wizard deploy', startedAt: now().toISOString(), leaseMs: 1000 };
    await holder.release();
    await raw().send(new PutObjectCommand({ Bucket: b, Key: 'ledger/app1/prod.lock', Body: JSON.stringify(dead), IfNoneMatch: '*' }));
    const early = await backend(b)
      .lock('x', now)
      .catch((e) => e);
    expect(early).toBeInstanceOf(StateError);
    expect(early.message).toContain('pid 4242 on ci-runner-9');
    await new Promise((r) => setTimeout(r, 2500));
    // Several runs find it expired at once: exactly one takes it over.
    const takers = await Promise.allSettled(Array.from({ length: 5 }, () => backend(b).lock('deploy-wizard deploy', now)));
    const won = takers.filter((t) => t.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<S3StateBackend['lock']>>>[];
    expect(won).toHaveLength(1);
    expect(won[0]!.value.brokeStale?.id).toBe('dead0001');
    await won[0]!.value.release();
  });

  it('a holder whose lease ran out and was taken over learns it, and its state writes are refused', async () => {
    const b = await bucket();
    const slow = backend(b, { leaseMs: 1000 });
    const lock = await slow.lock('deploy-wizard deploy', now);
    const state = await slow.load('app1', now());
    // Stand in for a process paused past its lease (a laptop lid closed): replace its lock as a taker would.
    await raw().send(
      new PutObjectCommand({
        Bucket: b,
        Key: 'ledger/app1/prod.lock',
        Body: JSON.stringify({ id: 'taker001', pid: 9, host: 'ci', command: 'deploy-wizard deploy', startedAt: now().toISOString(), leaseMs: 60000 }),
      }),
    );
    await new Promise((r) => setTimeout(r, 1200));
    expect(lock.lost()).toContain('taken over by taker001');
    const err = await slow.save(state, now()).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toContain('taken over by taker001');
    await lock.release();
    // Its release leaves the new holder's lock alone.
    expect(JSON.parse((await read(b, 'ledger/app1/prod.lock')).text).id).toBe('taker001');
  });

  it('unlock removes only the lock it names', async () => {
    const b = await bucket();
    const holder = await backend(b).lock('deploy-wizard deploy', now);
    const wrong = await backend(b)
      .unlock('00000000')
      .catch((e) => e);
    expect(wrong).toBeInstanceOf(StateError);
    expect(wrong.message).toContain(`held by ${holder.info.id}`);
    const broken = await backend(b).unlock(holder.info.id);
    expect(broken.pid).toBe(process.pid);
    const again = await backend(b).lock('deploy-wizard deploy', now);
    await again.release();
    await holder.release();
  });

  it('a state write that landed but whose answer was lost is recognised as its own when the retry meets a 412', async () => {
    const b = await bucket();
    let lost = 0;
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!);
    try {
      const be = backend(b, { endpoint: proxy.url });
      const lock = await be.lock('deploy-wizard deploy', now);
      const state = await be.load('app1', now());
      await be.save(state, now());
      // The next state write reaches S3 and its answer is dropped: the SDK retries it with the old If-Match.
      proxy.decide((r) => (r.service === 's3' && r.action.startsWith('PUT') && r.body.includes('"network"') && lost++ === 0 ? 'lose-answer' : 'pass'));
      state.steps.network = { status: 'done' };
      await be.save(state, now());
      expect(lost).toBeGreaterThanOrEqual(2);
      // And the run goes on writing on top of it.
      state.steps.network = { status: 'done', inputHash: 'h2' };
      await be.save(state, now());
      await lock.release();
      expect(JSON.parse((await read(b, 'ledger/app1/prod.state.json')).text).steps.network.inputHash).toBe('h2');
    } finally {
      await proxy.close();
    }
  });

  it('a 403 for a missing state key (a caller without s3:ListBucket) is settled by listing the key, or named as that cause', async () => {
    const b = await bucket();
    // As S3 answers a GetObject of a missing key to a caller that may not list the bucket (API_GetObject, "Permissions").
    const forbidden = { error: 'AccessDenied', message: 'Access Denied', status: 403 };
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, (r) => {
      if (r.service !== 's3') return 'pass';
      return /^GET .*\.(state\.json|lock)$/.test(r.action) ? forbidden : 'pass';
    });
    try {
      const be = backend(b, { endpoint: proxy.url });
      const state = await be.load('app1', now());
      expect(state.steps).toEqual({});
      // The role may not list either: the error says which permission turns the 403 into a 404.
      proxy.decide((r) => (r.service === 's3' && r.action.startsWith('GET') ? forbidden : 'pass'));
      const err = await backend(b, { endpoint: proxy.url })
        .load('app1', now())
        .catch((e) => e);
      expect(err).toBeInstanceOf(StateError);
      expect(err.message).toContain('403');
      expect(err.hint).toContain('s3:ListBucket');
      expect(err.hint).toContain('s3:prefix');
    } finally {
      await proxy.close();
    }
  });

  it('rides out throttling on the state bucket (503 SlowDown) with the SDK retries', async () => {
    const b = await bucket();
    let throttled = 0;
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, (r) => (r.service === 's3' && throttled++ < 2 ? throttlingFor(r) : 'pass'));
    try {
      const be = backend(b, { endpoint: proxy.url });
      const lock = await be.lock('deploy-wizard deploy', now);
      const state = await be.load('app1', now());
      state.steps.network = { status: 'done' };
      await be.save(state, now());
      await lock.release();
      expect(throttled).toBeGreaterThanOrEqual(2);
      expect(JSON.parse((await read(b, 'ledger/app1/prod.state.json')).text).steps.network.status).toBe('done');
    } finally {
      await proxy.close();
    }
  });
});
