import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { followProgress } from '../../../src/docker/follow-progress.js';

// Docker reports a failed push inside a successful HTTP stream. dockerode's
// own modem parses the stream here; only the bytes are canned.
const docker = new Docker({ socketPath: '/nonexistent' });
const stream = (events: object[]) => Readable.from(events.map((e) => JSON.stringify(e) + '\r\n'));

describe('followProgress', () => {
  it('rejects when an event carries errorDetail, though the stream itself ended cleanly', async () => {
    const seen: string[] = [];
    const p = followProgress(
      docker,
      stream([
        { status: 'The push refers to repository [127.0.0.1:5000/app]' },
        { status: 'Pushing', progressDetail: { current: 1, total: 2 } },
        { errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized: authentication required' },
      ]),
      (e) => seen.push(e.status ?? e.error ?? ''),
    );
    await expect(p).rejects.toThrow('unauthorized: authentication required');
    expect(seen).toHaveLength(3);
  });

  it('resolves with every event when none failed', async () => {
    const events = await followProgress(docker, stream([{ stream: 'STEP 1/2' }, { aux: { ID: 'sha256:abc' } }]), () => undefined);
    expect(events).toHaveLength(2);
  });

  it('rejects with the reason when its signal aborts on a stream that never ends (a stalled build)', async () => {
    const silent = new Readable({ read() {} });
    silent.push(JSON.stringify({ stream: 'STEP 1/2' }) + '\r\n');
    const controller = new AbortController();
    const p = followProgress(docker, silent, () => controller.abort(new Error('no progress for 5s')), controller.signal);
    await expect(p).rejects.toThrow('no progress for 5s');
    expect(silent.destroyed).toBe(true);
  });
});
