import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StateError } from '../errors.js';
import { httpStatusOf, isError } from '../aws/not-found.js';
import { ensureLifecycleRule } from '../aws/lifecycle-rule.js';

// The state bucket: shared by every app and env that keeps its state there,
// so it carries no app's tags (destroy never touches it). Every setting is
// read first and written only when it differs: a second `state init` changes
// nothing.

const BLOCK_ALL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
export const STATE_BUCKET_TAGS = [
  { Key: 'deploy-wizard:role', Value: 'state' },
  { Key: 'deploy-wizard:managed-by', Value: 'deploy-wizard' },
];
/** Earlier versions of every state object are kept this long after they are replaced: a bad write can be undone. */
export const NONCURRENT_DAYS = 90;
const RULE_ID = 'deploy-wizard-state-history';
const OUR_RULE: LifecycleRule = {
  ID: RULE_ID,
  Status: 'Enabled',
  Filter: { Prefix: '' },
  NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_DAYS },
  // Each released lock leaves a delete marker; once its old versions expire, the marker goes too.
  Expiration: { ExpiredObjectDeleteMarker: true },
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
};

/** Creates the bucket if missing and converges its settings; returns what it changed ("created", "versioning", ...). */
export async function ensureStateBucket(s3: S3Client, bucket: string, region: string): Promise<string[]> {
  const changed: string[] = [];
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if (httpStatusOf(e) === 403)
      throw new StateError(`state init: the bucket ${bucket} exists but these credentials cannot use it (another account's, or no s3:ListBucket)`, {
        hint: 'Bucket names are global: pass --bucket with another name.',
      });
    if (httpStatusOf(e) !== 404 && !isError(e, 'NotFound', 'NoSuchBucket')) throw e;
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      );
    } catch (err) {
      if (isError(err, 'BucketAlreadyExists'))
        throw new StateError(`state init: the name ${bucket} is taken by another AWS account (bucket names are global)`, {
          hint: 'Pass --bucket with another name.',
        });
      if (!isError(err, 'BucketAlreadyOwnedByYou')) throw err;
    }
    changed.push('created');
  }

  const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  if (versioning.Status !== 'Enabled') {
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    changed.push('versioning');
  }

  let encrypted = false;
  try {
    encrypted = !!(await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules?.length;
  } catch (e) {
    if (!isError(e, 'ServerSideEncryptionConfigurationNotFoundError')) throw e;
  }
  if (!encrypted) {
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
      }),
    );
    changed.push('encryption');
  }

  let blocked = false;
  try {
    const pab = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration ?? {};
    blocked = Object.keys(BLOCK_ALL).every((k) => pab[k as keyof typeof BLOCK_ALL] === true);
  } catch (e) {
    if (!isError(e, 'NoSuchPublicAccessBlockConfiguration')) throw e;
  }
  if (!blocked) {
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: BLOCK_ALL }));
    changed.push('block public access');
  }

  if (await ensureLifecycleRule(s3, bucket, OUR_RULE, (r) => r.NoncurrentVersionExpiration?.NoncurrentDays === NONCURRENT_DAYS))
    changed.push(`lifecycle (${NONCURRENT_DAYS} days of earlier versions)`);

  let tags: { Key?: string; Value?: string }[] = [];
  try {
    tags = (await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet ?? [];
  } catch (e) {
    if (!isError(e, 'NoSuchTagSet', 'NoSuchTagSetError')) throw e;
  }
  if (!STATE_BUCKET_TAGS.every((t) => tags.some((x) => x.Key === t.Key && x.Value === t.Value))) {
    const kept = tags.filter((t) => !STATE_BUCKET_TAGS.some((o) => o.Key === t.Key)) as { Key: string; Value: string }[];
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [...kept, ...STATE_BUCKET_TAGS] } }));
    changed.push('tags');
  }
  return changed;
}

/** The default name: one state bucket per account and region, as CDK's bootstrap does for its assets. */
export const defaultStateBucket = (account: string, region: string) => `deploy-wizard-state-${account}-${region}`;
