import { runOneOffTask } from '../src/aws/ecs-helpers.js';
import type { Step } from '../src/pipeline/step.js';

export interface MigrationsOutput {
  /** The task definition revision the migrations ran for: an unchanged re-run does not run them again. */
  ranFor: string;
  taskArn: string;
  exitCode: number;
}

declare module '../src/pipeline/outputs.js' {
  interface StepOutputs {
    migrations: MigrationsOutput;
  }
}

const DEADLINE_MS = 30 * 60_000;

export const migrations: Step<'migrations'> = {
  id: 'migrations',
  title: 'Run the database migrations (one-off task)',
  dependsOn: ['task-definition', 'network', 'pgvector'],
  enabled: (config) => !!config.migrations?.command.length,

  // The revision is part of the inputs: a new image or config means a new revision, so they run again.
  async inputs(ctx) {
    return { command: ctx.config.migrations!.command, taskDefinition: ctx.output('task-definition').taskDefinitionArn };
  },

  async plan(ctx) {
    return [{ action: 'create', resource: 'migrations task', detail: `${ctx.config.migrations!.command.join(' ')} (when the task definition changed)` }];
  },

  async apply(ctx) {
    const td = ctx.output('task-definition');
    const res = await runOneOffTask(ctx, {
      step: 'migrations',
      purpose: 'migrations',
      taskDefinition: td.taskDefinitionArn,
      container: td.containerName,
      command: ctx.config.migrations!.command,
      logGroup: td.logGroup,
      net: ctx.output('network'),
      deadlineMs: DEADLINE_MS,
    });
    return { ranFor: td.taskDefinitionArn, taskArn: res.taskArn, exitCode: res.exitCode };
  },

  // A finished migration leaves nothing to re-check; it is re-run only when its revision changes.
  async verify(ctx, out) {
    return [{ name: 'migrations', ok: out.exitCode === 0 && out.ranFor === ctx.output('task-definition').taskDefinitionArn }];
  },
};
