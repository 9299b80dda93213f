import { describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { formParts, presignedPost, signPolicy } from '../../../src/aws/s3-post.js';

// moto checks no POST policy or signature, so the signing is held against the worked example AWS publishes as a
// test suite for signature code ("Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)",
// S3 API reference): its base64 policy, example secret, date and region, and the signature it states.
const EXAMPLE_POLICY =
  'eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9';

const client = (sessionToken?: string) =>
  new S3Client({
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:9',
    forcePathStyle: true,
    credentials: {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      ...(sessionToken ? { sessionToken } : {}),
    },
  });

describe('presigned POST (db export uploads)', () => {
  it("signs as AWS's worked example does", () => {
    expect(signPolicy(EXAMPLE_POLICY, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20151229', 'us-east-1')).toBe(
      '8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e',
    );
  });

  it('allows uploads under one prefix, within a size, until it expires, and every field is in the signed policy', async () => {
    const now = new Date('2026-12-02T10:20:30.456Z');
    const post = await presignedPost(client('SESSION-TOKEN'), {
      bucket: 'b-transfer',
      keyPrefix: 'exports/x/part-',
      maxBytes: 1000,
      expiresInSeconds: 3600,
      now,
    });
    expect(post.url).toBe('http://127.0.0.1:9/b-transfer');
    expect(post.fields).toMatchObject({
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-credential': 'AKIAIOSFODNN7EXAMPLE/20261202/eu-west-1/s3/aws4_request',
      'x-amz-date': '20261202T102030Z',
      'x-amz-security-token': 'SESSION-TOKEN',
    });
    expect(post.fields.key).toBeUndefined();
    const policy = JSON.parse(Buffer.from(post.fields.policy!, 'base64').toString('utf8'));
    expect(policy.expiration).toBe('2026-12-02T11:20:30.456Z');
    expect(policy.conditions).toEqual([
      { bucket: 'b-transfer' },
      ['starts-with', '$key', 'exports/x/part-'],
      ['content-length-range', 0, 1000],
      { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
      { 'x-amz-credential': 'AKIAIOSFODNN7EXAMPLE/20261202/eu-west-1/s3/aws4_request' },
      { 'x-amz-date': '20261202T102030Z' },
      { 'x-amz-security-token': 'SESSION-TOKEN' },
    ]);
    expect(post.fields['x-amz-signature']).toBe(signPolicy(post.fields.policy!, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20261202', 'eu-west-1'));
    // No session token, no field for it.
    expect(
      (await presignedPost(client(), { bucket: 'b', keyPrefix: 'p/', maxBytes: 1, expiresInSeconds: 1, now })).fields['x-amz-security-token'],
    ).toBeUndefined();
  });

  it('frames the fields as multipart/form-data parts with one boundary', () => {
    const { boundary, parts } = formParts({ a: '1', policy: 'eyJ9' });
    expect(boundary).toMatch(/^dw-[0-9a-f]{24}$/);
    expect(parts).toBe(
      `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${boundary}\r\nContent-Disposition: form-data; name="policy"\r\n\r\neyJ9\r\n`,
    );
  });
});
