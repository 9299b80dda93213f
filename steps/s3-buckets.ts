import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type Tag,
} from '@aws-sdk/client-s3';
import { partitionOf } from '../src/config/regions.js';
import type { StepContext } from '../src/pipeline/context.js';
import { StepError } from '../src/errors.js';
import { ownedBy, ownershipTags, type Check, type PlanItem, type Step } from '../src/pipeline/step.js';
import { S3_GB_MONTH, round } from '../src/pricing.js';
import { errorName } from '../src/aws/not-found.js';

export interface S3BucketsOutput {
  buckets: { name: string; arn: string }[];
}

declare module '../src/pipeline/outputs.js' {
  interface StepOutputs {
    's3-buckets': S3BucketsOutput;
  }
}

const BLOCK_ALL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

const bucketNames = (ctx: StepContext) => (ctx.config.buckets ? ctx.config.buckets.names.map((n) => ctx.config.buckets!.prefix + n) : []);
const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

function takenError(name: string): StepError {
  return new StepError('s3-buckets', `create bucket: the name ${name} is taken by another AWS account (bucket names are global)`, {
    hint: 'Choose another buckets.prefix in deploy-wizard.json (for example your company or account name), then run again.',
  });
}

/** Names of the buckets this account owns (paged). */
async function ownBuckets(ctx: StepContext): Promise<Set<string>> {
  const names = new Set<string>();
  let ContinuationToken: string | undefined;
  do {
    const page = await ctx.aws.s3.send(new ListBucketsCommand({ MaxBuckets: 1000, ContinuationToken }));
    for (const b of page.Buckets ?? []) if (b.Name) names.add(b.Name);
    ContinuationToken = page.ContinuationToken;
  } while (ContinuationToken);
  return names;
}

/**
 * missing, or exists in this account. A bucket that exists but is not in this
 * account's own list belongs to someone else: HeadBucket alone cannot tell
 * (AWS answers 403, which can also mean our own bucket with too little access).
 */
async function probe(ctx: StepContext, name: string, own: Set<string>): Promise<'exists' | 'missing'> {
  try {
    await ctx.aws.s3.send(new HeadBucketCommand({ Bucket: name }));
  } catch (e) {
    if (errorName(e) === 'NotFound' || errorName(e) === 'NoSuchBucket' || status(e) === 404) return 'missing';
    if (status(e) !== 403) throw e;
  }
  if (!own.has(name)) throw takenError(name);
  return 'exists';
}

async function getTags(ctx: StepContext, name: string): Promise<Tag[]> {
  try {
    return (await ctx.aws.s3.send(new GetBucketTaggingCommand({ Bucket: name }))).TagSet ?? [];
  } catch (e) {
    if (errorName(e) === 'NoSuchTagSet' || errorName(e) === 'NoSuchTagSetError') return [];
    throw e;
  }
}

/** What differs from the wanted configuration, as short labels; read-only. */
async function drift(ctx: StepContext, name: string, tags: Tag[]): Promise<string[]> {
  const out: string[] = [];
  for (const want of ownershipTags(ctx, 's3-buckets')) {
    if (tags.find((t) => t.Key === want.Key)?.Value !== want.Value) {
      out.push('tags');
      break;
    }
  }
  try {
    const pab = (await ctx.aws.s3.send(new GetPublicAccessBlockCommand({ Bucket: name }))).PublicAccessBlockConfiguration ?? {};
    if (!Object.keys(BLOCK_ALL).every((k) => pab[k as keyof typeof BLOCK_ALL] === true)) out.push('block public access');
  } catch (e) {
    if (errorName(e) !== 'NoSuchPublicAccessBlockConfiguration') throw e;
    out.push('block public access');
  }
  try {
    const enc = await ctx.aws.s3.send(new GetBucketEncryptionCommand({ Bucket: name }));
    if (!enc.ServerSideEncryptionConfiguration?.Rules?.length) out.push('default encryption');
  } catch (e) {
    if (errorName(e) !== 'ServerSideEncryptionConfigurationNotFoundError') throw e;
    out.push('default encryption');
  }
  if (ctx.config.buckets?.versioning) {
    const v = await ctx.aws.s3.send(new GetBucketVersioningCommand({ Bucket: name }));
    if (v.Status !== 'Enabled') out.push('versioning');
  }
  return out;
}

async function converge(ctx: StepContext, name: string, tags: Tag[], missing: string[]): Promise<void> {
  if (missing.includes('tags')) {
    // PutBucketTagging replaces the whole set: keep the user's own tags.
    const ours = ownershipTags(ctx, 's3-buckets');
    const kept = tags.filter((t) => !ours.some((o) => o.Key === t.Key));
    await ctx.aws.s3.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [...kept, ...ours] } }));
  }
  if (missing.includes('block public access')) {
    await ctx.aws.s3.send(new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: BLOCK_ALL }));
  }
  if (missing.includes('default encryption')) {
    await ctx.aws.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
      }),
    );
  }
  if (missing.includes('versioning')) {
    await ctx.aws.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  }
}

async function ensureBucket(ctx: StepContext, name: string, probed: 'exists' | 'missing'): Promise<void> {
  if (probed === 'missing') {
    // Recorded first: a crash after CreateBucket but before tagging leaves an
    // untagged bucket that the next run must recognise as its own.
    await ctx.intents.record(`bucket:${name}`, { bucket: name });
    ctx.log.info(`creating bucket ${name}`);
    try {
      await ctx.aws.s3.send(
        new CreateBucketCommand({
          Bucket: name,
          ...(ctx.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: ctx.region as BucketLocationConstraint } }),
        }),
      );
    } catch (e) {
      if (errorName(e) === 'BucketAlreadyExists') throw takenError(name);
      if (errorName(e) !== 'BucketAlreadyOwnedByYou') throw e;
    }
  }
  const tags = await getTags(ctx, name);
  if (!ownedBy(ctx, tags) && !ctx.intents.get(`bucket:${name}`)) {
    throw new StepError('s3-buckets', `adopt bucket: ${name} already exists in this account but was not created by deploy-wizard for ${ctx.app}/${ctx.env}`, {
      hint: `Use another buckets.prefix, or tag the bucket deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
    });
  }
  const missing = await drift(ctx, name, tags);
  if (missing.length) {
    ctx.log.info(`bucket ${name}: setting ${missing.join(', ')}`);
    await converge(ctx, name, tags, missing);
  }
}

export const s3Buckets: Step<'s3-buckets'> = {
  id: 's3-buckets',
  title: 'Create the S3 buckets',
  dependsOn: [],
  enabled: (config) => !!config.buckets?.names.length,

  async inputs(ctx) {
    return { buckets: bucketNames(ctx), versioning: ctx.config.buckets?.versioning ?? false, region: ctx.region };
  },

  async plan(ctx) {
    const items: PlanItem[] = [];
    const own = await ownBuckets(ctx);
    for (const name of bucketNames(ctx)) {
      if ((await probe(ctx, name, own)) === 'missing') {
        items.push({
          action: 'create',
          resource: `S3 bucket ${name}`,
          detail: 'public access blocked, encrypted' + (ctx.config.buckets?.versioning ? ', versioned' : ''),
        });
      } else {
        const d = await drift(ctx, name, await getTags(ctx, name));
        items.push({ action: d.length ? 'update' : 'keep', resource: `S3 bucket ${name}`, detail: d.join(', ') || undefined });
      }
    }
    return items;
  },

  async apply(ctx) {
    const names = bucketNames(ctx);
    const own = await ownBuckets(ctx);
    // Every name is checked before any is created: a taken name must not leave half a set of buckets.
    const probed = new Map<string, 'exists' | 'missing'>();
    for (const name of names) probed.set(name, await probe(ctx, name, own));
    for (const name of names) await ensureBucket(ctx, name, probed.get(name)!);
    return { buckets: names.map((name) => ({ name, arn: `arn:${partitionOf(ctx.region)}:s3:::${name}` })) };
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    const own = await ownBuckets(ctx);
    for (const { name } of out.buckets) {
      try {
        const exists = (await probe(ctx, name, own)) === 'exists';
        const d = exists ? await drift(ctx, name, await getTags(ctx, name)) : ['missing'];
        checks.push({ name: `bucket ${name}`, ok: d.length === 0, detail: d.join(', ') || undefined });
      } catch (e) {
        checks.push({ name: `bucket ${name}`, ok: false, detail: (e as Error).message });
      }
    }
    return checks;
  },

  cost(config) {
    return [{ component: 'S3', size: `${config.buckets!.names.length} bucket(s), ~10 GB`, monthly: round(S3_GB_MONTH * 10 + 0.5) }];
  },

  summary(out) {
    return { rows: [['Buckets', out.buckets.map((b) => b.name).join(', ')]] };
  },
};
