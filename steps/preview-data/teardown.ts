import type { StepContext } from '../../src/pipeline/context.js';
import type { DestroyOptions, Teardown } from '../../src/pipeline/step.js';
import { dropScript } from './script.js';
import { runDbScript } from './task.js';
import { keepDump } from './keep-dump.js';

/**
 * preview down: the preview's database dropped (closing its connections) and its role, with the SELECT a shared
 * preview was given on the parent's tables revoked. Nothing of the parent's database is touched: the role never
 * owned anything there.
 */
export async function destroyPreviewData(ctx: StepContext<'pgvector'>, _o: DestroyOptions): Promise<Teardown[]> {
  const p = ctx.preview;
  const out = ctx.previous();
  const state = { rds: safe(() => ctx.output('rds')), roles: safe(() => ctx.output('iam-roles')), td: safe(() => ctx.output('task-definition')) };
  if (!p || !out?.appRole || !state.rds || !state.roles || !state.td) return [];
  const shared = p.database === 'shared';
  return [
    {
      resource: shared
        ? `database role ${out.appRole} (read-only on ${out.database})`
        : `database ${out.database} and its role ${out.appRole}${p.keepDays ? ` (a dump kept for ${p.keepDays} days)` : ''}`,
      remove: async () => {
        // Kept before it is dropped: a dump that fails stops the down here, with the database still there.
        if (!shared && p.keepDays) {
          const where = await keepDump(ctx, {
            database: out.database,
            days: p.keepDays,
            rds: state.rds!,
            executionRoleArn: state.roles!.executionRoleArn,
            logGroup: state.td!.logGroup,
            net: ctx.output('network'),
          });
          ctx.log.info(`kept a dump of ${out.database} at ${where} for ${p.keepDays} days`);
        }
        await runDbScript(ctx, {
          purpose: `drop preview database ${out.database}`,
          script: dropScript({ ...(shared ? { grantedIn: out.database } : { database: out.database }), role: out.appRole! }),
          rds: state.rds!,
          executionRoleArn: state.roles!.executionRoleArn,
          logGroup: state.td!.logGroup,
          net: ctx.output('network'),
          done: /^dw-done /,
        });
      },
    },
  ];
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
