import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DescribeTasksCommand, ExecuteCommandCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../aws/clients.js';
import { WizardError } from '../errors.js';

export interface ExecTarget {
  taskArn: string;
  container: string;
  /** The container's runtime id: Session Manager's target is ecs:<cluster>_<task id>_<runtime id>. */
  runtimeId?: string;
}

/** A running task of the service that was started with ECS Exec on, and its container. */
export async function findExecTask(aws: Pick<AwsClients, 'ecs'>, cluster: string, serviceName: string, container: string): Promise<ExecTarget> {
  const arns = (await aws.ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  const tasks = arns.length ? ((await aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(0, 100) }))).tasks ?? []) : [];
  const running = tasks.filter((t) => t.lastStatus === 'RUNNING');
  if (!running.length)
    throw new WizardError(`exec: ${serviceName} has no running task`, { hint: 'Run deploy-wizard status to see why; exec needs a task that runs.' });
  // moto leaves enableExecuteCommand out of tasks; AWS always says it.
  const enabled = running.filter((t) => t.enableExecuteCommand !== false);
  if (!enabled.length)
    throw new WizardError(`exec: the running tasks of ${serviceName} were started before ECS Exec was turned on`, {
      hint: 'Run deploy-wizard deploy: it rolls the service so its new tasks have ECS Exec.',
    });
  const t = enabled[0]!;
  const c = t.containers?.find((x) => x.name === container) ?? t.containers?.[0];
  return { taskArn: t.taskArn!, container: c?.name ?? container, ...(c?.runtimeId ? { runtimeId: c.runtimeId } : {}) };
}

/** AWS's Session Manager plugin on PATH, if installed. */
export function sessionManagerPlugin(path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, process.platform === 'win32' ? 'session-manager-plugin.exe' : 'session-manager-plugin');
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The one line to run by hand: what the AWS CLI does with the plugin. */
export function execCommandLine(region: string, cluster: string, t: ExecTarget, command: string[]): string {
  const quoted = command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return `aws ecs execute-command --region ${region} --cluster ${cluster} --task ${t.taskArn} --container ${t.container} --interactive --command "${quoted.replace(/"/g, '\\"')}"`;
}

/**
 * Starts the session the way the AWS CLI does: ExecuteCommand returns a
 * Session Manager session, which the plugin opens (its arguments: the
 * session, the region, StartSession, a profile, the target, the endpoint).
 */
export async function openExecSession(
  aws: Pick<AwsClients, 'ecs'>,
  o: { plugin: string; region: string; cluster: string; target: ExecTarget; command: string[]; profile?: string },
): Promise<number> {
  const res = await aws.ecs.send(
    new ExecuteCommandCommand({ cluster: o.cluster, task: o.target.taskArn, container: o.target.container, interactive: true, command: o.command.join(' ') }),
  );
  const session = res.session!;
  const taskId = o.target.taskArn.split('/').pop();
  const target = { Target: `ecs:${o.cluster}_${taskId}_${o.target.runtimeId ?? ''}` };
  const endpoint = `https://ecs.${o.region}.amazonaws.com`;
  const child = spawn(
    o.plugin,
    [
      JSON.stringify({ SessionId: session.sessionId, StreamUrl: session.streamUrl, TokenValue: session.tokenValue }),
      o.region,
      'StartSession',
      o.profile ?? '',
      JSON.stringify(target),
      endpoint,
    ],
    { stdio: 'inherit' },
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
