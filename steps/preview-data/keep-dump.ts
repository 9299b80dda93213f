import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepContext } from '../../src/pipeline/context.js';
import type { StepOutputs } from '../../src/pipeline/outputs.js';
import { transferBucketName } from '../../src/aws/names.js';
import { formParts, presignedPost } from '../../src/aws/s3-post.js';
import { ensureTransferBucketAt, PREVIEW_DUMPS_PREFIX, previewDumpsRule } from '../../src/aws/transfer-bucket.js';
import { exportScript, PART_BYTES } from '../../src/tasks/db-transfer-scripts.js';
import { uploadFile } from '../../src/tasks/transfer-objects.js';
import { StepError } from '../../src/errors.js';
import { shellQuote } from '../../src/shell-quote.js';
import { reachesDirectly, runDbScriptHere } from './local.js';
import { runDbScript } from './task.js';

/**
 * preview down: a pg_dump -Fc of the preview's database into the parent's transfer bucket under
 * previews/NAME/, kept for previews.ttlDays by the bucket's rule for that prefix (the transfer bucket is the
 * parent's, tagged as its database's, so the parent's destroy removes it). From this machine it is one archive,
 * NAME/<time>.dump; from a task inside the VPC, whose image has no AWS SDK, base64 parts NAME/<time>/part-NNNNN
 * through a presigned form, as db export sends them: decoded and joined in order, they are the archive.
 * Returns where it is.
 */
export async function keepDump(
  ctx: StepContext,
  o: { database: string; days: number; rds: StepOutputs['rds']; executionRoleArn: string; logGroup: string; net: StepOutputs['network'] },
): Promise<string> {
  const p = ctx.preview!;
  const bucket = transferBucketName({ app: ctx.app, env: p.parent, account: ctx.account });
  await ensureTransferBucketAt({ aws: ctx.aws, region: ctx.region, app: ctx.app, env: p.parent, log: ctx.log, intents: ctx.intents }, bucket, [
    previewDumpsRule(o.days),
  ]);
  const stamp = ctx.clock.now().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const base = `${PREVIEW_DUMPS_PREFIX}${p.name}/${stamp}`;
  if (reachesDirectly(ctx)) {
    const dir = await mkdtemp(join(tmpdir(), 'dw-preview-'));
    const file = join(dir, 'dump');
    try {
      await runDbScriptHere(ctx, {
        purpose: `dump preview database ${o.database}`,
        script: `set -eu\npg_dump -Fc --no-owner --no-privileges -d ${shellQuote(o.database)} -f ${shellQuote(file)}`,
        rds: o.rds,
      });
      await uploadFile(ctx.aws.s3, bucket, `${base}.dump`, file, (await stat(file)).size, () => undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return `s3://${bucket}/${base}.dump`;
  }
  const prefix = `${base}/part-`;
  const post = await presignedPost(ctx.aws.s3, {
    bucket,
    keyPrefix: prefix,
    maxBytes: Math.ceil(PART_BYTES * 1.4) + 65_536,
    expiresInSeconds: 12 * 3600,
    now: ctx.clock.now(),
  });
  const { boundary, parts } = formParts(post.fields);
  const env = { DW_DB: o.database, DW_URL: post.url, DW_PREFIX: prefix, DW_BOUNDARY: boundary, DW_FORM: parts };
  const lines = await runDbScript(ctx, {
    purpose: `dump preview database ${o.database}`,
    script: [...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`), exportScript().script, 'echo "dw-done kept"'].join('\n'),
    rds: o.rds,
    executionRoleArn: o.executionRoleArn,
    logGroup: o.logGroup,
    net: o.net,
    done: /^dw-done kept$/,
  });
  if (!lines.some((l) => /^dw-uploaded \d+ \d+$/.test(l.trim())))
    throw new StepError('pgvector', `dump preview database ${o.database}: the task uploaded nothing`, {
      hint: 'Run preview down again; the database is not dropped until its dump is kept.',
    });
  return `s3://${bucket}/${prefix}*`;
}
