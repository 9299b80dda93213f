import type { StepContext } from '../../src/pipeline/context.js';
import { runOneOffTask } from '../../src/aws/ecs-helpers.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface MigrationsOutput {
  /** The task definition revision the migrations ran for: an unchanged re-run does not run them again. */
  ranFor: string;
  /** The revision a deploy did not migrate (--skip-migrations, or when "skip"): the next one that migrates runs them. */
  skippedFor?: string;
  taskArn: string;
  exitCode: number;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    migrations: MigrationsOutput;
  }
}

const DEADLINE_MS = 30 * 60_000;

const skipped = (ctx: StepContext) => !!ctx.settings.skipMigrations || ctx.config.migrations!.when === 'skip';

/** Migrations run as a one-off task of migrations.service (default: the web service on "/*"). */
const migrationTaskDefinition = (ctx: StepContext) => ctx.output('task-definition').services[ctx.config.migrations!.service]!;

export const migrations: StepCode<'migrations'> = {
  // The revision is part of the inputs: a new image or config means a new revision, so they run again. "always"
  // makes every deploy's inputs new; a skipped run's differ from the next run's, so that one migrates.
  async inputs(ctx) {
    const when = skipped(ctx) ? 'skip' : ctx.config.migrations!.when;
    return {
      command: ctx.config.migrations!.command,
      taskDefinition: migrationTaskDefinition(ctx).taskDefinitionArn,
      ...(when === 'changed' ? {} : { when }),
      ...(when === 'always' ? { at: ctx.clock.now().toISOString() } : {}),
    };
  },

  async plan(ctx) {
    const m = ctx.config.migrations!;
    if (skipped(ctx))
      return [
        { action: 'keep', resource: 'migrations task', detail: `skipped (${ctx.settings.skipMigrations ? '--skip-migrations' : 'migrations.when "skip"'})` },
      ];
    return [
      {
        action: 'create',
        resource: 'migrations task',
        detail: `${m.command.join(' ')} as ${m.service}, before any service rolls out (${m.when === 'always' ? 'on every deploy' : 'when its task definition changed'})`,
      },
    ];
  },

  async apply(ctx) {
    const td = migrationTaskDefinition(ctx);
    if (skipped(ctx)) {
      const prev = ctx.previous();
      ctx.log.warn(
        `migrations skipped (${ctx.settings.skipMigrations ? '--skip-migrations' : 'migrations.when "skip"'}): ${td.family}:${td.revision} rolls out without them`,
      );
      return { ranFor: prev?.ranFor ?? '', taskArn: prev?.taskArn ?? '', exitCode: prev?.exitCode ?? 0, skippedFor: td.taskDefinitionArn };
    }
    const res = await runOneOffTask(ctx, {
      step: 'migrations',
      purpose: 'migrations',
      taskDefinition: td.taskDefinitionArn,
      container: td.containerName,
      command: ctx.config.migrations!.command,
      logGroup: ctx.output('task-definition').logGroup,
      streamPrefix: td.streamPrefix,
      net: ctx.output('network'),
      deadlineMs: DEADLINE_MS,
    });
    return { ranFor: td.taskDefinitionArn, taskArn: res.taskArn, exitCode: res.exitCode };
  },

  // A finished migration leaves nothing to re-check; it is re-run only when its revision changes.
  async verify(ctx, out) {
    if (skipped(ctx)) return [{ name: 'migrations', ok: true, detail: 'skipped' }];
    return [{ name: 'migrations', ok: out.exitCode === 0 && out.ranFor === migrationTaskDefinition(ctx).taskDefinitionArn }];
  },
};
