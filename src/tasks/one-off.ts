import { createHash, randomUUID } from 'node:crypto';
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from '../aws/clients.js';
import { awsvpc } from '../aws/ecs-helpers.js';
import { isError } from '../aws/not-found.js';
import { retryIamPropagation } from '../aws/retry-iam-propagation.js';
import { WizardError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { StateFile } from '../state/state-file.js';

// One-off tasks that commands start (`run`, `db`), beside the pipeline's own
// (migrations, the pgvector step), which go through ecs-helpers' runOneOffTask.

/** `startedBy` on every task `run` and `db` start: `status` lists them and `destroy` stops them. */
export const RUN_STARTED_BY = 'deploy-wizard-run';

export interface OneOffAsk {
  cluster: string;
  taskDefinition: string;
  container: string;
  command: string[];
  /** Plain variables added to the container's (never secrets: those come from the task definition). */
  environment?: Record<string, string>;
  /** Task size overrides (a valid Fargate pair, checked by the caller). */
  cpu?: number;
  memory?: number;
  network: StepOutputs['network'];
  tags: { key: string; value: string }[];
}

export interface Deployed {
  aws: Pick<AwsClients, 'ecs' | 'logs'>;
  state: StateFile;
  clock: Clock;
  signal: AbortSignal;
  /** Takes the state lock around each change of the run's intent, and releases it. */
  locked: <T>(fn: (state: StateFile) => Promise<T>) => Promise<T>;
  note: (line: string) => void;
}

export const shortTaskId = (arn: string) => arn.split('/').pop()!.slice(0, 8);

/** Which request this is, so the same ask after a crash reuses its token (ECS answers with the first task) and a new one gets its own. */
function askKey(a: OneOffAsk): string {
  const h = createHash('sha256')
    .update(JSON.stringify([a.taskDefinition, a.container, a.command, a.environment ?? {}, a.cpu ?? null, a.memory ?? null]))
    .digest('hex');
  return `run:${h.slice(0, 16)}`;
}

/**
 * Starts the task, or finds the one an interrupted run of the same ask
 * started: the client token is recorded in the state before RunTask goes out,
 * so a crash between the two never starts a second copy (ECS answers a reused
 * token with the task it started for it). Returns the task's ARN, and whether
 * it was already running.
 */
export async function startOneOff(d: Deployed, a: OneOffAsk): Promise<{ taskArn: string; key: string; followed: boolean }> {
  const key = askKey(a);
  const prev = d.state.runs?.[key];
  if (prev?.taskArn) {
    const t = (await d.aws.ecs.send(new DescribeTasksCommand({ cluster: a.cluster, tasks: [prev.taskArn] }))).tasks?.[0];
    if (t && t.lastStatus !== 'STOPPED') {
      d.note(`following task ${shortTaskId(prev.taskArn)}, started by an interrupted run of the same command`);
      return { taskArn: prev.taskArn, key, followed: true };
    }
  }
  let token = prev && !prev.taskArn ? prev.token : randomUUID();
  await d.locked(async (s) => {
    s.runs = { ...s.runs, [key]: { token, at: d.clock.now().toISOString() } };
  });
  const send = () =>
    retryIamPropagation(
      () =>
        d.aws.ecs.send(
          new RunTaskCommand({
            cluster: a.cluster,
            taskDefinition: a.taskDefinition,
            launchType: 'FARGATE',
            count: 1,
            startedBy: RUN_STARTED_BY,
            clientToken: token,
            networkConfiguration: awsvpc(a.network),
            overrides: {
              ...(a.cpu ? { cpu: String(a.cpu) } : {}),
              ...(a.memory ? { memory: String(a.memory) } : {}),
              containerOverrides: [
                {
                  name: a.container,
                  command: a.command,
                  ...(a.environment ? { environment: Object.entries(a.environment).map(([name, value]) => ({ name, value })) } : {}),
                  // A smaller task than the container's reservation would be refused.
                  ...(a.memory ? { memoryReservation: a.memory } : {}),
                },
              ],
            },
            tags: a.tags,
            propagateTags: 'TASK_DEFINITION',
          }),
        ),
      { clock: d.clock, signal: d.signal },
    );
  let res: Awaited<ReturnType<typeof send>>;
  try {
    res = await send();
  } catch (e) {
    // The token went with another request (state restored from an older copy): ask afresh.
    if (!isError(e, 'ConflictException')) throw e;
    token = randomUUID();
    await d.locked(async (s) => {
      s.runs = { ...s.runs, [key]: { token, at: d.clock.now().toISOString() } };
    });
    res = await send();
  }
  const failure = res.failures?.[0];
  const arn = res.tasks?.[0]?.taskArn;
  if (failure || !arn) {
    await forget(d, key);
    throw new WizardError(`run: ECS did not start the task: ${failure?.reason ?? 'no task returned'}${failure?.detail ? ` (${failure.detail})` : ''}`, {
      hint: 'Run the same command again once the cause is fixed.',
    });
  }
  await d.locked(async (s) => {
    s.runs = { ...s.runs, [key]: { token, taskArn: arn, at: d.clock.now().toISOString() } };
  });
  return { taskArn: arn, key, followed: false };
}

/** The run is over (or detached): the same command next time is a new run. */
export async function forget(d: Deployed, key: string): Promise<void> {
  await d.locked(async (s) => {
    if (!s.runs?.[key]) return;
    const { [key]: _gone, ...rest } = s.runs;
    s.runs = rest;
  });
}

export interface Follow {
  cluster: string;
  taskArn: string;
  logGroup: string;
  /** awslogs stream: <prefix>/<container>/<task id>. */
  stream: string;
  onLine: (line: string) => void;
  signal: AbortSignal;
  /** Stop the task when it runs past this many milliseconds. */
  timeoutMs?: number;
  pollMs?: number;
}

export type FollowEnd = { kind: 'stopped'; task: Task } | { kind: 'interrupted' } | { kind: 'timeout' };

/**
 * Prints the task's log lines as they arrive and waits for it to stop. After
 * it stops, reads on until the log is quiet (CloudWatch delivers the last
 * lines a few seconds late).
 */
export async function followTask(d: Pick<Deployed, 'aws' | 'clock'>, f: Follow): Promise<FollowEnd> {
  const pollMs = f.pollMs ?? 1_000;
  let token: string | undefined;
  const started = d.clock.now().getTime();
  const readLogs = async (): Promise<number> => {
    let n = 0;
    for (let page = 0; page < 20; page++) {
      let res;
      try {
        res = await d.aws.logs.send(new GetLogEventsCommand({ logGroupName: f.logGroup, logStreamName: f.stream, startFromHead: true, nextToken: token }));
      } catch (e) {
        // The stream appears when the container first writes.
        if (isError(e, 'ResourceNotFoundException')) return n;
        throw e;
      }
      for (const e of res.events ?? []) f.onLine((e.message ?? '').replace(/\n$/, ''));
      n += res.events?.length ?? 0;
      const same = res.nextForwardToken === token;
      token = res.nextForwardToken;
      if (same || !res.events?.length) return n;
    }
    return n;
  };
  for (;;) {
    if (f.signal.aborted) return { kind: 'interrupted' };
    if (f.timeoutMs !== undefined && d.clock.now().getTime() - started > f.timeoutMs) return { kind: 'timeout' };
    let t: Task | undefined;
    try {
      await readLogs();
      t = (await d.aws.ecs.send(new DescribeTasksCommand({ cluster: f.cluster, tasks: [f.taskArn] }))).tasks?.[0];
    } catch (e) {
      // Ctrl-C cancels the calls in flight.
      if (f.signal.aborted) return { kind: 'interrupted' };
      throw e;
    }
    if (!t) throw new WizardError(`run: task ${shortTaskId(f.taskArn)} is no longer known to ECS`);
    if (t.lastStatus === 'STOPPED') {
      // Quiet twice in a row, or ~15 s at most.
      for (let quiet = 0, i = 0; quiet < 2 && i < 15; i++) {
        quiet = (await readLogs()) ? 0 : quiet + 1;
        if (quiet < 2) await d.clock.sleep(pollMs).catch(() => undefined);
      }
      return { kind: 'stopped', task: t };
    }
    try {
      await d.clock.sleep(pollMs, f.signal);
    } catch {
      return { kind: 'interrupted' };
    }
  }
}

/** Stops the task; it goes out after Ctrl-C too (its own signal, not the run's), within 10 seconds. */
export async function stopTask(aws: Pick<AwsClients, 'ecs'>, cluster: string, taskArn: string, reason: string): Promise<void> {
  try {
    await aws.ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason }), { abortSignal: AbortSignal.timeout(10_000) });
  } catch (e) {
    if (!isError(e, 'InvalidParameterException')) throw e;
  }
}

/** Why a task stopped without a clean exit, as one line: the stop reason and each container's. */
export function stoppedWhy(t: Task): string {
  const c = t.containers?.[0];
  return [t.stoppedReason ?? 'stopped', c?.reason, c?.exitCode !== undefined ? `exit code ${c.exitCode}` : 'no exit code'].filter(Boolean).join('; ');
}
