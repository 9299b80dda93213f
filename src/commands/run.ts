import * as clack from '@clack/prompts';
import { withDeployment, type Deployment } from '../with-deployment.js';
import { InputError, WizardError, EXIT } from '../errors.js';
import { systemClock } from '../clock.js';
import { secretNamesOf, serviceTarget, startedByTag } from '../tasks/service-target.js';
import { fargateProblem } from '../config/fargate.js';
import { lockCommandOf } from '../state/open-state.js';
import { appSecretRedactor } from '../logs/app-secret-redactor.js';
import { followTask, forget, shortTaskId, startOneOff, stopTask, stoppedWhy, type Deployed, type OneOffAsk } from '../tasks/one-off.js';
import type { Config } from '../config/schema.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { CommonOptions, Io } from '../options.js';

/** migrations.service, else the web service on "/*", else the first. */
export function defaultRunService(config: Config): string {
  return config.migrations?.service ?? Object.values(config.services).find((s) => s.routes.includes('/*'))?.name ?? Object.keys(config.services)[0]!;
}

/** What comes before `--` (or a first word that names a service) is the service; the rest is the command. */
export function splitRunArgs(config: Config, rest: readonly string[]): { service: string; command: string[] } {
  const dd = rest.indexOf('--');
  if (dd >= 0) {
    const before = rest.slice(0, dd);
    if (before.length > 1) throw new InputError('run: invalid arguments', [`${before.join(' ')}: name one service before --, then the command after it`]);
    return { service: before[0] ?? defaultRunService(config), command: rest.slice(dd + 1) };
  }
  if (rest[0] !== undefined && rest[0] in config.services) return { service: rest[0], command: rest.slice(1) };
  return { service: defaultRunService(config), command: [...rest] };
}

/** The state lock around one change of the state, and the state's intents for one-off tasks. */
export function deployedFor(d: Deployment, io: Io, note: (line: string) => void): Deployed {
  return {
    aws: d.session.aws,
    store: d.store,
    state: d.state,
    clock: systemClock,
    signal: io.signal,
    note,
    locked: async (fn) => {
      const lock = await d.store.lock(lockCommandOf(io), () => systemClock.now());
      try {
        const s = await d.store.load(d.loaded.config.app, systemClock.now());
        const out = await fn(s);
        await d.store.save(s, systemClock.now());
        return out;
      } finally {
        await lock.release();
      }
    },
  };
}

export interface RunTaskRequest {
  service?: string;
  command: string[];
  taskDefinition: string;
  container: string;
  cluster: string;
  logGroup: string;
  streamPrefix: string;
  net: StepOutputs['network'];
  environment?: Record<string, string>;
  cpu?: number;
  memory?: number;
  detach?: boolean;
  timeoutMs?: number;
  /** What it is, for messages: "web", "db sql". */
  label: string;
  /** Lines of the task go here (stdout by default); secret values show as ****. */
  onLine?: (line: string) => void;
}

/**
 * Starts a one-off task and follows it to the end: its lines as they come,
 * then its exit code. Ctrl-C stops it (asking first in a terminal); a
 * timeout stops it and fails.
 */
export async function runAndFollow(d: Deployment, opts: CommonOptions, io: Io, r: RunTaskRequest): Promise<number> {
  const config = d.loaded.config;
  const note = (line: string) => {
    if (!opts.json) io.stderr.write(`${line}\n`);
  };
  const dep = deployedFor(d, io, note);
  const redact = await appSecretRedactor(d.session, opts.env, false, r.label.split(' ')[0]!);
  const ask: OneOffAsk = {
    cluster: r.cluster,
    taskDefinition: r.taskDefinition,
    container: r.container,
    command: r.command,
    network: r.net,
    ...(r.environment && Object.keys(r.environment).length ? { environment: r.environment } : {}),
    ...(r.cpu ? { cpu: r.cpu } : {}),
    ...(r.memory ? { memory: r.memory } : {}),
    tags: [
      { key: 'deploy-wizard:app', value: config.app },
      { key: 'deploy-wizard:env', value: opts.env },
      { key: 'deploy-wizard:step', value: 'run' },
      ...(await startedByTag(d)),
    ],
  };
  const { taskArn, key, followed } = await startOneOff(dep, ask);
  const id = shortTaskId(taskArn);
  if (r.detach) {
    await forget(dep, key);
    io.stdout.write(`${taskArn}\n`);
    note(
      `started task ${id} (${r.label}); follow it with deploy-wizard logs --since 5m, stop it with aws ecs stop-task --cluster ${r.cluster} --task ${taskArn}`,
    );
    return EXIT.ok;
  }
  if (!followed) note(`started task ${id} (${r.label}, ${r.taskDefinition.split('/').pop()}): ${r.command.join(' ')}`);
  const print = r.onLine ?? ((line: string) => io.stdout.write(`${id} | ${line}\n`));
  const follow = (signal: AbortSignal, timeoutMs?: number) =>
    followTask(dep, {
      cluster: r.cluster,
      taskArn,
      logGroup: r.logGroup,
      stream: `${r.streamPrefix}/${r.container}/${taskArn.split('/').pop()}`,
      onLine: (l) => print(redact.redact(l)),
      signal,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  const end = await follow(io.signal, r.timeoutMs);
  if (end.kind === 'interrupted') {
    let stop = true;
    if (io.isTTY && !opts.nonInteractive) {
      const answer = await clack.confirm({ message: `Stop task ${id}? Otherwise it runs on without you.`, initialValue: true });
      stop = answer !== false;
    }
    if (stop) {
      await stopTask(d.session.aws, r.cluster, taskArn, `deploy-wizard ${r.label}: interrupted (Ctrl-C)`);
      note(`stopped task ${id}`);
    } else note(`task ${id} runs on; see it in deploy-wizard status`);
    await forget(dep, key);
    return EXIT.interrupted;
  }
  if (end.kind === 'timeout') {
    await stopTask(d.session.aws, r.cluster, taskArn, `deploy-wizard ${r.label}: ran past --timeout`);
    const last = await follow(new AbortController().signal);
    await forget(dep, key);
    throw new WizardError(`run: task ${id} ran past --timeout ${Math.round(r.timeoutMs! / 1000)}s and was stopped`, {
      hint: last.kind === 'stopped' ? stoppedWhy(last.task) : undefined,
    });
  }
  await forget(dep, key);
  const exitCode = end.task.containers?.find((c) => c.name === r.container)?.exitCode ?? end.task.containers?.[0]?.exitCode;
  if (exitCode === undefined)
    throw new WizardError(`run: task ${id} stopped without running to the end: ${stoppedWhy(end.task)}`, {
      hint: 'Its log lines, if any, are above. Fix the cause (an image that cannot be pulled, a secret it cannot read), then run again.',
    });
  if (exitCode !== 0) note(`task ${id} exited ${exitCode}${end.task.containers?.[0]?.reason ? ` (${end.task.containers[0].reason})` : ''}`);
  return exitCode;
}

/** `run [SERVICE] [--] CMD...`: a one-off task of a service's current revision; exits with its exit code. */
export async function runCommand(opts: CommonOptions, io: Io, rest: string[]): Promise<number> {
  return withDeployment(opts, io, {}, async (d) => {
    const config = d.loaded.config;
    const { service, command } = splitRunArgs(config, rest);
    const spec = config.services[service];
    if (!spec)
      throw new InputError('run: invalid arguments', [`${service}: not a service of this app; services are ${Object.keys(config.services).join(', ')}`]);
    if (!command.length) throw new InputError('run: invalid arguments', ['name the command to run, e.g. deploy-wizard run web -- rails db:seed']);
    const o = opts.run ?? { env: {}, detach: false };
    const problems: string[] = [];
    if (o.cpu !== undefined || o.memory !== undefined) {
      const p = fargateProblem(o.cpu ?? spec.cpu, o.memory ?? spec.memory);
      if (p) problems.push(`--cpu/--memory: ${p}`);
    }
    const target = await serviceTarget(d, service);
    const secretNames = await secretNamesOf(d.session.aws, target.taskDefinition, target.container);
    for (const k of Object.keys(o.env))
      if (secretNames.has(k)) problems.push(`--env ${k}: a secret of ${service}; change it with deploy-wizard secrets set ${k}, not on the command line`);
    if (problems.length) throw new InputError('run: invalid flags', problems);
    return runAndFollow(d, opts, io, {
      ...target,
      service,
      command,
      environment: o.env,
      ...(o.cpu !== undefined || o.memory !== undefined ? { cpu: o.cpu ?? spec.cpu, memory: o.memory ?? spec.memory } : {}),
      detach: o.detach,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      label: service,
    });
  });
}
