import { defineStep } from '../../src/pipeline/manifest.js';
import { hasBuckets } from '../../src/config/features.js';
import { OWNED_BUCKET_CALLS } from '../../src/aws/grants.js';
import { pricesFor, round } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 's3-buckets',
  title: 'Create the S3 buckets',
  dependsOn: [],
  enabled: hasBuckets,
  resources: (w, c) => (c.buckets ? c.buckets.names.map((n) => ({ kind: 'bucket', arn: `arn:${w.partition}:s3:::${c.buckets!.prefix}${n}` })) : []),
  grants: [
    { sid: 'ListOwnBuckets', calls: ['S3:ListBuckets'], on: '*' },
    { sid: 'AppBuckets', calls: OWNED_BUCKET_CALLS, on: ['bucket'] },
  ],
  cost(config) {
    return [{ component: 'S3', size: `${config.buckets!.names.length} bucket(s), ~10 GB`, monthly: round(pricesFor(config.region).p.s3GbMonth * 10 + 0.5) }];
  },
  load: async () => (await import('./apply.js')).s3Buckets,
  loadTeardown: async () => (await import('./teardown.js')).destroyBuckets,
});
