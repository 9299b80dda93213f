import { createHash, randomUUID } from 'node:crypto';
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RunTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { StepContext } from '../pipeline/context.js';
import { StepError } from '../errors.js';
import { waitFor } from '../wait.js';
import { retryIamPropagation } from './retry-iam-propagation.js';
import { ownedBy, ownershipTags, type StepId } from '../pipeline/step.js';
import type { StepOutputs } from '../pipeline/step.js';
import { isError } from './not-found.js';
import { clusterName } from './names.js';
import { sharedOwner } from '../preview/preview-of.js';

type NetworkOutput = StepOutputs['network'];

export const ecsTags = (ctx: Pick<StepContext, 'app' | 'env'>, step: StepId) => ownershipTags(ctx, step).map((t) => ({ key: t.Key, value: t.Value }));

/** ECS spells tags key/value; the ownership test is the same. */
export const ecsOwned = (ctx: Pick<StepContext, 'app' | 'env'>, tags: readonly { key?: string; value?: string }[] | undefined) =>
  ownedBy(
    ctx,
    (tags ?? []).map((t) => ({ Key: t.key, Value: t.value })),
  );

/** The app's cluster: looked up first, created when missing (CreateCluster returns an existing ACTIVE one anyway). */
export async function ensureCluster(ctx: StepContext, step: StepId): Promise<string> {
  const name = clusterName(ctx);
  const found = (await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [name], include: ['TAGS'] }))).clusters?.find((c) => c.status === 'ACTIVE');
  if (found) {
    // A preview runs in its parent's cluster, which the parent's tags own.
    if (!ecsOwned(sharedOwner(ctx), found.tags)) {
      throw new StepError(step, `adopt cluster: ECS cluster ${name} exists but was not created by deploy-wizard`, {
        hint: `Use another --env, or tag the cluster deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard run tasks in it.`,
      });
    }
    return found.clusterArn!;
  }
  if (ctx.preview)
    throw new StepError(step, `find cluster: ${name}, the cluster of ${ctx.preview.parent}, does not exist`, {
      hint: `Deploy ${ctx.preview.parent} first (deploy-wizard deploy --env ${ctx.preview.parent}); previews run in its cluster.`,
    });
  ctx.log.info(`creating ECS cluster ${name}`);
  const res = await ctx.aws.ecs.send(
    new CreateClusterCommand({ clusterName: name, tags: ecsTags(ctx, step), settings: [{ name: 'containerInsights', value: 'enabled' }] }),
  );
  return res.cluster!.clusterArn!;
}

/** Public subnets get a public IP so tasks can pull the image without a NAT gateway. */
export function awsvpc(net: NetworkOutput) {
  const subnets = net.taskSubnetIds ?? net.subnetIds;
  const allPublic = subnets.every((s) => net.publicSubnetIds.includes(s));
  return {
    awsvpcConfiguration: {
      subnets,
      securityGroups: [net.securityGroups.tasks],
      assignPublicIp: allPublic ? ('ENABLED' as const) : ('DISABLED' as const),
    },
  };
}

const taskId = (arn: string) => arn.split('/').pop()!;

/** The last `n` lines a task's container wrote (awslogs stream <prefix>/<container>/<task id>). */
export async function taskLogLines(ctx: StepContext, logGroup: string, streamPrefix: string, container: string, taskArn: string, n = 50): Promise<string[]> {
  try {
    const res = await ctx.aws.logs.send(
      new GetLogEventsCommand({ logGroupName: logGroup, logStreamName: `${streamPrefix}/${container}/${taskId(taskArn)}`, limit: n, startFromHead: false }),
    );
    return (res.events ?? []).map((e) => ctx.log.redact(e.message ?? '').trimEnd());
  } catch {
    return [];
  }
}

/**
 * A stopped task's last `n` lines, read again until `complete` says all of them are there: CloudWatch delivers
 * log lines a few seconds late, so for up to ~30 s. Returns what it read last either way.
 */
export async function settledTaskLogLines(
  ctx: StepContext,
  o: { logGroup: string; streamPrefix: string; container: string; taskArn: string; n: number },
  complete: (lines: string[]) => boolean,
): Promise<string[]> {
  let lines: string[] = [];
  for (let i = 0; i < 10; i++) {
    lines = await taskLogLines(ctx, o.logGroup, o.streamPrefix, o.container, o.taskArn, o.n);
    if (complete(lines)) break;
    await ctx.clock.sleep(3_000, ctx.signal);
  }
  return lines;
}

function describeStopped(t: Task): string {
  const codes = (t.containers ?? []).map((c) => `${c.name} exit ${c.exitCode ?? '?'}${c.reason ? ` (${c.reason})` : ''}`).join(', ');
  return `task ${taskId(t.taskArn!)}: ${t.stoppedReason ?? 'stopped'}${codes ? `; ${codes}` : ''}`;
}

/**
 * Why a service is not healthy, as lines a person can act on: the rollout
 * reason, recent events, each stopped task's reason and exit codes, and the
 * last log lines of the most recent stopped task.
 */
export async function diagnoseService(
  ctx: StepContext,
  o: { cluster: string; service: string; logGroup: string; streamPrefix: string; container: string },
): Promise<string[]> {
  const lines: string[] = [];
  const svc = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: o.cluster, services: [o.service] }))).services?.[0];
  const primary = svc?.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary)
    lines.push(
      `rollout: ${primary.rolloutState ?? 'unknown'}${primary.rolloutStateReason ? ` (${primary.rolloutStateReason})` : ''}; running ${svc?.runningCount ?? 0}/${svc?.desiredCount ?? 0}`,
    );
  for (const e of (svc?.events ?? []).slice(0, 5)) lines.push(`event: ${e.message}`);
  const stoppedArns = (await ctx.aws.ecs.send(new ListTasksCommand({ cluster: o.cluster, serviceName: o.service, desiredStatus: 'STOPPED' }))).taskArns ?? [];
  if (stoppedArns.length) {
    const tasks = (await ctx.aws.ecs.send(new DescribeTasksCommand({ cluster: o.cluster, tasks: stoppedArns.slice(0, 10) }))).tasks ?? [];
    tasks.sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0));
    for (const t of tasks.slice(0, 5)) lines.push(describeStopped(t));
    const logs = tasks[0] ? await taskLogLines(ctx, o.logGroup, o.streamPrefix, o.container, tasks[0].taskArn!, 20) : [];
    if (logs.length) lines.push(`last log lines of task ${taskId(tasks[0]!.taskArn!)}:`, ...logs.map((l) => `  ${l}`));
  }
  return lines;
}

export interface OneOffTask {
  step: StepId;
  /** What the task does, for messages: "migrations", "CREATE EXTENSION". */
  purpose: string;
  taskDefinition: string;
  container: string;
  command: string[];
  logGroup: string;
  streamPrefix: string;
  net: NetworkOutput;
  deadlineMs: number;
}

/**
 * Runs a one-off Fargate task with its command overridden, waits until it
 * stops, and fails with the stopped reason, exit code and last 50 log lines
 * unless the container exited 0. The client token (recorded first) makes a
 * retry after a crash start no second task.
 */
export async function runOneOffTask(ctx: StepContext, o: OneOffTask): Promise<{ taskArn: string; exitCode: number }> {
  const cluster = await ensureCluster(ctx, o.step);
  // One intent per purpose: what was asked (revision + command) and, once ECS answered, which task.
  // A crash before the answer reuses the token, so ECS hands back the same task instead of a second one;
  // a crash after it finds the task by its ARN. A changed revision or command is a new request with a new
  // token (ECS would answer a reused one with ConflictException, or with the old task for 24 hours).
  const key = `run-task:${o.purpose}`;
  const commandHash = createHash('sha256').update(JSON.stringify(o.command)).digest('hex').slice(0, 16);
  const prev = ctx.intents.get(key);
  const sameAsk = prev?.taskDefinition === o.taskDefinition && prev?.commandHash === commandHash;
  let arn = sameAsk && typeof prev?.taskArn === 'string' ? prev.taskArn : undefined;
  if (arn) {
    const t = (await ctx.aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks?.[0];
    if (t) ctx.log.info(`${o.purpose}: following task ${taskId(arn)} started by the interrupted run`);
    else arn = undefined;
  }
  if (!arn) {
    let token = sameAsk && typeof prev?.clientRequestToken === 'string' ? prev.clientRequestToken : randomUUID();
    await ctx.intents.record(key, { taskDefinition: o.taskDefinition, commandHash, clientRequestToken: token });
    ctx.log.info(`running ${o.purpose}: ${o.command.join(' ')}`);
    const run = () =>
      retryIamPropagation(
        () =>
          ctx.aws.ecs.send(
            new RunTaskCommand({
              cluster,
              taskDefinition: o.taskDefinition,
              launchType: 'FARGATE',
              count: 1,
              startedBy: 'deploy-wizard',
              clientToken: token,
              networkConfiguration: awsvpc(o.net),
              overrides: { containerOverrides: [{ name: o.container, command: o.command }] },
              tags: ecsTags(ctx, o.step),
            }),
          ),
        { clock: ctx.clock, signal: ctx.signal, onRetry: (m) => ctx.log.info(m) },
      );
    let res: Awaited<ReturnType<typeof run>>;
    try {
      res = await run();
    } catch (e) {
      // The token was used for a different request (state restored from an older copy): ask afresh.
      if (!isError(e, 'ConflictException')) throw e;
      token = randomUUID();
      await ctx.intents.record(key, { taskDefinition: o.taskDefinition, commandHash, clientRequestToken: token });
      res = await run();
    }
    const failure = res.failures?.[0];
    if (failure || !res.tasks?.[0]) {
      await ctx.intents.clear(key);
      throw new StepError(
        o.step,
        `run ${o.purpose}: ECS did not start the task: ${failure?.reason ?? 'no task returned'}${failure?.detail ? ` (${failure.detail})` : ''}`,
      );
    }
    arn = res.tasks[0].taskArn!;
    await ctx.intents.record(key, { taskDefinition: o.taskDefinition, commandHash, clientRequestToken: token, taskArn: arn });
  }
  const taskArn = arn;
  const stopped = await waitFor({
    stepId: o.step,
    what: `${o.purpose} task ${taskId(taskArn)}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: o.deadlineMs,
    firstDelayMs: 2_000,
    onStatus: (l) => ctx.log.info(l),
    poll: async () => {
      const t = (await ctx.aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }))).tasks?.[0];
      const status = t?.lastStatus ?? 'unknown';
      return { done: status === 'STOPPED', status, value: t };
    },
  });
  // The task is over, whatever its outcome: a fixed and re-run migration must start a new one.
  await ctx.intents.clear(key);
  const container = stopped?.containers?.find((c) => c.name === o.container) ?? stopped?.containers?.[0];
  const exitCode = container?.exitCode;
  if (exitCode !== 0) {
    const logs = await taskLogLines(ctx, o.logGroup, o.streamPrefix, o.container, taskArn, 50);
    throw new StepError(o.step, `run ${o.purpose}: the task exited with ${exitCode ?? 'no exit code'}: ${stopped?.stoppedReason ?? 'no reason given'}`, {
      hint: [
        logs.length ? `Last ${logs.length} log lines:\n${logs.join('\n')}` : `No log lines found in ${o.logGroup}.`,
        'Fix the cause, then run the same command again.',
      ].join('\n'),
    });
  }
  return { taskArn, exitCode: 0 };
}
