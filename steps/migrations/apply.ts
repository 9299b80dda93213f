import type { StepContext } from '../../src/pipeline/context.js';
import { runOneOffTask } from '../../src/aws/ecs-helpers.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface MigrationsOutput {
  /** The task definition revision the migrations ran for: an unchanged re-run does not run them again. */
  ranFor: string;
  taskArn: string;
  exitCode: number;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    migrations: MigrationsOutput;
  }
}

const DEADLINE_MS = 30 * 60_000;

/** Migrations run as a one-off task of migrations.service (default: the web service on "/*"). */
const migrationTaskDefinition = (ctx: StepContext) => ctx.output('task-definition').services[ctx.config.migrations!.service]!;

export const migrations: StepCode<'migrations'> = {
  // The revision is part of the inputs: a new image or config means a new revision, so they run again.
  async inputs(ctx) {
    return { command: ctx.config.migrations!.command, taskDefinition: migrationTaskDefinition(ctx).taskDefinitionArn };
  },

  async plan(ctx) {
    return [
      {
        action: 'create',
        resource: 'migrations task',
        detail: `${ctx.config.migrations!.command.join(' ')} as ${ctx.config.migrations!.service}, before any service rolls out (when its task definition changed)`,
      },
    ];
  },

  async apply(ctx) {
    const td = migrationTaskDefinition(ctx);
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
    return [{ name: 'migrations', ok: out.exitCode === 0 && out.ranFor === migrationTaskDefinition(ctx).taskDefinitionArn }];
  },
};
