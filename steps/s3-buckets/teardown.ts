import type { StepContext } from '../../src/pipeline/context.js';
import type { DestroyOptions, Teardown } from '../../src/pipeline/step.js';
import { bucketHoldsObjects, deleteBucket, ownedBucketsOf } from '../../src/aws/bucket-teardown.js';

/** Empty buckets go; a bucket holding objects is the user's data and stays unless --delete-data. */
export async function destroyBuckets(ctx: StepContext, o: DestroyOptions): Promise<Teardown[]> {
  const prefix = ctx.config.buckets?.prefix;
  const named = new Set(ctx.config.buckets?.names.map((n) => `${prefix}${n}`) ?? []);
  const mine = await ownedBucketsOf(ctx, 's3-buckets', (n) => named.has(n) || (!!prefix && n.startsWith(prefix)));
  const items: Teardown[] = [];
  for (const name of mine) {
    const full = await bucketHoldsObjects(ctx, name);
    items.push(
      full && !o.deleteData
        ? { resource: `S3 bucket ${name}`, keep: 'holds objects' }
        : { resource: `S3 bucket ${name}${full ? ' and every object in it' : ''}`, remove: () => deleteBucket(ctx, name) },
    );
  }
  return items;
}
