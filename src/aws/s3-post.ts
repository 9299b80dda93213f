import { createHmac, randomBytes } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface PresignedPost {
  /** Where the form goes: the bucket's endpoint, as the SDK resolves it (virtual-hosted on AWS, path-style on an emulator). */
  url: string;
  fields: Record<string, string>;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const amzDate = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * A presigned POST for keys under one prefix: what a task without an AWS SDK (the
 * database client image has busybox wget, which can POST a file but not PUT)
 * needs to upload its parts, and nothing more. Built as "Creating a POST
 * policy" and "Calculating a signature" (Signature Version 4, browser-based
 * uploads) in the S3 API reference describe: the policy pins the bucket, the
 * key's prefix (each part is its own object) and a size range per part; it
 * is signed with the caller's own credentials and expires, so the form grants
 * no more than uploads under that prefix until then.
 */
export async function presignedPost(
  s3: S3Client,
  o: { bucket: string; keyPrefix: string; maxBytes: number; expiresInSeconds: number; now: Date },
): Promise<PresignedPost> {
  const creds = await s3.config.credentials();
  const region = await s3.config.region();
  const date = amzDate(o.now);
  const day = date.slice(0, 8);
  const credential = `${creds.accessKeyId}/${day}/${region}/s3/aws4_request`;
  const fields: Record<string, string> = {
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': credential,
    'x-amz-date': date,
    ...(creds.sessionToken ? { 'x-amz-security-token': creds.sessionToken } : {}),
  };
  const policy = {
    expiration: new Date(o.now.getTime() + o.expiresInSeconds * 1000).toISOString(),
    conditions: [
      { bucket: o.bucket },
      ['starts-with', '$key', o.keyPrefix],
      ['content-length-range', 0, o.maxBytes],
      ...Object.entries(fields).map(([k, v]) => ({ [k]: v })),
    ],
  };
  const encoded = Buffer.from(JSON.stringify(policy)).toString('base64');
  fields.policy = encoded;
  fields['x-amz-signature'] = signPolicy(encoded, creds.secretAccessKey, day, region);
  // The bucket's own endpoint, as the client resolves it for a key, without the key: the form's action.
  const probe = new URL(await presignedGet(s3, o.bucket, 'k', 60));
  const keyPath = '/k';
  const path = probe.pathname.endsWith(keyPath) ? probe.pathname.slice(0, -keyPath.length) : probe.pathname;
  return { url: `${probe.origin}${path || '/'}`, fields };
}

/** The POST form's signature: the base64 policy is the string to sign, with the SigV4 signing key of the day, region and s3. */
export function signPolicy(encodedPolicy: string, secretAccessKey: string, day: string, region: string): string {
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), 's3'), 'aws4_request');
  return hmac(signingKey, encodedPolicy).toString('hex');
}

/** A presigned GET of one object, for a task to download it with wget. */
export function presignedGet(s3: S3Client, bucket: string, key: string, expiresInSeconds: number): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresInSeconds });
}

/** The form's fixed fields as multipart/form-data parts; the task adds the key, the file and the closing boundary. */
export function formParts(fields: Record<string, string>): { boundary: string; parts: string } {
  const boundary = `dw-${randomBytes(12).toString('hex')}`;
  const parts = Object.entries(fields)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join('');
  return { boundary, parts };
}
