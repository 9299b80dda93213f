import type { LifecycleRule } from '@aws-sdk/client-s3';
import { ensureBucket, ownBuckets, probeBucket, type BucketContext } from './bucket.js';
import { ensureLifecycleRule } from './lifecycle-rule.js';

// The transfer bucket's rules and its making, shared by the db commands (src/tasks/transfer-bucket.ts) and
// preview down (steps/preview-data), which keeps a dump under previews/.

const RULE_ID = 'deploy-wizard-transfer-expiry';
/** Where `db import` and `db export` put what passes through. */
export const DB_TRANSFER_PREFIX = 'db/';
/** What passes through is a copy of data that lives elsewhere: gone after a day, and so are uploads that never finished. */
const EXPIRY: LifecycleRule = {
  ID: RULE_ID,
  Status: 'Enabled',
  Filter: { Prefix: DB_TRANSFER_PREFIX },
  Expiration: { Days: 1 },
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
};
/** Where preview down keeps a preview's database: previews/NAME/. */
export const PREVIEW_DUMPS_PREFIX = 'previews/';
/** The dumps preview down keeps, gone after previews.ttlDays. */
export const previewDumpsRule = (days: number): LifecycleRule => ({
  ID: 'deploy-wizard-preview-dumps',
  Status: 'Enabled',
  Filter: { Prefix: PREVIEW_DUMPS_PREFIX },
  Expiration: { Days: days },
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
});

const BUCKET_OPTS = {
  step: 'rds' as const,
  versioning: false,
  renameHint: 'The transfer bucket is named for the app, env and account; tag or remove the bucket of that name.',
};

/** The transfer bucket made or converged through `ctx` (whose app and env tag it), with its rules. */
export async function ensureTransferBucketAt(ctx: BucketContext, name: string, more: LifecycleRule[] = []): Promise<string> {
  const probed = await probeBucket(ctx, name, await ownBuckets(ctx), BUCKET_OPTS);
  await ensureBucket(ctx, name, probed, BUCKET_OPTS);
  await ensureLifecycleRule(ctx.aws.s3, name, EXPIRY, (r) => r.Expiration?.Days === 1 && r.Filter?.Prefix === DB_TRANSFER_PREFIX);
  for (const r of more)
    await ensureLifecycleRule(ctx.aws.s3, name, r, (x) => x.Expiration?.Days === r.Expiration?.Days && x.Filter?.Prefix === r.Filter?.Prefix);
  return name;
}
