import { partitionOf } from '../../src/config/regions.js';
import type { StepContext } from '../../src/pipeline/context.js';
import { type Check, type PlanItem } from '../../src/pipeline/step.js';
import { bucketDrift, bucketTags, ensureBucket, ownBuckets, probeBucket, type BucketOptions } from '../../src/aws/bucket.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface S3BucketsOutput {
  buckets: { name: string; arn: string }[];
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    's3-buckets': S3BucketsOutput;
  }
}

const bucketNames = (ctx: StepContext) => (ctx.config.buckets ? ctx.config.buckets.names.map((n) => ctx.config.buckets!.prefix + n) : []);
const options = (ctx: StepContext): BucketOptions => ({
  step: 's3-buckets',
  versioning: ctx.config.buckets?.versioning ?? false,
  renameHint: 'Choose another buckets.prefix in deploy-wizard.json (for example your company or account name), then run again.',
});

export const s3Buckets: StepCode<'s3-buckets'> = {
  async inputs(ctx) {
    return { buckets: bucketNames(ctx), versioning: ctx.config.buckets?.versioning ?? false, region: ctx.region };
  },

  async plan(ctx) {
    const items: PlanItem[] = [];
    const own = await ownBuckets(ctx);
    for (const name of bucketNames(ctx)) {
      if ((await probeBucket(ctx, name, own, options(ctx))) === 'missing') {
        items.push({
          action: 'create',
          resource: `S3 bucket ${name}`,
          detail: 'public access blocked, encrypted' + (ctx.config.buckets?.versioning ? ', versioned' : ''),
        });
      } else {
        const d = await bucketDrift(ctx, name, await bucketTags(ctx, name), options(ctx));
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
    for (const name of names) probed.set(name, await probeBucket(ctx, name, own, options(ctx)));
    for (const name of names) await ensureBucket(ctx, name, probed.get(name)!, options(ctx));
    return { buckets: names.map((name) => ({ name, arn: `arn:${partitionOf(ctx.region)}:s3:::${name}` })) };
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    const own = await ownBuckets(ctx);
    for (const { name } of out.buckets) {
      try {
        const exists = (await probeBucket(ctx, name, own, options(ctx))) === 'exists';
        const d = exists ? await bucketDrift(ctx, name, await bucketTags(ctx, name), options(ctx)) : ['missing'];
        checks.push({ name: `bucket ${name}`, ok: d.length === 0, detail: d.join(', ') || undefined });
      } catch (e) {
        checks.push({ name: `bucket ${name}`, ok: false, detail: (e as Error).message });
      }
    }
    return checks;
  },

  summary(out) {
    return { rows: [['Buckets', out.buckets.map((b) => b.name).join(', ')]] };
  },
};
