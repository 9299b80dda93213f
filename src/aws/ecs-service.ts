import { randomUUID } from 'node:crypto';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type ServiceConnectConfiguration,
} from '@aws-sdk/client-ecs';
import type { StepContext } from '../pipeline/context.js';
import type { StepOutputs } from '../pipeline/step.js';
import { capacityStrategy, ON_DEMAND_ONLY, strategyKey } from './capacity-strategy.js';
import type { ServiceSpec } from '../config/schema.js';
import { StepError } from '../errors.js';
import { waitFor } from '../wait.js';
import { serviceDescriber } from './service-describer.js';
import { canonicalJson } from '../canonical-json.js';
import { retryIamPropagation } from './retry-iam-propagation.js';
import { awsvpc, diagnoseService, ecsOwned, ecsTags } from './ecs-helpers.js';
import { unlessNotFound } from './not-found.js';
import { notOurs } from './load-balancer.js';

type NetworkOutput = StepOutputs['network'];
type ServiceTd = StepOutputs['task-definition']['services'][string];

const ROLLOUT_DEADLINE_MS = 30 * 60_000;
export const SERVICE_TAG = 'deploy-wizard:service';

export async function findService(ctx: StepContext, cluster: string, name: string): Promise<Service | undefined> {
  const res = await unlessNotFound(ctx.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] })), 'ClusterNotFoundException');
  return res?.services?.find((s) => s.status === 'ACTIVE');
}

// Some emulators do not echo the grace period back; AWS always does for a service behind a load balancer.
const graceChanged = (svc: Service, want: number) => svc.healthCheckGracePeriodSeconds !== undefined && svc.healthCheckGracePeriodSeconds !== want;

/** Subnets, groups and public IP, order-insensitive: what UpdateService must change when they differ. */
function networkKey(n: { awsvpcConfiguration?: { subnets?: string[]; securityGroups?: string[]; assignPublicIp?: string } } | undefined): string {
  const a = n?.awsvpcConfiguration;
  return canonicalJson({ subnets: [...(a?.subnets ?? [])].sort(), groups: [...(a?.securityGroups ?? [])].sort(), ip: a?.assignPublicIp ?? 'DISABLED' });
}

const lbKey = (lbs: { targetGroupArn?: string; containerName?: string; containerPort?: number }[] | undefined) =>
  canonicalJson((lbs ?? []).map((l) => ({ tg: l.targetGroupArn, c: l.containerName, p: l.containerPort })));

function deploymentConfiguration() {
  return { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 };
}

export interface EnsureServiceInput {
  spec: ServiceSpec;
  name: string;
  cluster: string;
  net: NetworkOutput;
  td: ServiceTd;
  targetGroupArn?: string;
  /** Start new tasks even when nothing else changed: a secret they read has a new value. */
  forceNewDeployment?: boolean;
  /** enableExecuteCommand as the last run sent it: moto does not echo it back (AWS does), so the state says. */
  execBefore?: boolean;
  /** The capacity provider strategy the last run sent (strategyKey), for the same reason. */
  capacityBefore?: string;
  /** Its Service Connect configuration (src/config/service-connect.ts); absent when the app has no internal service. */
  serviceConnect?: ServiceConnectConfiguration;
  /**
   * The Service Connect configuration the last run sent (serviceConnectKey): ECS reports it only on deployments,
   * and moto not at all, so the state says what the service has.
   */
  serviceConnectBefore?: string;
}

/** A Service Connect configuration as a comparable key; "off" for none. */
export const serviceConnectKey = (c: ServiceConnectConfiguration | undefined) => (c?.enabled ? canonicalJson(c) : 'off');

/**
 * The strategy a service should have: its `capacity`'s; none (the Fargate launch type) when it has no `capacity`
 * and runs on the launch type; all on-demand when it has no `capacity` but runs with a strategy (ECS does not move a
 * Fargate-capacity-provider service back to the launch type; on-demand FARGATE is the same price and place).
 */
export function wantedStrategy(s: ServiceSpec, currentKey: string | undefined) {
  if (s.capacity) return capacityStrategy(s.capacity);
  return currentKey ? ON_DEMAND_ONLY : undefined;
}

/** The strategy a service has now, as a key: AWS says; moto does not, so what the last run sent. */
export const currentStrategyKey = (existing: Service, before: string | undefined) =>
  existing.capacityProviderStrategy?.length ? strategyKey(existing.capacityProviderStrategy) : before || undefined;

/**
 * Creates or converges one ECS service. With autoscaling the count is only
 * set at creation: afterwards Application Auto Scaling owns it.
 */
export async function ensureService(ctx: StepContext, o: EnsureServiceInput): Promise<Service> {
  const s = o.spec;
  const existing = await findService(ctx, o.cluster, o.name);
  if (existing && !ecsOwned(ctx, existing.tags)) throw notOurs('ECS service', o.name, ctx);
  const loadBalancers = o.targetGroupArn ? [{ targetGroupArn: o.targetGroupArn, containerName: o.td.containerName, containerPort: s.port! }] : [];
  const grace = o.targetGroupArn ? { healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds } : {};
  if (!existing) {
    const intent = `ecs-service:${s.name}`;
    // The single service of earlier versions recorded its token under "ecs-service".
    const token = String(
      ctx.intents.get(intent)?.clientRequestToken ?? (s.name === 'web' ? ctx.intents.get('ecs-service')?.clientRequestToken : undefined) ?? randomUUID(),
    );
    await ctx.intents.record(intent, { service: o.name, clientRequestToken: token });
    ctx.log.info(`creating ECS service ${o.name} (${s.desiredCount} task${s.desiredCount === 1 ? '' : 's'}${o.targetGroupArn ? '' : ', worker'})`);
    const res = await retryIamPropagation(
      () =>
        ctx.aws.ecs.send(
          new CreateServiceCommand({
            cluster: o.cluster,
            serviceName: o.name,
            taskDefinition: o.td.taskDefinitionArn,
            desiredCount: s.desiredCount,
            ...(s.capacity ? { capacityProviderStrategy: capacityStrategy(s.capacity) } : { launchType: 'FARGATE' }),
            networkConfiguration: awsvpc(o.net),
            ...(loadBalancers.length ? { loadBalancers } : {}),
            ...grace,
            deploymentConfiguration: deploymentConfiguration(),
            clientToken: token,
            propagateTags: 'SERVICE',
            enableECSManagedTags: true,
            ...(s.exec ? { enableExecuteCommand: true } : {}),
            ...(o.serviceConnect ? { serviceConnectConfiguration: o.serviceConnect } : {}),
            tags: [...ecsTags(ctx, 'service'), { key: SERVICE_TAG, value: s.name }],
          }),
        ),
      { clock: ctx.clock, signal: ctx.signal, onRetry: (m) => ctx.log.info(m) },
    );
    return res.service!;
  }
  const networkChanged = networkKey(existing.networkConfiguration) !== networkKey(awsvpc(o.net));
  const lbChanged = lbKey(existing.loadBalancers) !== lbKey(loadBalancers);
  // With autoscaling the scaler owns the count; without, the config does.
  const countChanged = !s.autoscaling && existing.desiredCount !== s.desiredCount;
  // ECS Exec reaches only tasks started with it: a change rolls the service (UpdateService's enableExecuteCommand).
  const execChanged = (existing.enableExecuteCommand ?? o.execBefore ?? false) !== !!s.exec;
  const haveStrategy = currentStrategyKey(existing, o.capacityBefore);
  const strategy = wantedStrategy(s, haveStrategy);
  // A new strategy reaches the tasks only through a new deployment (UpdateService's capacityProviderStrategy).
  const strategyChanged = strategy !== undefined && strategyKey(strategy) !== haveStrategy;
  // Service Connect reaches only tasks started with it: a change is a new deployment.
  const connectChanged = serviceConnectKey(o.serviceConnect) !== (o.serviceConnectBefore ?? 'off');
  if (
    existing.taskDefinition !== o.td.taskDefinitionArn ||
    o.forceNewDeployment ||
    execChanged ||
    strategyChanged ||
    connectChanged ||
    countChanged ||
    networkChanged ||
    lbChanged ||
    (o.targetGroupArn && graceChanged(existing, s.healthCheckGracePeriodSeconds))
  ) {
    ctx.log.info(
      `updating service ${o.name} to ${o.td.family}:${o.td.revision}${countChanged ? `, ${s.desiredCount} task(s)` : ''}${networkChanged ? ', new subnets or security groups' : ''}${lbChanged ? (o.targetGroupArn ? ', behind the load balancer' : ', off the load balancer (worker)') : ''}`,
    );
    const res = await retryIamPropagation(
      () =>
        ctx.aws.ecs.send(
          new UpdateServiceCommand({
            cluster: o.cluster,
            service: o.name,
            taskDefinition: o.td.taskDefinitionArn,
            ...(s.autoscaling ? {} : { desiredCount: s.desiredCount }),
            deploymentConfiguration: deploymentConfiguration(),
            ...grace,
            networkConfiguration: awsvpc(o.net),
            // Only sent when it changes: an empty list takes the service off the load balancer.
            ...(lbChanged ? { loadBalancers } : {}),
            ...(execChanged ? { enableExecuteCommand: !!s.exec } : {}),
            ...(strategyChanged ? { capacityProviderStrategy: strategy } : {}),
            // Turning it off is enabled: false (the field left out keeps what the service has).
            ...(connectChanged ? { serviceConnectConfiguration: o.serviceConnect ?? { enabled: false } } : {}),
            ...(o.forceNewDeployment || execChanged || strategyChanged || connectChanged ? { forceNewDeployment: true } : {}),
          }),
        ),
      { clock: ctx.clock, signal: ctx.signal, onRetry: (m) => ctx.log.info(m) },
    );
    return res.service!;
  }
  return existing;
}

/**
 * Polls the service itself until the primary deployment's rollout is
 * COMPLETED or FAILED. (The SDK's services-stable waiter never notices a
 * FAILED rollout: the circuit breaker rolls back and the service looks stable.)
 */
export async function waitForRollout(
  ctx: StepContext,
  o: { cluster: string; name: string; label: string; td: ServiceTd; logGroup: string; describe?: (name: string) => Promise<Service | undefined> },
): Promise<void> {
  const describe = o.describe ?? serviceDescriber(ctx.aws.ecs, o.cluster);
  const seen = new Set<string>();
  let first = true;
  await waitFor({
    stepId: 'service',
    what: `service ${o.label}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: ROLLOUT_DEADLINE_MS,
    // Services share their polls (serviceDescriber), so a short floor costs two calls a second however many roll out,
    // and only for the first ten seconds (then polls are 5% of the elapsed time apart); a short rollout is seen within half a second.
    firstDelayMs: 500,
    maxDelayMs: 15_000,
    onStatus: (l) => ctx.log.info(`${o.label}: ${l}`),
    timeoutHint: 'The rollout is still going. Run the same command again to keep waiting, or check the service events in the ECS console.',
    // New tasks pass two health checks 15 s apart after the grace period, then old ones drain for 60 s.
    typical: '2-5 min',
    poll: async () => {
      const svc = await describe(o.name);
      for (const e of [...(svc?.events ?? [])].reverse()) {
        if (e.id && !seen.has(e.id)) {
          seen.add(e.id);
          if (!first) ctx.log.info(`${o.label} event: ${e.message}`);
        }
      }
      first = false;
      const primary = svc?.deployments?.find((d) => d.status === 'PRIMARY');
      const state = primary?.rolloutState ?? 'IN_PROGRESS';
      const status = `rollout ${state.toLowerCase()}, ${svc?.runningCount ?? 0}/${svc?.desiredCount ?? 0} running`;
      if (state === 'FAILED') return { done: false, status, fatal: `rollout FAILED: ${primary?.rolloutStateReason ?? 'no reason given'}` };
      return { done: state === 'COMPLETED', status };
    },
  }).catch(async (e) => {
    if (!(e instanceof StepError)) throw e;
    const diagnosis = await diagnoseService(ctx, {
      cluster: o.cluster,
      service: o.name,
      logGroup: o.logGroup,
      streamPrefix: o.td.streamPrefix,
      container: o.td.containerName,
    }).catch(() => []);
    throw new StepError('service', e.message, { hint: [...diagnosis, '', e.hint ?? ''].join('\n').trim() });
  });
}

/** ECS services in the cluster that carry this app's tags. */
export async function ownedServices(ctx: StepContext, cluster: string): Promise<Service[]> {
  return (await activeServices(ctx, cluster)).filter((s) => ecsOwned(ctx, s.tags));
}

/** Every ACTIVE service in the cluster, with its tags: one listing and a DescribeServices per ten. */
export async function activeServices(ctx: StepContext, cluster: string): Promise<Service[]> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const res = await unlessNotFound(ctx.aws.ecs.send(new ListServicesCommand({ cluster, nextToken: token })), 'ClusterNotFoundException');
    arns.push(...(res?.serviceArns ?? []));
    token = res?.nextToken;
  } while (token);
  const out: Service[] = [];
  for (let i = 0; i < arns.length; i += 10) {
    const res = await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10), include: ['TAGS'] }));
    out.push(...(res.services ?? []).filter((s) => s.status === 'ACTIVE'));
  }
  return out;
}

/** The config name a running service was deployed as: its tag, or "web" for the single service of earlier versions. */
export const configNameOf = (ctx: StepContext, svc: Service) =>
  svc.tags?.find((t) => t.key === SERVICE_TAG)?.value ?? (svc.serviceName === ctx.app ? 'web' : svc.serviceName!);

/** Scales to zero and deletes the service; ECS drains its tasks. */
export async function removeService(ctx: StepContext, cluster: string, svc: Service): Promise<void> {
  ctx.log.info(`removing ECS service ${svc.serviceName} (no longer in the config)`);
  if ((svc.desiredCount ?? 0) > 0) await ctx.aws.ecs.send(new UpdateServiceCommand({ cluster, service: svc.serviceName, desiredCount: 0 }));
  await ctx.aws.ecs.send(new DeleteServiceCommand({ cluster, service: svc.serviceName, force: true }));
}

/** Deregisters every active revision of a family this app registered (only ever called for a removed service's family). */
export async function deregisterFamily(ctx: StepContext, family: string): Promise<number> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const res = await ctx.aws.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', nextToken: token }));
    // familyPrefix matches prefixes: keep exactly this family.
    arns.push(...(res.taskDefinitionArns ?? []).filter((a) => a.split('/').pop()!.replace(/:\d+$/, '') === family));
    token = res.nextToken;
  } while (token);
  if (!arns.length) return 0;
  const latest = await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arns[arns.length - 1], include: ['TAGS'] }));
  if (!ecsOwned(ctx, latest.tags)) return 0;
  for (const arn of arns) await ctx.aws.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
  return arns.length;
}

/** The task definition ARN the ACTIVE service of this name runs, or undefined when there is none. */
export async function activeTaskDefinition(ecs: ECSClient, cluster: string, service: string): Promise<string | undefined> {
  const live = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return live.services?.find((s) => s.status === 'ACTIVE')?.taskDefinition;
}

/** Puts the service on this task definition revision; ECS then rolls its tasks (with the circuit breaker the service has). */
export async function pointServiceAt(ecs: ECSClient, cluster: string, service: string, taskDefinition: string, abortSignal?: AbortSignal): Promise<void> {
  await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition }), { abortSignal });
}
