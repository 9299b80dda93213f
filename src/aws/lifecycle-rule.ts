import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, type LifecycleRule, type S3Client } from '@aws-sdk/client-s3';
import { isError } from './not-found.js';

/**
 * Puts one lifecycle rule of ours (by its ID) unless an enabled one already
 * `matches`. PutBucketLifecycleConfiguration replaces every rule, so the
 * owner's own rules are sent back with it. Returns whether it put.
 */
export async function ensureLifecycleRule(s3: S3Client, bucket: string, rule: LifecycleRule, matches: (r: LifecycleRule) => boolean): Promise<boolean> {
  let rules: LifecycleRule[] = [];
  try {
    rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  } catch (e) {
    if (!isError(e, 'NoSuchLifecycleConfiguration')) throw e;
  }
  const ours = rules.find((r) => r.ID === rule.ID);
  if (ours?.Status === 'Enabled' && matches(ours)) return false;
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [...rules.filter((r) => r.ID !== rule.ID), rule] } }),
  );
  return true;
}
