import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { DescribeTaskDefinitionCommand, ECSClient, type ContainerDefinition } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startAwsProxy, type AwsRequest, type Verdict } from './aws-proxy.js';
import { MUTATING } from '../../src/aws/mutating.js';

/**
 * The task runner: a stand-in for Fargate in front of moto, which records
 * RunTask and starts nothing (the shared LOCAL_AWS.md, "A task runner").
 *
 * RunTask goes to moto (so the task, its tags and its ARN are moto's), and
 * then the task definition's first container is started in podman: its image
 * (an ECR URI is pulled from the stand-in registry), entry point and command
 * (or the RunTask override), its environment with the override's added, and
 * its `secrets` read from moto's Secrets Manager the way the ECS agent reads
 * them (`arn:...:secret:NAME:JSON_KEY::`, the "Specifying sensitive data"
 * page of the ECS guide). Its output goes to moto's CloudWatch Logs in the
 * stream the awslogs driver would write (`PREFIX/CONTAINER/TASK_ID`, the
 * "Using the awslogs log driver" page). DescribeTasks then answers with the
 * container's real state: PENDING until it starts, RUNNING, then STOPPED with
 * its exit code and the stop code and reason ECS documents ("Amazon ECS
 * stopped task error codes" and the Task data type): EssentialContainerExited
 * / "Essential container in task exited"; TaskFailedToStart /
 * "CannotPullContainerError: ..."; UserInitiated with StopTask's reason; and
 * the container's reason "OutOfMemoryError: Container killed due to memory
 * usage" when the kernel killed it.
 *
 * Two things a VPC gives a task that a laptop's containers lack, stood in
 * here: the containers share the host's network (`--network host`), and an
 * RDS endpoint (`*.rds.amazonaws.com`, in PGHOST or in a URL) resolves to the
 * stand-in Postgres. That Postgres (PGlite) speaks no TLS, which RDS requires,
 * so sslmode=require becomes prefer (TLS when offered).
 */
export interface TaskRunnerOptions {
  /** moto, or the proxy in front of it. */
  upstream: string;
  /** podman's Docker API socket. */
  dockerHost: string;
  /** The stand-in registry (host:port) ECR image URIs are pulled from. */
  registry: string;
  /** Where an RDS endpoint leads: the stand-in Postgres's port on 127.0.0.1. */
  databasePort?: number;
  region?: string;
  /** Another verdict for requests the runner does not handle (faults of a test). */
  decide?: (r: AwsRequest) => Verdict | undefined;
}

export interface RunnerTask {
  arn: string;
  status: 'PENDING' | 'RUNNING' | 'STOPPED';
  container: string;
  image?: string;
  command?: string[];
  /** The environment the container got, secrets included (for assertions; never printed). */
  env: Record<string, string>;
  exitCode?: number;
  stopCode?: string;
  stoppedReason?: string;
  containerReason?: string;
  startedAt?: number;
  stoppedAt?: number;
  stopRequested?: string;
  handle?: Docker.Container;
  done: Promise<void>;
}

const RDS_HOST = /[a-z0-9.-]+\.rds\.amazonaws\.com/;

export async function startTaskRunner(o: TaskRunnerOptions) {
  const region = o.region ?? 'us-east-1';
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const client = { region, endpoint: o.upstream, credentials };
  const ecs = new ECSClient(client);
  const logs = new CloudWatchLogsClient(client);
  const secrets = new SecretsManagerClient(client);
  const docker = new Docker({ socketPath: o.dockerHost.replace(/^unix:\/\//, '') });
  const tasks = new Map<string, RunnerTask>();
  const tokens = new Map<string, { params: string; body: string; arns: string[] }>();
  /** Client tokens answered from the first request's result. */
  const replayed: string[] = [];
  /** ExecuteCommand requests, as sent. */
  const execs: { cluster: string; task: string; container?: string; command: string; interactive: boolean }[] = [];

  const toDatabase = (v: string) => {
    if (!o.databasePort) return v;
    return v
      .replace(new RegExp(`${RDS_HOST.source}:\\d+`, 'g'), `127.0.0.1:${o.databasePort}`)
      .replace(/sslmode=(require|verify-ca|verify-full)/g, 'sslmode=prefer');
  };

  async function secretValue(valueFrom: string): Promise<string> {
    const parts = valueFrom.split(':');
    const arn = parts.slice(0, 7).join(':');
    const [key, stage, versionId] = parts.slice(7);
    const res = await secrets.send(
      new GetSecretValueCommand({ SecretId: arn, ...(stage ? { VersionStage: stage } : {}), ...(versionId ? { VersionId: versionId } : {}) }),
    );
    if (!key) return res.SecretString ?? '';
    const v = JSON.parse(res.SecretString ?? '{}')[key];
    if (v === undefined) throw new Error(`ResourceInitializationError: unable to pull secrets: key ${key} not found in ${arn}`);
    return String(v);
  }

  async function environment(def: ContainerDefinition, override: { environment?: { name?: string; value?: string }[] } | undefined) {
    const env: Record<string, string> = {};
    for (const e of def.environment ?? []) env[e.name!] = e.value ?? '';
    for (const e of override?.environment ?? []) env[e.name!] = e.value ?? '';
    for (const s of def.secrets ?? []) env[s.name!] = await secretValue(s.valueFrom!);
    for (const [k, v] of Object.entries(env)) env[k] = toDatabase(v);
    if (o.databasePort && env.PGHOST && new RegExp(`^${RDS_HOST.source}$`).test(env.PGHOST)) {
      env.PGHOST = '127.0.0.1';
      env.PGPORT = String(o.databasePort);
    }
    if (env.PGSSLMODE && env.PGSSLMODE !== 'disable') env.PGSSLMODE = 'prefer';
    return env;
  }

  /** An ECR image URI names the stand-in registry's copy; anything podman already holds is used as it is. */
  async function pull(image: string): Promise<string> {
    const local = image.replace(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//, `${o.registry}/`);
    try {
      await docker.getImage(local).inspect();
      return local;
    } catch {
      /* not here: pull it */
    }
    const account = /^(\d{12})\./.exec(image)?.[1];
    const stream = await docker.pull(local, account ? { authconfig: { username: 'AWS', password: `${account}-auth-token`, serveraddress: o.registry } } : {});
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
        const failed = err?.message ?? out.find((e) => e.error)?.error;
        return failed ? reject(new Error(failed)) : resolve();
      }),
    );
    return local;
  }

  /** Lines to moto's CloudWatch Logs, in the awslogs driver's stream, flushed every 200 ms. */
  function logSink(group: string, stream: string) {
    let pending: { timestamp: number; message: string }[] = [];
    let ready: Promise<unknown> = logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).catch(() => undefined);
    const flush = () => {
      if (!pending.length) return ready;
      const batch = pending;
      pending = [];
      ready = ready.then(() => logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: batch })).catch(() => undefined));
      return ready;
    };
    const timer = setInterval(flush, 200);
    const lineSplitter = () => {
      let buf = '';
      const s = new PassThrough();
      s.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          pending.push({ timestamp: Date.now(), message: buf.slice(0, i) });
          buf = buf.slice(i + 1);
        }
      });
      s.on('end', () => {
        if (buf) pending.push({ timestamp: Date.now(), message: buf });
      });
      return s;
    };
    return {
      lineSplitter,
      close: async () => {
        clearInterval(timer);
        await flush();
      },
    };
  }

  async function launch(
    t: RunnerTask,
    request: {
      taskDefinition: string;
      overrides?: { containerOverrides?: { name?: string; command?: string[]; environment?: { name?: string; value?: string }[] }[] };
    },
  ) {
    const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: request.taskDefinition }))).taskDefinition!;
    const def = td.containerDefinitions![0]!;
    t.container = def.name!;
    const override = request.overrides?.containerOverrides?.find((c) => c.name === def.name);
    let image: string;
    try {
      image = await pull(def.image!);
    } catch (e) {
      return stop(t, {
        stopCode: 'TaskFailedToStart',
        stoppedReason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): ${(e as Error).message}`,
      });
    }
    let env: Record<string, string>;
    try {
      env = await environment(def, override);
    } catch (e) {
      return stop(t, { stopCode: 'TaskFailedToStart', stoppedReason: (e as Error).message });
    }
    t.env = env;
    t.image = image;
    t.command = override?.command ?? def.command;
    const opts = def.logConfiguration?.options ?? {};
    const sink = logSink(opts['awslogs-group']!, `${opts['awslogs-stream-prefix']}/${def.name}/${t.arn.split('/').pop()}`);
    const handle = await docker.createContainer({
      Image: image,
      ...(t.command ? { Cmd: t.command } : {}),
      ...(def.entryPoint ? { Entrypoint: def.entryPoint } : {}),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      HostConfig: { NetworkMode: 'host' },
      Labels: { 'deploy-wizard-test': 'task-runner' },
    });
    t.handle = handle;
    const out = await handle.attach({ stream: true, stdout: true, stderr: true });
    const stdout = sink.lineSplitter();
    const stderr = sink.lineSplitter();
    docker.modem.demuxStream(out, stdout, stderr);
    const ended = new Promise<void>((resolve) => out.on('end', () => resolve()));
    if (t.stopRequested) return stop(t, { stopCode: 'UserInitiated', stoppedReason: t.stopRequested, exitCode: undefined });
    await handle.start();
    t.status = 'RUNNING';
    t.startedAt = Date.now() / 1000;
    const res = (await handle.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2_000))]);
    stdout.end();
    stderr.end();
    await sink.close();
    const state = (await handle.inspect().catch(() => undefined))?.State;
    await handle.remove({ force: true }).catch(() => undefined);
    if (t.stopRequested) return stop(t, { stopCode: 'UserInitiated', stoppedReason: t.stopRequested, exitCode: res.StatusCode });
    stop(t, {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      exitCode: res.StatusCode,
      ...(state?.OOMKilled ? { containerReason: 'OutOfMemoryError: Container killed due to memory usage' } : {}),
    });
  }

  function stop(t: RunnerTask, s: { stopCode: string; stoppedReason: string; exitCode?: number; containerReason?: string }) {
    Object.assign(t, s, { status: 'STOPPED', stoppedAt: Date.now() / 1000 });
  }

  /** DescribeTasks, RunTask's and StopTask's answers: moto's task with the container's real state. */
  const patch = (task: Record<string, unknown>) => {
    const t = tasks.get(task.taskArn as string);
    if (!t) return task;
    // moto's own container says exit code 0 once its clock stops the task; a container that never ran has none on ECS.
    const { exitCode: _motos, ...motoContainer } = (task.containers as Record<string, unknown>[] | undefined)?.[0] ?? {};
    const container = {
      ...motoContainer,
      name: t.container,
      lastStatus: t.status,
      ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
      ...(t.containerReason ? { reason: t.containerReason } : {}),
      // The container's id in its runtime, as ECS reports it (Session Manager's target names it).
      ...(t.handle ? { runtimeId: t.handle.id } : {}),
    };
    const out: Record<string, unknown> = { ...task, lastStatus: t.status, containers: [container] };
    if (t.startedAt) out.startedAt = t.startedAt;
    if (t.status === 'STOPPED') Object.assign(out, { desiredStatus: 'STOPPED', stopCode: t.stopCode, stoppedReason: t.stoppedReason, stoppedAt: t.stoppedAt });
    else {
      delete out.stoppedAt;
      delete out.stopCode;
      delete out.stoppedReason;
    }
    return out;
  };
  const patchBody = (status: number, body: string, key: 'tasks' | 'task') => {
    if (status !== 200) return body;
    const doc = JSON.parse(body);
    if (key === 'tasks') doc.tasks = (doc.tasks ?? []).map(patch);
    else if (doc.task) doc.task = patch(doc.task);
    return JSON.stringify(doc);
  };

  const proxy = await startAwsProxy(o.upstream, (r) => {
    const other = o.decide?.(r);
    if (other && other !== 'pass') return other;
    if (r.service !== 'ecs') return 'pass';
    if (r.action === 'RunTask') {
      const request = JSON.parse(r.body);
      // moto ignores clientToken. ECS (the "Ensuring idempotency" page of the API reference): a token reused in the
      // same cluster within 24 hours with the same parameters answers with the original result; with other
      // parameters, ConflictException naming the tasks it started.
      const { clientToken, ...params } = request as { clientToken?: string; cluster?: string };
      const tokenKey = clientToken ? `${params.cluster ?? 'default'}/${clientToken}` : undefined;
      const before = tokenKey ? tokens.get(tokenKey) : undefined;
      if (before && before.params !== JSON.stringify(params))
        return {
          respond: {
            status: 400,
            headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ConflictException' },
            body: JSON.stringify({
              __type: 'ConflictException',
              message: 'The provided clientToken is already in use with a different RunTask request.',
              resourceIds: before.arns,
            }),
          },
        };
      if (before) {
        replayed.push(clientToken!);
        return { respond: { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: patchBody(200, before.body, 'tasks') } };
      }
      return {
        rewrite: (status, body) => {
          if (status !== 200) return body;
          const doc = JSON.parse(body);
          if (tokenKey) tokens.set(tokenKey, { params: JSON.stringify(params), body, arns: (doc.tasks ?? []).map((t: { taskArn: string }) => t.taskArn) });
          for (const task of doc.tasks ?? []) {
            if (tasks.has(task.taskArn)) continue;
            const t: RunnerTask = { arn: task.taskArn, status: 'PENDING', container: '', env: {}, done: Promise.resolve() };
            tasks.set(t.arn, t);
            t.done = launch(t, request).catch((e) => stop(t, { stopCode: 'TaskFailedToStart', stoppedReason: `task runner: ${(e as Error).message}` }));
          }
          return patchBody(status, JSON.stringify(doc), 'tasks');
        },
      };
    }
    if (r.action === 'DescribeTasks') return { rewrite: (status, body) => patchBody(status, body, 'tasks') };
    if (r.action === 'ExecuteCommand') {
      // moto has no ExecuteCommand: answered as the ECS API reference documents it (a Session Manager session for
      // the task's container), for a running task the runner started.
      const q = JSON.parse(r.body) as { cluster: string; task: string; container?: string; command: string; interactive: boolean };
      const t = [...tasks.values()].find((x) => x.arn === q.task || x.arn.endsWith(`/${q.task}`));
      execs.push(q);
      if (!t || t.status !== 'RUNNING')
        return {
          error: 'InvalidParameterException',
          message: 'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running.',
        };
      const sessionId = `ecs-execute-command-${execs.length.toString(16).padStart(17, '0')}`;
      return {
        respond: {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({
            clusterArn: `arn:aws:ecs:${region}:123456789012:cluster/${q.cluster}`,
            containerArn: `arn:aws:ecs:${region}:123456789012:container/${q.cluster}/${t.arn.split('/').pop()}/${t.container}`,
            containerName: t.container,
            interactive: q.interactive,
            taskArn: t.arn,
            session: {
              sessionId,
              streamUrl: `wss://ssmmessages.${region}.amazonaws.com/v1/data-channel/${sessionId}?role=publish_subscribe&cell-number=AAEAAQ`,
              tokenValue: 'AAEAAUR0b2tlbi1zdGFuZC1pbg==',
            },
          }),
        },
      };
    }
    if (r.action === 'StopTask') {
      const { task, reason } = JSON.parse(r.body) as { task: string; reason?: string };
      const t = [...tasks.values()].find((x) => x.arn === task || x.arn.endsWith(`/${task}`));
      if (t && t.status !== 'STOPPED') {
        t.stopRequested = reason ?? 'Task stopped by user';
        // ECS sends SIGTERM, then SIGKILL after the stop timeout (30 s by default; 2 s here).
        void t.handle?.stop({ t: 2 }).catch(() => undefined);
      }
      return { rewrite: (status, body) => patchBody(status, body, 'task') };
    }
    return 'pass';
  });

  return {
    url: proxy.url,
    seen: proxy.seen,
    tasks,
    replayed,
    execs,
    /** The mutating calls made through the runner since the `from`th request: what a "nothing to do" run must leave empty. */
    mutatingSince: (from: number) =>
      proxy.seen
        .slice(from)
        .filter((r) => MUTATING.test(r.action))
        .map((r) => r.action),
    /** Waits for every task the runner started to stop. */
    settle: async () => {
      await Promise.all([...tasks.values()].map((t) => t.done));
    },
    close: async () => {
      for (const t of tasks.values()) if (t.status !== 'STOPPED') await t.handle?.remove({ force: true }).catch(() => undefined);
      await proxy.close();
      ecs.destroy();
      logs.destroy();
      secrets.destroy();
    },
  };
}

export type TaskRunner = Awaited<ReturnType<typeof startTaskRunner>>;
