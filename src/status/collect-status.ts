import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, type Deployment, type Service } from '@aws-sdk/client-ecs';
import { GetInstancesHealthStatusCommand } from '@aws-sdk/client-servicediscovery';
import { hasServiceConnect } from '../config/service-connect.js';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../aws/clients.js';
import { unlessNotFound } from '../aws/not-found.js';
import { ecsServiceName, scheduleDlqName, scheduleFamilyName, scheduleName } from '../aws/names.js';
import { deadLetteredRuns } from '../aws/schedule-dlq.js';
import type { Config } from '../config/schema.js';
import { nextRun } from '../config/schedule-expression.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { StateFile } from '../state/state-file.js';
import { databaseStatus, runningOneOffs, type DatabaseRow, type RunRow } from './data-status.js';

// What `status` shows, gathered with read calls only: the state file for what
// the wizard did, and ECS, the load balancer and the clock for what runs now.

export interface StepRow {
  id: string;
  status: string;
  at?: string;
  error?: string;
}

export interface ServiceRow {
  name: string;
  kind: 'web' | 'worker' | 'internal';
  serviceName: string;
  running: number;
  pending: number;
  desired: number;
  /** The primary deployment's rollout: COMPLETED, IN_PROGRESS or FAILED; missing when the service is gone. */
  rollout: string;
  revision?: number;
  /** The revision the last deploy put there, when the service runs another one (a rollback, or a change by hand). */
  deployedRevision?: number;
  /** Set when `rollback` put it there; the next deploy rolls forward. */
  rolledBack?: { from: number; to: number; at: string };
  image?: string;
  targets?: { healthy: number; total: number };
  url?: string;
  /** With Service Connect: the address the other services reach it at, and its endpoints' health as Cloud Map has it. */
  connect?: { address: string; healthy?: number; total?: number };
}

export interface ScheduleRow {
  name: string;
  service: string;
  expression: string;
  timezone: string;
  nextRun?: string;
  /** The latest run ECS still knows of (it keeps stopped tasks about an hour). */
  lastRun?: { at?: string; outcome: 'running' | 'succeeded' | 'failed'; detail?: string };
  /** Runs EventBridge Scheduler could not start after its retries, waiting in the dead-letter queue. */
  deadLettered?: { count: number; error?: string };
}

export interface Status {
  app: string;
  env: string;
  region: string;
  account: string;
  lastDeploy?: { at?: string; outcome: 'done' | 'failed' | 'interrupted'; step?: string; error?: string };
  steps: StepRow[];
  services: ServiceRow[];
  schedules: ScheduleRow[];
  url?: string;
  /** One-off tasks of `run` and `db` still running. */
  runs: RunRow[];
  database?: DatabaseRow;
  /** Empty when everything is healthy; else why not, one line each. */
  problems: string[];
}

const revisionOf = (arn: string | undefined) => (arn ? Number(/:(\d+)$/.exec(arn)?.[1]) : undefined);

function lastDeploy(state: StateFile): Status['lastDeploy'] {
  const steps = Object.entries(state.steps);
  if (!steps.length) return undefined;
  const at = steps
    .map(([, s]) => s.finishedAt ?? s.startedAt)
    .filter((t): t is string => !!t)
    .sort()
    .pop();
  const failed = steps.find(([, s]) => s.status === 'failed');
  if (failed) return { at, outcome: 'failed', step: failed[0], error: failed[1].error?.message };
  const running = steps.find(([, s]) => s.status === 'running');
  if (running) return { at, outcome: 'interrupted', step: running[0] };
  return { at, outcome: 'done' };
}

/** The newest task of a schedule's family: running, or stopped with its container's exit code. */
async function lastRunOf(aws: AwsClients, cluster: string, family: string): Promise<ScheduleRow['lastRun']> {
  const arns: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    const res = await unlessNotFound(aws.ecs.send(new ListTasksCommand({ cluster, family, desiredStatus, maxResults: 10 })), 'ClusterNotFoundException');
    arns.push(...(res?.taskArns ?? []));
  }
  if (!arns.length) return undefined;
  const tasks = (await aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
  const t = tasks.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
  if (!t) return undefined;
  const at = (t.startedAt ?? t.createdAt)?.toISOString();
  if (t.lastStatus !== 'STOPPED') return { at, outcome: 'running' };
  const exit = t.containers?.find((c) => c.exitCode !== undefined)?.exitCode;
  if (exit === 0) return { at, outcome: 'succeeded' };
  return { at, outcome: 'failed', detail: exit !== undefined ? `exit code ${exit}` : (t.stoppedReason ?? 'stopped') };
}

async function describeAll(aws: AwsClients, cluster: string, names: string[]): Promise<Service[]> {
  const out: Service[] = [];
  // DescribeServices takes ten names a call.
  for (let i = 0; i < names.length; i += 10) {
    const res = await unlessNotFound(aws.ecs.send(new DescribeServicesCommand({ cluster, services: names.slice(i, i + 10) })), 'ClusterNotFoundException');
    out.push(...(res?.services ?? []).filter((s) => s.status === 'ACTIVE'));
  }
  return out;
}

/**
 * The health of the endpoints ECS registered for a service's Service Connect name: the Cloud Map service its primary
 * deployment names (serviceConnectResources), and the health of each instance in it. Nothing when ECS names none
 * yet (or an emulator never does).
 */
async function connectHealth(aws: AwsClients, primary: Deployment | undefined): Promise<{ healthy?: number; total?: number }> {
  const arn = primary?.serviceConnectResources?.find((r) => r.discoveryArn)?.discoveryArn;
  if (!arn) return {};
  const id = arn.split('/').pop();
  const res = await aws.serviceDiscovery.send(new GetInstancesHealthStatusCommand({ ServiceId: id })).catch(() => undefined);
  if (!res) return {};
  const all = Object.values(res.Status ?? {});
  return { healthy: all.filter((h) => h === 'HEALTHY').length, total: all.length };
}

/** checkTargets is false when DEPLOY_WIZARD_HEALTH_URL bypasses the load balancer (emulators register no targets). */
export async function collectStatus(o: {
  aws: AwsClients;
  config: Config;
  state: StateFile;
  region: string;
  account: string;
  now: Date;
  checkTargets: boolean;
}): Promise<Status> {
  const { aws, config, state } = o;
  const ctx = { app: config.app, env: state.env };
  const output = <K extends keyof StepOutputs>(id: K) => state.steps[id]?.outputs as StepOutputs[K] | undefined;
  const svcOut = output('service');
  const tdOut = output('task-definition');
  const images = output('ecr-push')?.images ?? {};
  const problems: string[] = [];

  const last = lastDeploy(state);
  if (!last) problems.push(`not deployed yet: run deploy-wizard deploy --env ${state.env}`);
  else if (last.outcome === 'failed') problems.push(`the last deploy failed at ${last.step}${last.error ? `: ${last.error}` : ''}; run deploy again to resume`);
  else if (last.outcome === 'interrupted') problems.push(`the last deploy stopped during ${last.step}; run deploy again to resume`);

  const specs = Object.values(config.services);
  const cluster = svcOut?.clusterName ?? `${config.app}-${state.env}`;
  const live = svcOut
    ? await describeAll(
        aws,
        cluster,
        specs.map((s) => svcOut.services[s.name]?.serviceName ?? ecsServiceName(ctx, s.name)),
      )
    : [];
  const base = config.domain ? `https://${config.domain.name}` : (output('site')?.url ?? output('load-balancer')?.url);
  const services: ServiceRow[] = [];
  for (const s of specs) {
    const rec = svcOut?.services[s.name];
    const serviceName = rec?.serviceName ?? ecsServiceName(ctx, s.name);
    const svc = live.find((x) => x.serviceName === serviceName);
    const primary = svc?.deployments?.find((d) => d.status === 'PRIMARY');
    const row: ServiceRow = {
      name: s.name,
      kind: s.kind,
      serviceName,
      running: svc?.runningCount ?? 0,
      pending: Math.max(0, svc?.pendingCount ?? 0),
      desired: svc?.desiredCount ?? 0,
      rollout: svc ? (primary?.rolloutState ?? 'unknown') : 'missing',
      revision: revisionOf(svc?.taskDefinition),
      image: images[s.image]?.imageTag,
    };
    const deployed = revisionOf(tdOut?.services[s.name]?.taskDefinitionArn);
    if (deployed !== undefined && row.revision !== undefined && deployed !== row.revision) row.deployedRevision = deployed;
    const rb = state.rollbacks?.[s.name];
    if (rb && row.revision === rb.to) row.rolledBack = { from: rb.from, to: rb.to, at: rb.at };
    if (s.kind === 'web' && base) row.url = `${base}${s.routes.find((r) => r !== '/*')?.replace(/\*.*$/, '') ?? '/'}`;
    if (hasServiceConnect(config) && s.port !== undefined) {
      row.connect = { address: `http://${s.name}:${s.port}`, ...(await connectHealth(aws, primary)) };
      if (row.connect.total !== undefined && row.desired > 0 && !row.connect.healthy)
        problems.push(`${s.name}: no healthy Service Connect endpoint at ${row.connect.address} (${row.connect.total} registered)`);
    }
    if (rec?.targetGroupArn && o.checkTargets) {
      const t = (await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: rec.targetGroupArn }))).TargetHealthDescriptions ?? [];
      row.targets = { healthy: t.filter((x) => x.TargetHealth?.State === 'healthy').length, total: t.length };
    }
    if (last && !svc) problems.push(`${s.name}: no ECS service ${serviceName} in cluster ${cluster}`);
    else if (svc) {
      if (row.rollout === 'FAILED') problems.push(`${s.name}: its last rollout failed (${primary?.rolloutStateReason ?? 'see the service events'})`);
      if (row.running < row.desired) problems.push(`${s.name}: ${row.running} of ${row.desired} tasks running`);
      if (row.targets && row.targets.healthy === 0) problems.push(`${s.name}: no healthy target behind the load balancer (${row.targets.total} registered)`);
    }
    services.push(row);
  }

  const schedOut = output('schedules')?.schedules ?? {};
  const names = Object.keys(config.schedules);
  const dead =
    names.length && output('schedules')?.deadLetterQueueArn ? await deadLetteredRuns(aws.sqs, { ...ctx, account: o.account, region: o.region }) : undefined;
  const schedules: ScheduleRow[] = [];
  for (const [name, sch] of Object.entries(config.schedules)) {
    const expression = schedOut[name]?.expression ?? sch.cron ?? '';
    const timezone = schedOut[name]?.timezone ?? sch.timezone;
    const next = expression ? nextRun(expression, timezone, o.now) : undefined;
    const row: ScheduleRow = { name, service: sch.service, expression, timezone, ...(next ? { nextRun: next.toISOString() } : {}) };
    if (svcOut) {
      const lastRun = await lastRunOf(aws, cluster, scheduleFamilyName(ctx, name));
      if (lastRun) row.lastRun = lastRun;
      if (lastRun?.outcome === 'failed')
        problems.push(`schedule ${name}: its last run failed${lastRun.detail ? ` (${lastRun.detail})` : ''}; see deploy-wizard logs --task ${name}`);
    }
    const d = dead?.bySchedule[scheduleName(ctx, name)];
    if (d) {
      row.deadLettered = d;
      problems.push(`schedule ${name}: ${d.count} run(s) could not start${d.error ? ` (${d.error})` : ''}; they wait in the SQS queue ${scheduleDlqName(ctx)}`);
    }
    schedules.push(row);
  }
  // Dead letters the peek could not put to a schedule still count.
  const placed = Object.values(dead?.bySchedule ?? {}).reduce((n, d) => n + d.count, 0);
  if (dead && dead.total > placed && !placed)
    problems.push(`${dead.total} scheduled run(s) could not start; they wait in the SQS queue ${scheduleDlqName(ctx)}`);

  const rdsOut = output('rds');
  const runs = svcOut || tdOut ? await runningOneOffs(aws, cluster) : [];
  const database = rdsOut ? await databaseStatus(aws, o.region, config.app, state.env, rdsOut) : undefined;
  return {
    app: config.app,
    env: state.env,
    region: o.region,
    account: o.account,
    ...(last ? { lastDeploy: last } : {}),
    steps: Object.entries(state.steps).map(([id, s]) => ({
      id,
      status: s.status,
      ...(s.finishedAt ? { at: s.finishedAt } : {}),
      ...(s.error ? { error: s.error.message } : {}),
    })),
    services,
    schedules,
    ...(base ? { url: base } : {}),
    runs,
    ...(database ? { database } : {}),
    problems,
  };
}
