import type { StepContext } from '../../src/pipeline/context.js';
import { runOneOffTask, settledTaskLogLines } from '../../src/aws/ecs-helpers.js';
import { ensureDbClientTask, DB_CLIENT_CONTAINER, DB_CLIENT_STREAM_PREFIX } from '../../src/aws/db-client-task.js';
import type { StepOutputs } from '../../src/pipeline/outputs.js';
import { reachesDirectly, runDbScriptHere } from './local.js';

/**
 * Runs a script of the database client in the preview's own family (its execution role reads the previews'
 * database role's credentials and its own role's, never the master user's), in the shared cluster, and returns its
 * log lines once `done` shows; or here, when the database is reached directly.
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
  // Read until its last line shows.
  return settledTaskLogLines(
    ctx,
    { logGroup: o.logGroup, streamPrefix: DB_CLIENT_STREAM_PREFIX, container: DB_CLIENT_CONTAINER, taskArn: run.taskArn, n: 10_000 },
    (lines) => lines.some((l) => o.done.test(l.trim())),
  );
}
