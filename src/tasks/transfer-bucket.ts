import type { LifecycleRule } from '@aws-sdk/client-s3';
import { ensureBucket, ownBuckets, probeBucket, type BucketContext } from '../aws/bucket.js';
import { transferBucketName } from '../aws/names.js';
import { ensureLifecycleRule } from '../aws/lifecycle-rule.js';
import type { Deployment } from '../with-deployment.js';
import type { Deployed } from './one-off.js';

const RULE_ID = 'deploy-wizard-transfer-expiry';
/** What passes through is a copy of data that lives elsewhere: gone after a day, and so are uploads that never finished. */
const EXPIRY: LifecycleRule = {
  ID: RULE_ID,
  Status: 'Enabled',
  Filter: { Prefix: '' },
  Expiration: { Days: 1 },
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
};

/**
 * The private bucket `db import` and `db export` pass files through
 * (`<app>-<env>-transfer-<account>`): encrypted, public access blocked,
 * everything in it expired after a day, tagged as the database's
 * (so destroy removes it with the database step). Named in the state before
 * it is created; the next `db` command converges what differs.
 */
export async function ensureTransferBucket(d: Deployment, dep: Deployed): Promise<string> {
  const app = d.loaded.config.app;
  const env = d.state.env;
  const name = transferBucketName({ app, env, account: d.session.account });
  const s3 = d.session.aws.s3;
  const ctx: BucketContext = {
    aws: d.session.aws,
    region: d.session.region,
    app,
    env,
    log: { info: dep.note, warn: dep.note, debug: () => undefined, secret: () => undefined, redact: (t) => t },
    intents: {
      get: () => (d.state.transfer?.bucket === name ? { bucket: name } : undefined),
      record: async () => {
        const at = dep.clock.now().toISOString();
        await dep.locked(async (s) => {
          s.transfer = { bucket: name, at };
        });
        d.state.transfer = { bucket: name, at };
      },
      clear: async () => undefined,
    },
  };
  const opts = {
    step: 'rds' as const,
    versioning: false,
    renameHint: 'The transfer bucket is named for the app, env and account; tag or remove the bucket of that name.',
  };
  const probed = await probeBucket(ctx, name, await ownBuckets(ctx), opts);
  await ensureBucket(ctx, name, probed, opts);
  await ensureLifecycleRule(s3, name, EXPIRY, (r) => r.Expiration?.Days === 1);
  return name;
}
