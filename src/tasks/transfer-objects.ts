import { open } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { deleteObjects } from '../aws/delete-objects.js';

/** Upload parts: buffers of this size, so memory stays flat (S3 takes 5 MiB to 5 GiB a part, 10,000 parts). */
const UPLOAD_PART_BYTES = 16 * 1024 ** 2;

/**
 * The file into the bucket a part at a time (a buffer each, never the whole
 * file): one PutObject when it fits one part, else a multipart upload,
 * aborted if it fails (the bucket's lifecycle rule is the backstop).
 */
export async function uploadFile(s3: S3Client, bucket: string, key: string, path: string, size: number, show: (n: number) => void) {
  const fh = await open(path, 'r');
  const read = async (at: number) => {
    const buf = Buffer.alloc(Math.min(UPLOAD_PART_BYTES, size - at));
    await fh.read(buf, 0, buf.length, at);
    return buf;
  };
  try {
    if (size <= UPLOAD_PART_BYTES) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await read(0) }));
      show(size);
      return;
    }
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let at = 0, n = 1; at < size; at += UPLOAD_PART_BYTES, n++) {
        const res = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: await read(at) }));
        parts.push({ ETag: res.ETag!, PartNumber: n });
        show(Math.min(size, at + UPLOAD_PART_BYTES));
      }
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (e) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
      throw e;
    }
  } finally {
    await fh.close();
  }
}

/** A small object (the source URL of `db import --from`), encrypted at rest by the bucket's default. */
export async function putText(s3: S3Client, bucket: string, key: string, text: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'text/plain' }));
}

/** One part a `db export` task uploaded: base64 text, decoded. */
export async function readBase64Part(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToString(), 'base64');
}

/** Removes what a command put in the transfer bucket (S3's per-key failures tried again); what is left then goes with the bucket's one-day expiry. */
export async function removeObjects(s3: S3Client, bucket: string, keys: string[]): Promise<void> {
  await deleteObjects(
    s3,
    bucket,
    keys.map((Key) => ({ Key })),
  ).catch(() => undefined);
}
