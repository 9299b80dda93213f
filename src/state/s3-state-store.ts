import { createHash } from 'node:crypto';
import { isMissingKey } from './missing-key.js';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StateError } from '../errors.js';
import { httpStatusOf, isError } from '../aws/not-found.js';
import { emptyState, parseStateText, upgradeState, type StateFile } from './state-file.js';

/** Whoever writes the state, as the state object's metadata records it (ASCII only, as S3 metadata must be). */
export const writerLabel = (w: { id: string; pid: number; host: string; command: string }) =>
  `${w.id} pid ${w.pid} on ${w.host}: ${w.command}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);

/**
 * One app and env's state as an S3 object. Every write is conditional on the
 * ETag this run last read or wrote (`If-Match`; `If-None-Match: *` for the
 * first), so a write based on a state someone else has changed since fails
 * (exit 3, naming the other writer) instead of overwriting theirs. S3 writes
 * an object whole, so a crash at any point leaves the previous version or
 * the new one; the bucket's versioning keeps the earlier ones.
 */
export class S3StateStore {
  private etag: string | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly key: string,
    readonly env: string,
    /** Names this run in the object's metadata, and stops writes once its lock is lost. */
    private readonly writer: () => { label: string; lost?: string },
  ) {}

  get url(): string {
    return `s3://${this.bucket}/${this.key}`;
  }

  async load(app: string, now: Date): Promise<StateFile> {
    const found = await this.read();
    if (!found) {
      this.etag = undefined;
      return emptyState(app, this.env, now);
    }
    this.etag = found.etag;
    return upgradeState(found.raw, this.url, app, (why) => this.corrupt(why));
  }

  /** The object as it is now, without adopting its ETag (state push compares before it writes). */
  async read(): Promise<{ raw: Record<string, unknown>; etag: string; writer?: string; lastModified?: Date } | undefined> {
    let out;
    try {
      out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
    } catch (e) {
      // No object yet (a 404, or a 403 to a caller that may not list); a missing bucket is an error the backend explains.
      if (await isMissingKey(this.s3, this.bucket, this.key, e)) return undefined;
      throw e;
    }
    const text = (await out.Body?.transformToString()) ?? '';
    return { raw: parseStateText(text, (why) => this.corrupt(why)), etag: out.ETag ?? '', writer: out.Metadata?.writer, lastModified: out.LastModified };
  }

  /** Writes go one at a time, in call order, each with the state as it is when its turn comes (as the local store does). */
  save(state: StateFile, now: Date): Promise<void> {
    const turn = this.queue.then(() => this.write(state, now));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Writes over whatever is there only if it is still at `etag` (undefined: only if there is nothing). */
  async writeOver(state: StateFile, etag: string | undefined): Promise<void> {
    this.etag = etag;
    await this.write(state, undefined);
  }

  private async write(state: StateFile, now: Date | undefined): Promise<void> {
    const me = this.writer();
    if (me.lost)
      throw new StateError(`write state: ${this.url} not written: ${me.lost}`, { hint: 'Another run owns this state now. Let it finish, then run again.' });
    if (now) state.updatedAt = now.toISOString();
    const body = JSON.stringify(state, null, 2) + '\n';
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key,
            Body: body,
            ContentType: 'application/json',
            Metadata: { writer: me.label },
            ...(this.etag ? { IfMatch: this.etag } : { IfNoneMatch: '*' }),
          }),
        );
        this.etag = out.ETag;
        return;
      } catch (e) {
        // 409: a concurrent conditional write is in flight; AWS asks for a retry, which then meets the winner's ETag (412).
        if ((httpStatusOf(e) === 409 || isError(e, 'ConditionalRequestConflict')) && attempt < 5) {
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
          continue;
        }
        if (httpStatusOf(e) === 412 || isError(e, 'PreconditionFailed')) {
          // Our write may have landed with its answer lost, and the SDK's retry then met our own new ETag.
          if (await this.isOurs(body, me.label)) return;
          throw await this.staleError();
        }
        throw e;
      }
    }
  }

  /**
   * Whether the object now is exactly this write: the same writer (its label
   * names this run's lock) and the ETag of these bytes (an S3 ETag is the MD5
   * of a single-part object's body under SSE-S3, which the state bucket uses).
   * Then it is adopted as written.
   */
  private async isOurs(body: string, label: string): Promise<boolean> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key }));
      if (head.Metadata?.writer !== label || head.ETag !== `"${createHash('md5').update(body).digest('hex')}"`) return false;
      this.etag = head.ETag;
      return true;
    } catch {
      return false;
    }
  }

  private async staleError(): Promise<StateError> {
    let who = 'another run';
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key }));
      if (head.Metadata?.writer) who = `${head.Metadata.writer} (at ${head.LastModified?.toISOString() ?? '?'})`;
    } catch {
      /* the message still says what happened */
    }
    return new StateError(
      `write state: ${this.url} was changed by ${who} since this run read it; this run's write was refused and the remote state left as it is`,
      {
        hint: 'Two runs wrote the same state (a lock broken with unlock, or taken over after a lease ran out). Run the command again: it reads the newer state and converges.',
      },
    );
  }

  private corrupt(why: string): StateError {
    return new StateError(`read state: ${this.url} is damaged: ${why}`, {
      hint: `The bucket keeps earlier versions: list them with  aws s3api list-object-versions --bucket ${this.bucket} --prefix ${this.key}  and restore a good one by copying it over the current one; or delete the object, and every step finds its resources by name and tags.`,
    });
  }
}
