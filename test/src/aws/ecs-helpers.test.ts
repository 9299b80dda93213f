import { describe, expect, it } from 'vitest';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { awsvpc, ensureCluster, runOneOffTask } from '../../../src/aws/ecs-helpers.js';
import { network } from '../../../steps/network/apply.js';
import { stepContext } from '../../helpers/step-context.js';
import { registerTaskDefinition } from '../../helpers/step-context.js';
import { fakeClock } from '../../helpers/fake-clock.js';

/** A real cluster, task definition and network in moto, and a recorder of every RunTask sent. */
async function setup() {
  const runs: any[] = [];
  const { ctx, app, intents } = stepContext({}, { onCall: (c) => c.command === 'RunTask' && runs.push(c.input) });
  ctx.clock = fakeClock().clock;
  const net = await network.apply(ctx);
  const logGroup = `/ecs/${app}-prod`;
  await ctx.aws.logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
  const td = await registerTaskDefinition(ctx, app);
  const task = (command: string[]) => ({
    step: 'migrations' as const,
    purpose: 'migrations',
    taskDefinition: td.taskDefinitionArn!,
    container: app,
    command,
    logGroup,
    streamPrefix: 'ecs',
    net,
    deadlineMs: 60_000,
  });
  return { ctx, intents, runs, task };
}

describe('one-off tasks (migrations, pgvector): RunTask client tokens', () => {
  it('a finished task clears its intent, so running the same command again (a fixed migration) starts a new task with a new token', async () => {
    const { ctx, intents, runs, task } = await setup();
    const first = await runOneOffTask(ctx, task(['bin/migrate']));
    expect(intents['run-task:migrations']).toBeUndefined();
    const second = await runOneOffTask(ctx, task(['bin/migrate']));
    expect(runs).toHaveLength(2);
    expect(runs[0].clientToken).not.toBe(runs[1].clientToken);
    expect(second.taskArn).not.toBe(first.taskArn);
  });

  it('a crash before ECS answered reuses the recorded token (ECS returns the same task); a changed command gets a new one', async () => {
    const { ctx, intents, runs, task } = await setup();
    const t = task(['bin/migrate']);
    const { createHash } = await import('node:crypto');
    const commandHash = createHash('sha256').update(JSON.stringify(t.command)).digest('hex').slice(0, 16);
    intents['run-task:migrations'] = { taskDefinition: t.taskDefinition, commandHash, clientRequestToken: 'token-from-the-crashed-run' };
    await runOneOffTask(ctx, t);
    expect(runs.map((r) => r.clientToken)).toEqual(['token-from-the-crashed-run']);

    intents['run-task:migrations'] = { taskDefinition: t.taskDefinition, commandHash, clientRequestToken: 'token-from-the-crashed-run' };
    await runOneOffTask(ctx, task(['bin/migrate', '--fixed']));
    expect(runs[1].clientToken).not.toBe('token-from-the-crashed-run');
  });

  it('a crash after ECS answered follows the recorded task and starts no second one', async () => {
    const { ctx, intents, runs, task } = await setup();
    const t = task(['bin/migrate']);
    // The interrupted run: RunTask went through, then the process died while waiting.
    await ensureCluster(ctx, 'migrations');
    const started = await ctx.aws.ecs.send(
      new RunTaskCommand({
        cluster: `${ctx.app}-prod`,
        taskDefinition: t.taskDefinition,
        launchType: 'FARGATE',
        networkConfiguration: awsvpc(t.net),
        count: 1,
      }),
    );
    runs.length = 0;
    const { createHash } = await import('node:crypto');
    const commandHash = createHash('sha256').update(JSON.stringify(t.command)).digest('hex').slice(0, 16);
    const taskArn = started.tasks![0]!.taskArn!;
    intents['run-task:migrations'] = { taskDefinition: t.taskDefinition, commandHash, clientRequestToken: 'tok', taskArn };
    const res = await runOneOffTask(ctx, t);
    expect(runs).toEqual([]);
    expect(res.taskArn).toBe(taskArn);
    expect(intents['run-task:migrations']).toBeUndefined();
  });
});
