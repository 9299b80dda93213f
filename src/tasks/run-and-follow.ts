import * as clack from '@clack/prompts';
import { WizardError, EXIT } from '../errors.js';
import { systemClock } from '../clock.js';
import { lockCommandOf } from '../state/open-state.js';
import { appSecretRedactor } from '../logs/app-secret-redactor.js';
import { followTask, forget, shortTaskId, startOneOff, stopTask, stoppedWhy, type Deployed, type OneOffAsk } from './one-off.js';
import { startedByTag } from './service-target.js';
import type { Deployment } from '../with-deployment.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { CommonOptions, Io } from '../options.js';

/** The state lock around one change of the state, and the state's intents for one-off tasks. */
export function deployedFor(d: Deployment, io: Io, note: (line: string) => void): Deployed {
  return {
    aws: d.session.aws,
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
