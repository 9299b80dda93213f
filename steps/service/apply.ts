import { keysFor, secretVersion } from '../../src/secrets/secret-version.js';
import { strategyKey } from '../../src/aws/capacity-strategy.js';
import { ensureFargateProviders } from '../../src/aws/fargate-providers.js';
import { fieldChanges } from '../../src/ui/field-change.js';
import { hasAppSecret } from '../../src/config/features.js';
import { hasServiceConnect, serviceConnectConfiguration } from '../../src/config/service-connect.js';
import type { Service } from '@aws-sdk/client-ecs';
import type { TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import type { StepContext } from '../../src/pipeline/context.js';
import { lbBehindCdn } from '../../src/config/features.js';
import type { ServiceSpec } from '../../src/config/schema.js';
import { StepError } from '../../src/errors.js';
import { awsvpc, ecsOwned, ensureCluster } from '../../src/aws/ecs-helpers.js';
import { ecsServiceName, familyName, targetGroupName, clusterName } from '../../src/aws/names.js';
import { deleteTargetGroup, recordedTargetGroups, staleTargetGroups } from '../../src/aws/load-balancer.js';
import { loadBalancerOf } from '../../src/aws/load-balancer.js';
import {
  activeServices,
  configNameOf,
  currentStrategyKey,
  wantedStrategy,
  deregisterFamily,
  ensureService,
  findService,
  serviceConnectKey,
  ownedServices,
  removeService,
  waitForRollout,
} from '../../src/aws/ecs-service.js';
import { ensureAutoscaling, removeAutoscaling } from '../../src/aws/autoscaling.js';
import { serviceDescriber } from '../../src/aws/service-describer.js';
import type { Check, PlanItem } from '../../src/pipeline/step.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface RunningService {
  kind: 'web' | 'worker' | 'internal';
  serviceName: string;
  serviceArn: string;
  taskDefinitionArn: string;
  /** Web services only. */
  targetGroupArn?: string;
  routes?: string[];
  /** As ECS reported them when the rollout completed. */
  runningCount: number;
  desiredCount: number;
  autoscaling?: { min: number; max: number };
  /** Which values of the app secret its tasks were started with (see secretVersion); absent before it was recorded. */
  secretVersion?: string;
  /** ECS Exec was turned on for it (enableExecuteCommand). */
  exec?: boolean;
  /** The capacity provider strategy it runs with (strategyKey), when it has one instead of the launch type. */
  capacity?: string;
  /** The Service Connect configuration it runs with (serviceConnectKey), when the app has internal services. */
  serviceConnect?: string;
}

export interface ServiceOutput {
  clusterName: string;
  /** By config name. The load balancer in front of the web ones is the load-balancer step's. */
  services: Record<string, RunningService>;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    service: ServiceOutput;
  }
}

const specs = (ctx: StepContext) => Object.values(ctx.config.services);

/** A service's Service Connect configuration, when the app has internal services. */
const connectOf = (ctx: StepContext, s: ServiceSpec) =>
  hasServiceConnect(ctx.config) ? serviceConnectConfiguration(ctx.config, s, ctx.output('service-connect').namespaceArn) : undefined;
const webSpecs = (ctx: StepContext) => specs(ctx).filter((s) => s.kind === 'web');

interface Removals {
  services: Service[];
  targetGroups: TargetGroup[];
}

/**
 * What this app runs in AWS that the config no longer has: services (and
 * their target groups) that were removed or became workers. Once the
 * load-balancer step has dropped their routes the load balancer no longer
 * lists those target groups, so in apply they come from its record of them.
 */
async function removals(ctx: StepContext, afterRoutes = false): Promise<Removals> {
  const wanted = specs(ctx).map((s) => ecsServiceName(ctx, s.name));
  const services = (await ownedServices(ctx, clusterName(ctx))).filter((s) => !wanted.includes(s.serviceName!));
  const keep = webSpecs(ctx).map((s) => targetGroupName(ctx, s.name));
  // With no web service left the load balancer goes whole after the pipeline (src/pipeline/removed-steps.ts),
  // its target groups with it: its listener still forwards to one, so deleting them here would fail.
  if (!keep.length) return { services, targetGroups: [] };
  const lb = afterRoutes ? loadBalancerOf(ctx) : undefined;
  const targetGroups = lb
    ? await recordedTargetGroups(
        ctx,
        lb.retiredTargetGroups.filter((r) => !keep.includes(r.name)),
      )
    : await staleTargetGroups(ctx, keep);
  return { services, targetGroups };
}

function removalRefused(names: string[]): StepError {
  return new StepError('service', `remove services: ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} no longer in the config and would be deleted`, {
    hint: 'Run interactively to confirm, or pass --yes to delete them; or put them back in services to keep them.',
  });
}

function describeService(s: ServiceSpec, image: string): string {
  const size = `${s.cpu / 1024} vCPU / ${s.memory / 1024} GB`;
  const count = s.autoscaling ? `${s.autoscaling.min}–${s.autoscaling.max} tasks (autoscaling, starts at ${s.desiredCount})` : `${s.desiredCount} task(s)`;
  const what =
    s.kind === 'web'
      ? `web on ${s.hosts ? `${s.hosts.join(',')} ` : ''}${s.routes.join(', ') || '(no routes)'}, port ${s.port}`
      : s.kind === 'internal'
        ? `internal at http://${s.name}:${s.port} (Service Connect)`
        : `worker${s.command ? `: ${s.command.join(' ')}` : ''}`;
  return `${what}; image ${image}; ${size}; ${count}`;
}

async function rolloutCounts(ctx: StepContext, cluster: string, name: string): Promise<{ running: number; desired: number }> {
  const svc = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services?.[0];
  return { running: svc?.runningCount ?? 0, desired: svc?.desiredCount ?? 0 };
}

/** The secret version a service's tasks should hold: from when each key it reads last changed. */
const secretsOf = (ctx: StepContext, s: ServiceSpec) => {
  const out = hasAppSecret(ctx.config) ? ctx.output('secrets') : undefined;
  return out ? secretVersion(keysFor(s, out.keys, ctx.config), out.changedAt ?? {}) : '';
};

export const service: StepCode<'service'> = {
  async inputs(ctx) {
    const tds = ctx.output('task-definition').services;
    return {
      services: specs(ctx).map((s) => ({
        name: s.name,
        kind: s.kind,
        td: tds[s.name]?.taskDefinitionArn,
        port: s.port ?? null,
        routes: s.routes,
        hosts: s.hosts ?? null,
        health: s.kind === 'web' ? s.healthCheckPath : null,
        grace: s.kind === 'web' ? s.healthCheckGracePeriodSeconds : null,
        // With autoscaling the count is the scaler's; a changed starting count changes nothing.
        desiredCount: s.autoscaling ? null : s.desiredCount,
        autoscaling: s.autoscaling ?? null,
        secrets: secretsOf(ctx, s),
        ...(s.exec ? { exec: true } : {}),
        ...(s.capacity ? { capacity: s.capacity } : {}),
        ...(hasServiceConnect(ctx.config) ? { serviceConnect: serviceConnectKey(connectOf(ctx, s)) } : {}),
      })),
      targetGroups: loadBalancerOf(ctx)?.targetGroups ?? null,
      network: awsvpc(ctx.output('network')),
    };
  },

  async preflight(ctx) {
    const moves = await launchTypeMoves(ctx);
    if (moves.length) return moves;
    if (ctx.settings.allowRemovals) return [];
    const gone = (await removals(ctx)).services.map((s) => configNameOf(ctx, s));
    return gone.length ? [removalRefused(gone).message + '; pass --yes (or run interactively and confirm) to delete them'] : [];
  },

  async plan(ctx) {
    const items: PlanItem[] = [];
    const cluster = clusterName(ctx);
    for (const s of specs(ctx)) {
      const name = ecsServiceName(ctx, s.name);
      const found = await findService(ctx, cluster, name);
      if (!found) {
        items.push({ action: 'create', resource: `ECS service ${name}`, detail: `${describeService(s, s.image)}; circuit breaker with rollback` });
        continue;
      }
      // With autoscaling the scaler owns the count, so a different one is not a change.
      const changes = fieldChanges([
        ['desiredCount', s.autoscaling ? undefined : found.desiredCount, s.autoscaling ? undefined : s.desiredCount],
        ...(s.kind === 'web' && found.healthCheckGracePeriodSeconds !== undefined
          ? [['healthCheckGracePeriodSeconds', found.healthCheckGracePeriodSeconds, s.healthCheckGracePeriodSeconds] as [string, unknown, unknown]]
          : []),
      ]);
      items.push({
        action: changes.length ? 'update' : 'keep',
        resource: `ECS service ${name}`,
        detail: `${describeService(s, s.image)}; rolls out when its task definition gets a new revision`,
        ...(changes.length ? { changes } : {}),
      });
    }
    const gone = await removals(ctx);
    for (const svc of gone.services)
      items.push({
        action: 'delete',
        resource: `ECS service ${svc.serviceName}`,
        detail: `${configNameOf(ctx, svc)} is no longer in the config; its tasks are stopped`,
      });
    for (const tg of gone.targetGroups)
      items.push({ action: 'delete', resource: `target group ${tg.TargetGroupName}`, detail: 'its service is gone or became a worker' });
    return items;
  },

  async apply(ctx) {
    const net = ctx.output('network');
    const tds = ctx.output('task-definition');
    const cluster = await ensureCluster(ctx, 'service');
    const gone = await removals(ctx, true);
    if (gone.services.length && !ctx.settings.allowRemovals) throw removalRefused(gone.services.map((s) => configNameOf(ctx, s)));
    const lb = loadBalancerOf(ctx);
    const tgArns: Record<string, string> = lb?.targetGroups ?? {};

    const started: { spec: ServiceSpec; svc: Service }[] = [];
    // Fargate Spot needs both Fargate providers on the cluster before a service names them.
    if (specs(ctx).some((s) => s.capacity)) await ensureFargateProviders(ctx, cluster);
    const strategies: Record<string, string> = {};
    for (const s of specs(ctx)) {
      const name = ecsServiceName(ctx, s.name);
      // A secret it reads changed since its tasks started: only a new deployment hands them the new value.
      const before = ctx.previous()?.services?.[s.name]?.secretVersion;
      const forceNewDeployment = before !== undefined && before !== secretsOf(ctx, s);
      if (forceNewDeployment) ctx.log.info(`${s.name} reads a secret that changed: rolling it so its tasks get the new value`);
      const execBefore = ctx.previous()?.services?.[s.name]?.exec ?? false;
      const capacityBefore = ctx.previous()?.services?.[s.name]?.capacity;
      const serviceConnectBefore = ctx.previous()?.services?.[s.name]?.serviceConnect;
      const serviceConnect = connectOf(ctx, s);
      const svc = await ensureService(ctx, {
        spec: s,
        name,
        cluster,
        net,
        td: tds.services[s.name]!,
        targetGroupArn: tgArns[s.name],
        forceNewDeployment,
        execBefore,
        ...(capacityBefore ? { capacityBefore } : {}),
        ...(serviceConnect ? { serviceConnect } : {}),
        ...(serviceConnectBefore ? { serviceConnectBefore } : {}),
      });
      if (s.autoscaling)
        await ensureAutoscaling(ctx, {
          cluster: clusterName(ctx),
          serviceName: name,
          spec: s,
          loadBalancerArn: lb?.loadBalancerArn,
          targetGroupArn: tgArns[s.name],
        });
      else await removeAutoscaling(ctx, clusterName(ctx), name);
      started.push({ spec: s, svc });
      const strategy = wantedStrategy(s, currentStrategyKey(svc, capacityBefore));
      if (strategy) strategies[s.name] = strategyKey(strategy);
    }

    for (const svc of gone.services) {
      await removeAutoscaling(ctx, clusterName(ctx), svc.serviceName!);
      await removeService(ctx, cluster, svc);
      const n = await deregisterFamily(ctx, familyName(ctx, configNameOf(ctx, svc)));
      if (n) ctx.log.info(`deregistered ${n} revision(s) of ${familyName(ctx, configNameOf(ctx, svc))}`);
    }

    // Every service rolls out at once, polled together; one that fails is named with its diagnosis while the others finish.
    const describe = serviceDescriber(ctx.aws.ecs, cluster);
    const results = await Promise.allSettled(
      started.map(({ spec }) =>
        waitForRollout(ctx, {
          cluster,
          name: ecsServiceName(ctx, spec.name),
          label: spec.name,
          td: tds.services[spec.name]!,
          logGroup: tds.logGroup,
          describe,
        }),
      ),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ name: started[i]!.spec.name, error: r.reason as Error }] : []));
    if (failed.length) {
      const first = failed[0]!.error;
      if (!(first instanceof StepError) || failed.length === 1) throw first;
      throw new StepError(
        'service',
        `rollout: ${failed.map((f) => f.name).join(', ')} failed (${results.length - failed.length} of ${results.length} services rolled out)`,
        {
          hint: failed.map((f) => `${f.name}: ${f.error.message}\n${(f.error as StepError).hint ?? ''}`.trim()).join('\n\n'),
        },
      );
    }

    for (const tg of gone.targetGroups) await deleteTargetGroup(ctx, tg);

    const services: Record<string, RunningService> = {};
    for (const { spec, svc } of started) {
      const counts = await rolloutCounts(ctx, cluster, svc.serviceName!);
      services[spec.name] = {
        kind: spec.kind,
        serviceName: svc.serviceName!,
        serviceArn: svc.serviceArn!,
        taskDefinitionArn: tds.services[spec.name]!.taskDefinitionArn,
        ...(tgArns[spec.name] ? { targetGroupArn: tgArns[spec.name], routes: spec.routes } : {}),
        runningCount: counts.running,
        desiredCount: counts.desired,
        ...(spec.autoscaling ? { autoscaling: { min: spec.autoscaling.min, max: spec.autoscaling.max } } : {}),
        secretVersion: secretsOf(ctx, spec),
        ...(spec.exec ? { exec: true } : {}),
        ...(strategies[spec.name] ? { capacity: strategies[spec.name] } : {}),
        ...(hasServiceConnect(ctx.config) ? { serviceConnect: serviceConnectKey(connectOf(ctx, spec)) } : {}),
      };
    }
    return { clusterName: clusterName(ctx), services };
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    // One listing answers both questions: is each service as recorded, and is any of ours no longer in the config.
    const active = await activeServices(ctx, clusterName(ctx));
    for (const s of specs(ctx)) {
      const rec = out.services?.[s.name];
      const svc = rec ? active.find((x) => x.serviceName === rec.serviceName) : undefined;
      const primary = svc?.deployments?.find((d) => d.status === 'PRIMARY');
      checks.push({
        name: `service ${s.name}`,
        ok: !!svc && svc.taskDefinition === rec?.taskDefinitionArn && primary?.rolloutState === 'COMPLETED',
        detail: primary?.rolloutState ?? 'missing',
      });
    }
    const extra = active.filter((s) => ecsOwned(ctx, s.tags) && !specs(ctx).some((x) => ecsServiceName(ctx, x.name) === s.serviceName));
    if (extra.length) checks.push({ name: 'no removed services', ok: false, detail: extra.map((s) => s.serviceName).join(', ') });
    return checks;
  },

  summary(out, view) {
    const rows: [string, string][] = [];
    const entries = Object.entries(out.services);
    // With a domain, users reach the app by its name (through the CDN when there is a site), not the load balancer's.
    // Behind the CDN without a domain, the CDN's own name: the load balancer answers CloudFront alone.
    const base = view.config.domain
      ? `https://${view.config.domain.name}`
      : lbBehindCdn(view.config) && view.output('site')
        ? `https://${view.output('site')!.domainName}`
        : view.output('load-balancer')?.url;
    for (const [name, s] of entries) {
      const label = entries.length > 1 ? `Service ${name}` : 'URL';
      const counts = `${s.runningCount}/${s.desiredCount} running${s.autoscaling ? ` (autoscaling ${s.autoscaling.min}–${s.autoscaling.max})` : ''}`;
      if (s.kind === 'web' && base) {
        const route = (s.routes ?? []).find((r) => r !== '/*');
        rows.push([label, `${base}${route ? route.replace(/\*.*$/, '') : ''}${entries.length > 1 ? `  ${counts}` : ''}`]);
      } else rows.push([label, `${s.kind === 'internal' ? `internal (http://${name}:${view.config.services[name]?.port})` : 'worker'}, ${counts}`]);
    }
    const envFlag = view.env === 'prod' ? '' : ` --env ${view.env}`;
    const notes = entries.length ? [`Roll back: deploy-wizard rollback${entries.length > 1 ? ' [SERVICE]' : ''}${envFlag}`] : [];
    return { rows, notes };
  },
};

/**
 * A service that runs on the Fargate launch type cannot be moved to a capacity provider strategy of Fargate
 * providers by UpdateService (its "valid transitions" list has no such move), so a `capacity` added to one is
 * refused before anything changes, with the way to move it.
 */
async function launchTypeMoves(ctx: StepContext<'service'>): Promise<string[]> {
  const out: string[] = [];
  const cluster = clusterName(ctx);
  for (const s of specs(ctx).filter((x) => x.capacity)) {
    const found = await findService(ctx, cluster, ecsServiceName(ctx, s.name));
    if (found && !currentStrategyKey(found, ctx.previous()?.services?.[s.name]?.capacity))
      out.push(
        `${s.key}.capacity: ${found.serviceName} runs on the Fargate launch type, and ECS does not move a running service from a launch type to Fargate Spot in place. ` +
          `To move it, give the service a new name in the config with this capacity and deploy with --yes: the new one starts and the old one is removed; or remove capacity`,
      );
  }
  return out;
}
