import { DescribeServicesCommand, type Service } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../aws/clients.js';
import { unlessNotFound } from '../aws/not-found.js';
import { ecsServiceName } from '../aws/names.js';
import type { Config } from '../config/schema.js';
import { nextRun } from '../config/schedule-expression.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { StateFile } from '../state/state-file.js';

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
  kind: 'web' | 'worker';
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
}

export interface ScheduleRow {
  name: string;
  service: string;
  expression: string;
  timezone: string;
  nextRun?: string;
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

async function describeAll(aws: AwsClients, cluster: string, names: string[]): Promise<Service[]> {
  const out: Service[] = [];
  // DescribeServices takes ten names a call.
  for (let i = 0; i < names.length; i += 10) {
    const res = await unlessNotFound(aws.ecs.send(new DescribeServicesCommand({ cluster, services: names.slice(i, i + 10) })), 'ClusterNotFoundException');
    out.push(...(res?.services ?? []).filter((s) => s.status === 'ACTIVE'));
  }
  return out;
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
  const schedules: ScheduleRow[] = Object.entries(config.schedules).map(([name, sch]) => {
    const expression = schedOut[name]?.expression ?? sch.cron ?? '';
    const timezone = schedOut[name]?.timezone ?? sch.timezone;
    const next = expression ? nextRun(expression, timezone, o.now) : undefined;
    return { name, service: sch.service, expression, timezone, ...(next ? { nextRun: next.toISOString() } : {}) };
  });

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
    problems,
  };
}
