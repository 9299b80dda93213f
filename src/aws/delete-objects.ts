import { DeleteObjectsCommand, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3';
import { WizardError } from '../errors.js';

/** Passes over the keys S3 reported as not deleted, before the first one left is named in an error. */
const PASSES = 5;

/**
 * Deletes `objects` (1,000 a request, S3's limit) and checks the answer: in
 * quiet mode DeleteObjects answers 200 and lists only the keys it could not
 * delete, each with its own code (InternalError, SlowDown, AccessDenied…;
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
 * Those are tried again, up to five passes with a growing pause; what is left
 * then fails with the key and S3's code.
 */
export async function deleteObjects(s3: S3Client, bucket: string, objects: ObjectIdentifier[], sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {
  let left = objects;
  for (let pass = 0; left.length; pass++) {
    const failed: { o: ObjectIdentifier; code: string; message: string }[] = [];
    for (let i = 0; i < left.length; i += 1000) {
      const batch = left.slice(i, i + 1000);
      const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: batch } }));
      for (const e of out.Errors ?? []) {
        const o = batch.find((b) => b.Key === e.Key && (e.VersionId === undefined || b.VersionId === e.VersionId)) ?? { Key: e.Key!, VersionId: e.VersionId };
        failed.push({ o, code: e.Code ?? 'unknown', message: e.Message ?? '' });
      }
    }
    if (!failed.length) return;
    if (pass + 1 >= PASSES) {
      const f = failed[0]!;
      throw new WizardError(
        `delete s3://${bucket}/${f.o.Key}${f.o.VersionId ? ` (version ${f.o.VersionId})` : ''}: S3 did not delete it (${f.code}${f.message ? `: ${f.message}` : ''})${failed.length > 1 ? `, nor ${failed.length - 1} other key(s)` : ''} after ${PASSES} tries`,
        { hint: 'Run the same command again; if it persists, the code says why (AccessDenied: a bucket policy or object lock keeps them).' },
      );
    }
    left = failed.map((f) => f.o);
    await sleep(200 * 2 ** pass);
  }
}
