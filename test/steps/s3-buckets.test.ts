import { describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketTaggingCommand,
  ListBucketsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { StepError } from '../../src/errors.js';
import { s3Buckets } from '../../steps/s3-buckets/apply.js';
import { stepContext, MUTATING } from '../helpers/step-context.js';

describe('s3-buckets against moto', () => {
  it('creates each bucket with public access blocked, encryption, versioning and ownership tags', async () => {
    const { ctx, app } = stepContext({ buckets: { prefix: '', names: ['reports', 'uploads'], versioning: true } });
    const names = [`${app}-reports`, `${app}-uploads`];
    ctx.config.buckets!.prefix = `${app}-`;
    const out = await s3Buckets.apply(ctx);
    expect(out.buckets.map((b) => b.name)).toEqual(names);
    for (const Bucket of names) {
      const pab = await ctx.aws.s3.send(new GetPublicAccessBlockCommand({ Bucket }));
      expect(pab.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
      const enc = await ctx.aws.s3.send(new GetBucketEncryptionCommand({ Bucket }));
      expect(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
      expect((await ctx.aws.s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
      const tags = (await ctx.aws.s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet;
      expect(tags).toEqual(
        expect.arrayContaining([
          { Key: 'deploy-wizard:app', Value: app },
          { Key: 'deploy-wizard:env', Value: 'prod' },
          { Key: 'deploy-wizard:step', Value: 's3-buckets' },
        ]),
      );
    }
    expect((await s3Buckets.verify(ctx, out)).every((c) => c.ok)).toBe(true);
  });

  it('converges a second time with no mutating call and no duplicate', async () => {
    const calls: string[] = [];
    const { ctx, app } = stepContext({ buckets: { prefix: '', names: ['data'] } }, { onCall: (c) => calls.push(c.command) });
    ctx.config.buckets!.prefix = `${app}-`;
    await s3Buckets.apply(ctx);
    calls.length = 0;
    await s3Buckets.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    expect(calls).toContain('HeadBucket');
    const all = (await ctx.aws.s3.send(new ListBucketsCommand({}))).Buckets ?? [];
    expect(all.filter((b) => b.Name === `${app}-data`)).toHaveLength(1);
  });

  it('creates outside us-east-1 with a LocationConstraint', async () => {
    const { ctx, app } = stepContext({ buckets: { prefix: '', names: ['media'] } }, { region: 'eu-west-1' });
    ctx.config.buckets!.prefix = `${app}-`;
    await s3Buckets.apply(ctx);
    const loc = await ctx.aws.s3.send(new GetBucketLocationCommand({ Bucket: `${app}-media` }));
    expect(loc.LocationConstraint).toBe('eu-west-1');
  });

  it("refuses a bucket in the account that is not ours, and keeps the user's tags when adopting", async () => {
    const { ctx, app } = stepContext({ buckets: { prefix: '', names: ['logs'] } });
    ctx.config.buckets!.prefix = `${app}-`;
    const Bucket = `${app}-logs`;
    await ctx.aws.s3.send(new CreateBucketCommand({ Bucket }));
    await ctx.aws.s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: [{ Key: 'team', Value: 'data' }] } }));
    await expect(s3Buckets.apply(ctx)).rejects.toThrow(`adopt bucket: ${Bucket} already exists in this account but was not created by deploy-wizard`);
    // The crash case: we recorded the intent, created, and died before tagging. That bucket is ours.
    await ctx.intents.record(`bucket:${Bucket}`, { bucket: Bucket });
    await s3Buckets.apply(ctx);
    const tags = (await ctx.aws.s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet;
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'data' },
        { Key: 'deploy-wizard:app', Value: app },
      ]),
    );
  });

  it('plans creates, then keeps, without changing anything', async () => {
    const calls: string[] = [];
    const { ctx, app } = stepContext({ buckets: { prefix: '', names: ['plan1'] } }, { onCall: (c) => calls.push(c.command) });
    ctx.config.buckets!.prefix = `${app}-`;
    expect(await s3Buckets.plan(ctx)).toEqual([expect.objectContaining({ action: 'create', resource: `S3 bucket ${app}-plan1` })]);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    await s3Buckets.apply(ctx);
    expect(await s3Buckets.plan(ctx)).toEqual([expect.objectContaining({ action: 'keep' })]);
  });

  it('stops before any create when a name is taken by another account, suggesting another prefix', async () => {
    const calls: string[] = [];
    const { ctx, app } = stepContext({ buckets: { prefix: '', names: ['mine', 'taken'] } }, { onCall: (c) => calls.push(c.command) });
    ctx.config.buckets!.prefix = `${app}-`;
    // The other account, as moto knows accounts: by the x-moto-account-id header.
    const other = new S3Client({ region: 'us-east-1', forcePathStyle: true });
    other.middlewareStack.add(
      (next: any) => async (args: any) => {
        args.request.headers['x-moto-account-id'] = '111111111111';
        return next(args);
      },
      { step: 'build' },
    );
    await other.send(new CreateBucketCommand({ Bucket: `${app}-taken` }));
    const err = await s3Buckets.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toBe(`create bucket: the name ${app}-taken is taken by another AWS account (bucket names are global)`);
    expect(err.hint).toMatch(/Choose another buckets\.prefix/);
    expect(calls.filter((c) => c.startsWith('Create') || c.startsWith('Put'))).toEqual([]);
  });
});
