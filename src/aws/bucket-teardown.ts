import { DeleteBucketCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { deleteObjects } from './delete-objects.js';
import type { StepContext } from '../pipeline/context.js';
import type { StepId } from '../pipeline/outputs.js';
import { ownedBy } from '../pipeline/step.js';
import { bucketTags, ownBuckets } from './bucket.js';
import { unlessNotFound } from './not-found.js';

/** This account's buckets, among `candidates` (by name), that carry this app's tags and were made by `step`. */
export async function ownedBucketsOf(ctx: StepContext, step: StepId, candidates: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const name of await ownBuckets(ctx)) {
    if (!candidates(name)) continue;
    const tags = await bucketTags(ctx, name);
    if (ownedBy(ctx, tags) && tags.find((t) => t.Key === 'deploy-wizard:step')?.Value === step) out.push(name);
  }
  return out;
}

/** Whether any object (or old version, or delete marker) is left: a versioned bucket is only empty when all are gone. */
export async function bucketHoldsObjects(ctx: StepContext, name: string): Promise<boolean> {
  const res = await ctx.aws.s3.send(new ListObjectVersionsCommand({ Bucket: name, MaxKeys: 1 }));
  return !!(res.Versions?.length || res.DeleteMarkers?.length);
}

/** Deletes every object version and delete marker, then the bucket (DeleteBucket refuses a bucket that is not empty). */
export async function deleteBucket(ctx: StepContext, name: string): Promise<void> {
  for (;;) {
    const res = await unlessNotFound(ctx.aws.s3.send(new ListObjectVersionsCommand({ Bucket: name, MaxKeys: 1000 })), 'NoSuchBucket');
    if (!res) return;
    const objects = [...(res.Versions ?? []), ...(res.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
    if (!objects.length) break;
    await deleteObjects(ctx.aws.s3, name, objects);
  }
  await unlessNotFound(ctx.aws.s3.send(new DeleteBucketCommand({ Bucket: name })), 'NoSuchBucket');
}
