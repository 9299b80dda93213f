import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../aws/clients.js';
import { unlessNotFound } from '../aws/not-found.js';
import { findCluster, findInstance } from '../aws/rds-instance.js';
import { auroraMonthly, rdsMonthly } from '../pricing.js';
import { RUN_STARTED_BY } from '../tasks/one-off.js';
import { listSnapshots } from '../tasks/db-snapshots.js';
import type { StepOutputs } from '../pipeline/step.js';

export interface RunRow {
  taskId: string;
  command: string;
  startedAt?: string;
  /** Who started it: the caller's ARN `run` tagged it with. */
  by?: string;
  status: string;
}

export interface DatabaseRow {
  identifier: string;
  latestManual?: { id: string; at?: string };
  latestAutomated?: { id: string; at?: string };
  /** Instances a restore moved the app away from, still there (and billed). */
  kept: { identifier: string; monthlyUsd: number }[];
}

/** One-off tasks `run` and `db` started that are still running. */
export async function runningOneOffs(aws: Pick<AwsClients, 'ecs'>, cluster: string): Promise<RunRow[]> {
  const arns =
    (await unlessNotFound(aws.ecs.send(new ListTasksCommand({ cluster, startedBy: RUN_STARTED_BY, desiredStatus: 'RUNNING' })), 'ClusterNotFoundException'))
      ?.taskArns ?? [];
  if (!arns.length) return [];
  const tasks = (await aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(0, 100), include: ['TAGS'] }))).tasks ?? [];
  return tasks
    .filter((t) => t.lastStatus !== 'STOPPED')
    .map((t) => ({
      taskId: t.taskArn!.split('/').pop()!,
      command: (t.overrides?.containerOverrides?.[0]?.command ?? []).join(' '),
      status: t.lastStatus ?? 'unknown',
      ...(t.startedAt ? { startedAt: t.startedAt.toISOString() } : {}),
      ...(t.tags?.find((x) => x.key === 'deploy-wizard:run-by')?.value ? { by: t.tags.find((x) => x.key === 'deploy-wizard:run-by')!.value } : {}),
    }));
}

/** The database's newest manual and automated snapshots, and what a restore left behind and costs. */
export async function databaseStatus(aws: Pick<AwsClients, 'rds'>, region: string, app: string, env: string, rds: StepOutputs['rds']): Promise<DatabaseRow> {
  const snaps = await listSnapshots(aws, rds, [rds.identifier]);
  const latest = (kind: 'manual' | 'automated') => {
    const s = snaps.find((x) => x.kind === kind);
    return s ? { id: s.id, ...(s.createdAt ? { at: s.createdAt.toISOString() } : {}) } : undefined;
  };
  const kept: DatabaseRow['kept'] = [];
  for (const id of rds.kept ?? []) {
    if (rds.engine === 'aurora-postgresql') {
      // A kept cluster is billed for its instances (at least their minimum ACUs) until forget-old deletes it.
      const c = await findCluster({ aws, app, env }, id);
      if (c)
        kept.push({
          identifier: id,
          monthlyUsd: Math.round(auroraMonthly(region, (c.ServerlessV2ScalingConfiguration?.MinCapacity ?? 0.5) * (c.DBClusterMembers?.length || 1)) ?? 0),
        });
      continue;
    }
    const i = await findInstance({ aws, app, env }, id);
    if (i) kept.push({ identifier: id, monthlyUsd: Math.round(rdsMonthly(region, i.DBInstanceClass ?? '', i.AllocatedStorage ?? 0) ?? 0) });
  }
  const manual = latest('manual');
  const automated = latest('automated');
  return { identifier: rds.identifier, ...(manual ? { latestManual: manual } : {}), ...(automated ? { latestAutomated: automated } : {}), kept };
}
