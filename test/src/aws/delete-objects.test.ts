import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { deleteObjects } from '../../../src/aws/delete-objects.js';
import { WizardError } from '../../../src/errors.js';
import { startAwsProxy } from '../../helpers/aws-proxy.js';

const s3 = (endpoint?: string) => new S3Client({ region: 'us-east-1', forcePathStyle: true, ...(endpoint ? { endpoint } : {}) });
// What S3 answers in quiet mode for a key it could not delete: a 200 whose body lists it (API_DeleteObjects, "Response Elements").
const refusal = (key: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Error><Key>${key}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`;

describe('deleteObjects', () => {
  it('reads the per-key errors of a 200, tries those keys again, and names the key when they stay', async () => {
    const bucket = `dw-del-${randomBytes(4).toString('hex')}`;
    await s3().send(new CreateBucketCommand({ Bucket: bucket }));
    for (const k of ['a.txt', 'b.txt']) await s3().send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
    const bodies: string[] = [];
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, (r) => {
      if (!r.body.includes('<Delete')) return 'pass';
      bodies.push(r.body);
      return { reply: refusal('b.txt') };
    });
    try {
      const err = await deleteObjects(s3(proxy.url), bucket, [{ Key: 'a.txt' }, { Key: 'b.txt' }], async () => {}).catch((e) => e);
      expect(err).toBeInstanceOf(WizardError);
      expect(err.message).toBe(`delete s3://${bucket}/b.txt: S3 did not delete it (AccessDenied: Access Denied) after 5 tries`);
      // Five passes; after the first only the refused key is sent again.
      expect(bodies).toHaveLength(5);
      expect(bodies.slice(1).every((b) => b.includes('b.txt') && !b.includes('a.txt'))).toBe(true);
    } finally {
      await proxy.close();
    }
    await deleteObjects(s3(), bucket, [{ Key: 'a.txt' }, { Key: 'b.txt' }]);
    expect((await s3().send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).toEqual([]);
  });
});
