import type { StepContext } from '../../src/pipeline/context.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { StepError } from '../../src/errors.js';
import { previewDatabaseName, previewDbSecretName } from '../../src/aws/names.js';
import { parentOutput } from '../../src/preview/preview-of.js';
import { previewDbName, requirePreview } from '../../src/preview/preview-context.js';
import { readSecretJson } from '../../src/secrets/store.js';

/** The preview's database role: the app role's name with the preview's (hyphens as underscores). */
const previewRoleName = (parentAppUser: string, name: string) => previewDatabaseName(parentAppUser, name);

const preview = (ctx: StepContext) => requirePreview(ctx, 'preview database');

/** The parent's database, which a preview needs deployed. */
function parentRds(ctx: StepContext) {
  const p = preview(ctx);
  const rds = parentOutput(ctx, 'rds');
  if (!rds)
    throw new StepError('rds', `find database: ${p.parent} has no deployed database`, {
      hint: `Deploy ${p.parent} first (deploy-wizard deploy --env ${p.parent}); a preview's database lives on its instance.`,
    });
  return rds;
}

export const previewDatabase: StepCode<'rds'> = {
  async inputs(ctx) {
    const rds = parentRds(ctx);
    return {
      endpoint: rds.endpoint,
      port: rds.port,
      admin: parentOutput(ctx, 'pgvector')?.previewsAdmin ?? null,
      db: previewDbName(ctx),
      mode: preview(ctx).database,
    };
  },

  async plan(ctx) {
    const p = preview(ctx);
    const rds = parentOutput(ctx, 'rds');
    return [
      {
        action: 'keep',
        resource: `database instance ${rds?.identifier ?? '(not deployed)'}`,
        detail: `${p.parent}'s, shared`,
      },
      {
        action: ctx.previous() ? 'keep' : 'create',
        resource: `secret ${previewDbSecretName({ ...ctx, preview: p })}`,
        detail: `the preview's database role${p.database === 'shared' ? ' (read-only on the parent database)' : ''}`,
      },
    ];
  },

  async apply(ctx) {
    const p = preview(ctx);
    const rds = parentRds(ctx);
    const { ensureGeneratedSecret, randomAlnum } = await import('../../src/secrets/store.js');
    const username = previewRoleName(rds.appUser ?? `${ctx.config.database!.name}_app`, p.name);
    const secret = await ensureGeneratedSecret(
      ctx,
      'rds',
      previewDbSecretName({ ...ctx, preview: p }),
      `deploy-wizard: the database role of preview ${p.name} of ${ctx.app} (${p.parent})`,
      () => ({ username, password: randomAlnum(32) }),
    );
    // The preview's database tasks sign in as the previews' role the parent made, never as its master user.
    const admin = parentOutput(ctx, 'pgvector')?.previewsAdmin;
    if (!admin)
      throw new StepError('rds', `find the previews' database role: ${p.parent}'s database has none yet`, {
        hint: `Deploy ${p.parent} again (deploy-wizard deploy --env ${p.parent}): with previews in the config it makes the role previews sign in as.`,
      });
    return {
      identifier: rds.identifier,
      endpoint: rds.endpoint,
      port: rds.port,
      dbName: previewDbName(ctx),
      username: admin.role,
      masterSecretArn: admin.secretArn,
      engineVersion: rds.engineVersion,
      ...(rds.engine ? { engine: rds.engine } : {}),
      appUser: secret.value.username!,
      appSecretArn: secret.arn,
    };
  },

  async verify(ctx, out) {
    const v = await readSecretJson(ctx, out.appSecretArn!).catch(() => undefined);
    return [{ name: `secret of database role ${out.appUser}`, ok: !!v?.password && v.username === out.appUser }];
  },
};
