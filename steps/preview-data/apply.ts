import type { StepContext } from '../../src/pipeline/context.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { StepError } from '../../src/errors.js';
import { previewDatabaseName } from '../../src/aws/names.js';
import { previewDbName, requirePreview } from '../../src/preview/preview-context.js';
import { parseCounts, previewDataScript } from './script.js';
import { runDbScript } from './task.js';
import { reachesDirectly } from './local.js';

const preview = (ctx: StepContext) => requirePreview(ctx, 'preview data');

/** The database a clone copies: the parent's, or another preview's (preview up --data-from NAME). */
const sourceOf = (ctx: StepContext) => {
  const p = preview(ctx);
  const db = ctx.config.database!.name;
  return p.dataFrom ? previewDatabaseName(db, p.dataFrom) : db;
};

export const previewData: StepCode<'pgvector'> = {
  async inputs(ctx) {
    const p = preview(ctx);
    const rds = ctx.output('rds');
    // The source and --schema-only matter only to the first copy: a database that exists is never copied over.
    return { database: rds.dbName, role: rds.appUser, mode: p.database, endpoint: rds.endpoint, extensions: ctx.config.database!.extensions };
  },

  async plan(ctx) {
    const p = preview(ctx);
    const db = previewDbName(ctx);
    const what =
      p.database === 'clone'
        ? `a copy of ${sourceOf(ctx)}${p.schemaOnly ? ' (schema only)' : ''}, at most ${p.maxCloneMb} MB, made once`
        : p.database === 'empty'
          ? 'empty, then migrated'
          : `${p.parent}'s own database, read-only`;
    return [
      {
        action: ctx.previous() ? 'keep' : 'create',
        resource: `database ${db}`,
        detail: `${what} (${reachesDirectly(ctx) ? 'from this machine' : 'one-off ECS task in the VPC'})`,
      },
    ];
  },

  async apply(ctx) {
    const p = preview(ctx);
    const rds = ctx.output('rds');
    const db = ctx.config.database!;
    const script = previewDataScript({
      mode: p.database,
      database: rds.dbName,
      role: rds.appUser!,
      source: sourceOf(ctx),
      schemaOnly: p.schemaOnly,
      maxBytes: p.maxCloneMb * 1024 * 1024,
      extensions: db.extensions,
    });
    const lines = await runDbScript(ctx, {
      purpose: `preview database ${rds.dbName}`,
      script,
      rds,
      executionRoleArn: ctx.output('iam-roles').executionRoleArn,
      logGroup: ctx.output('task-definition').logGroup,
      net: ctx.output('network'),
      done: /^dw-done /,
    });
    const done = lines.map((l) => /^dw-done (\S+)$/.exec(l.trim())?.[1]).find(Boolean);
    if (!done) throw new StepError('pgvector', `preview database ${rds.dbName}: the task exited 0 but its log does not say it finished`);
    const counts = parseCounts(lines);
    const differ = Object.keys(counts.source).filter((t) => counts.source[t] !== counts.copy[t]);
    // Rows written to the source while it was dumped are not in the copy; a table the restore missed is.
    const missing = Object.keys(counts.source).filter((t) => counts.copy[t] === undefined);
    if (missing.length) throw new StepError('pgvector', `clone ${sourceOf(ctx)}: ${missing.join(', ')} missing from ${rds.dbName} after the restore`);
    if (done === 'clone')
      ctx.log.info(
        `cloned ${sourceOf(ctx)} into ${rds.dbName}: ${Object.keys(counts.copy).length} tables, ${Object.values(counts.copy).reduce((a, b) => a + b, 0)} rows${differ.length ? ` (${differ.join(', ')} changed while it was copied)` : ''}`,
      );
    else if (done === 'exists') ctx.log.info(`database ${rds.dbName} exists; kept as it is`);
    return {
      database: rds.dbName,
      appRole: rds.appUser!,
      extensions: Object.fromEntries(db.extensions.map((e) => [e, 'installed'])),
      via: reachesDirectly(ctx) ? 'direct' : 'task',
      ...(done === 'clone' ? { rows: counts.copy } : {}),
    };
  },

  async verify(_ctx, out) {
    return [{ name: `database ${out.database}`, ok: true, detail: 'made by the last task run' }];
  },
};
