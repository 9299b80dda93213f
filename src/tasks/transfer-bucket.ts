import type { BucketContext } from '../aws/bucket.js';
import { transferBucketName } from '../aws/names.js';
import { ensureTransferBucketAt } from '../aws/transfer-bucket.js';
export { DB_TRANSFER_PREFIX } from '../aws/transfer-bucket.js';
import type { Deployment } from '../with-deployment.js';
import type { Deployed } from './one-off.js';

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
  return ensureTransferBucketAt(ctx, name);
}
