import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type Tag,
} from '@aws-sdk/client-s3';
import type { StepContext } from '../pipeline/context.js';

import type { StepId } from '../pipeline/outputs.js';
import { StepError } from '../errors.js';
import { ownedBy, ownershipTags } from '../pipeline/step.js';
import { httpStatusOf, isError } from './not-found.js';

/** What making a bucket needs of a step's context: a `db` command that makes the transfer bucket passes as much. */
export type BucketContext = Pick<StepContext, 'aws' | 'region' | 'app' | 'env' | 'log' | 'intents'>;

// Buckets the wizard owns, private and encrypted, created or adopted by name:
// the s3-buckets step's and the site's.

const BLOCK_ALL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

/** How one step's buckets are made: which step's tag they carry, versioning, and what to change when a name is taken. */
export interface BucketOptions {
  step: StepId;
  versioning: boolean;
  /** The config key that decides the name: what to change when it is taken. */
  renameHint: string;
}

function takenError(name: string, o: BucketOptions): StepError {
  return new StepError(o.step, `create bucket: the name ${name} is taken by another AWS account (bucket names are global)`, { hint: o.renameHint });
}

/** Names of the buckets this account owns (paged). */
export async function ownBuckets(ctx: BucketContext): Promise<Set<string>> {
  const names = new Set<string>();
  let ContinuationToken: string | undefined;
  do {
    const page = await ctx.aws.s3.send(new ListBucketsCommand({ MaxBuckets: 1000, ContinuationToken }));
    for (const b of page.Buckets ?? []) if (b.Name) names.add(b.Name);
    ContinuationToken = page.ContinuationToken;
  } while (ContinuationToken);
  return names;
}

/**
 * missing, or exists in this account. A bucket that exists but is not in this
 * account's own list belongs to someone else: HeadBucket alone cannot tell
 * (AWS answers 403, which can also mean our own bucket with too little access).
 */
export async function probeBucket(ctx: BucketContext, name: string, own: Set<string>, o: BucketOptions): Promise<'exists' | 'missing'> {
  try {
    await ctx.aws.s3.send(new HeadBucketCommand({ Bucket: name }));
  } catch (e) {
    if (isError(e, 'NotFound') || isError(e, 'NoSuchBucket') || httpStatusOf(e) === 404) return 'missing';
    if (httpStatusOf(e) !== 403) throw e;
  }
  if (!own.has(name)) throw takenError(name, o);
  return 'exists';
}

export async function bucketTags(ctx: BucketContext, name: string): Promise<Tag[]> {
  try {
    return (await ctx.aws.s3.send(new GetBucketTaggingCommand({ Bucket: name }))).TagSet ?? [];
  } catch (e) {
    if (isError(e, 'NoSuchTagSet') || isError(e, 'NoSuchTagSetError')) return [];
    throw e;
  }
}

/** What differs from the wanted configuration, as short labels; read-only. */
export async function bucketDrift(ctx: BucketContext, name: string, tags: Tag[], o: BucketOptions): Promise<string[]> {
  const out: string[] = [];
  for (const want of ownershipTags(ctx, o.step)) {
    if (tags.find((t) => t.Key === want.Key)?.Value !== want.Value) {
      out.push('tags');
      break;
    }
  }
  try {
    const pab = (await ctx.aws.s3.send(new GetPublicAccessBlockCommand({ Bucket: name }))).PublicAccessBlockConfiguration ?? {};
    if (!Object.keys(BLOCK_ALL).every((k) => pab[k as keyof typeof BLOCK_ALL] === true)) out.push('block public access');
  } catch (e) {
    if (!isError(e, 'NoSuchPublicAccessBlockConfiguration')) throw e;
    out.push('block public access');
  }
  try {
    const enc = await ctx.aws.s3.send(new GetBucketEncryptionCommand({ Bucket: name }));
    if (!enc.ServerSideEncryptionConfiguration?.Rules?.length) out.push('default encryption');
  } catch (e) {
    if (!isError(e, 'ServerSideEncryptionConfigurationNotFoundError')) throw e;
    out.push('default encryption');
  }
  if (o.versioning) {
    const v = await ctx.aws.s3.send(new GetBucketVersioningCommand({ Bucket: name }));
    if (v.Status !== 'Enabled') out.push('versioning');
  }
  return out;
}

async function converge(ctx: BucketContext, name: string, tags: Tag[], missing: string[], o: BucketOptions): Promise<void> {
  if (missing.includes('tags')) {
    // PutBucketTagging replaces the whole set: keep the user's own tags.
    const ours = ownershipTags(ctx, o.step);
    const kept = tags.filter((t) => !ours.some((o) => o.Key === t.Key));
    await ctx.aws.s3.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [...kept, ...ours] } }));
  }
  if (missing.includes('block public access')) {
    await ctx.aws.s3.send(new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: BLOCK_ALL }));
  }
  if (missing.includes('default encryption')) {
    await ctx.aws.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
      }),
    );
  }
  if (missing.includes('versioning')) {
    await ctx.aws.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  }
}

/** Creates the bucket if missing, refuses one that is not ours, and sets what differs. */
export async function ensureBucket(ctx: BucketContext, name: string, probed: 'exists' | 'missing', o: BucketOptions): Promise<void> {
  if (probed === 'missing') {
    // Recorded first: a crash after CreateBucket but before tagging leaves an
    // untagged bucket that the next run must recognise as its own.
    await ctx.intents.record(`bucket:${name}`, { bucket: name });
    ctx.log.info(`creating bucket ${name}`);
    try {
      await ctx.aws.s3.send(
        new CreateBucketCommand({
          Bucket: name,
          ...(ctx.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: ctx.region as BucketLocationConstraint } }),
        }),
      );
    } catch (e) {
      if (isError(e, 'BucketAlreadyExists')) throw takenError(name, o);
      if (!isError(e, 'BucketAlreadyOwnedByYou')) throw e;
    }
  }
  const tags = await bucketTags(ctx, name);
  if (!ownedBy(ctx, tags) && !ctx.intents.get(`bucket:${name}`)) {
    throw new StepError(o.step, `adopt bucket: ${name} already exists in this account but was not created by deploy-wizard for ${ctx.app}/${ctx.env}`, {
      hint: `${o.renameHint} Or tag the bucket deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
    });
  }
  const missing = await bucketDrift(ctx, name, tags, o);
  if (missing.length) {
    ctx.log.info(`bucket ${name}: setting ${missing.join(', ')}`);
    await converge(ctx, name, tags, missing, o);
  }
}
