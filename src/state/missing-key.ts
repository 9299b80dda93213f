import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { httpStatusOf, isError } from '../aws/not-found.js';
import { StateError } from '../errors.js';

/**
 * Whether a GetObject error means "no such key". S3 answers 404 only to a
 * caller that may list the bucket; to one that may not, a missing key is a 403
 * like any refusal ("If you don't have the s3:ListBucket permission, Amazon S3
 * returns an HTTP status code 403 Access Denied error",
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). So a
 * 403 is settled by listing exactly that key (what the CI role's s3:prefix
 * condition allows): absent there, it is missing; present, it is a real
 * refusal; not listable either, an error that says which permission is due.
 */
export async function isMissingKey(s3: S3Client, bucket: string, key: string, e: unknown): Promise<boolean> {
  if (isError(e, 'NoSuchBucket')) return false;
  if (isError(e, 'NoSuchKey') || isError(e, 'NotFound') || httpStatusOf(e) === 404) return true;
  if (httpStatusOf(e) !== 403 && !isError(e, 'AccessDenied')) return false;
  let listed;
  try {
    listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  } catch (le) {
    if (httpStatusOf(le) === 403 || isError(le, 'AccessDenied'))
      throw new StateError(
        `read s3://${bucket}/${key}: S3 answered 403 Access Denied, which is also how it answers a key that does not exist yet to a caller without s3:ListBucket`,
        {
          hint: `Grant s3:GetObject on that key and s3:ListBucket on arn:aws:s3:::${bucket} (with the condition s3:prefix = "${key}"); deploy-wizard ci github writes both into the deploy role.`,
        },
      );
    throw le;
  }
  return !(listed.Contents ?? []).some((o) => o.Key === key);
}
