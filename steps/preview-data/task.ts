import type { StepContext } from '../../src/pipeline/context.js';
import { runOneOffTask, taskLogLines } from '../../src/aws/ecs-helpers.js';
import { ensureDbClientTask, DB_CLIENT_CONTAINER, DB_CLIENT_STREAM_PREFIX } from '../../src/aws/db-client-task.js';
import type { StepOutputs } from '../../src/pipeline/outputs.js';
import { reachesDirectly, runDbScriptHere } from './local.js';

/**
 * Runs a script of the database client in the preview's own family (its execution role reads the parent's
 * master credentials and its own role's), in the shared cluster, and returns its log lines once `done` shows; or
 * here, when the database is reached directly.
 */
export async function runDbScript(
  ctx: StepContext,
  o: {
    purpose: string;
    script: string;
    rds: StepOutputs['rds'];
    executionRoleArn: string;
    logGroup: string;
    net: StepOutputs['network'];
    done: RegExp;
  },
): Promise<string[]> {
  if (reachesDirectly(ctx)) return runDbScriptHere(ctx, o);
  const def = await ensureDbClientTask(ctx, { executionRoleArn: o.executionRoleArn, logGroup: o.logGroup, rds: o.rds });
  const run = await runOneOffTask(ctx, {
    step: 'pgvector',
    purpose: o.purpose,
    taskDefinition: def.taskDefinitionArn!,
    container: DB_CLIENT_CONTAINER,
    command: ['sh', '-c', o.script],
    logGroup: o.logGroup,
    streamPrefix: DB_CLIENT_STREAM_PREFIX,
    net: o.net,
    deadlineMs: 60 * 60_000,
  });
  // CloudWatch delivers log lines a few seconds late: read until the last line shows, for up to ~30 s.
  let lines: string[] = [];
  for (let i = 0; i < 10; i++) {
    lines = await taskLogLines(ctx, o.logGroup, DB_CLIENT_STREAM_PREFIX, DB_CLIENT_CONTAINER, run.taskArn, 10_000);
    if (lines.some((l) => o.done.test(l.trim()))) break;
    await ctx.clock.sleep(3_000, ctx.signal);
  }
  return lines;
}
