import { createHash, randomUUID } from 'node:crypto';
import { CreateServiceCommand, DescribeServicesCommand, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  type Action,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { StepContext } from '../src/pipeline/context.js';
import { StepError } from '../src/errors.js';
import { waitFor } from '../src/wait.js';
import { canonicalJson } from '../src/canonical-json.js';
import { retryIamPropagation } from '../src/aws/retry-iam-propagation.js';
import { awsvpc, clusterName, diagnoseService, ecsOwned, ecsTags, ensureCluster } from '../src/aws/ecs-helpers.js';
import type { NetworkOutput } from './network.js';
import type { TaskDefinitionOutput } from './task-definition.js';
import { ownedBy, ownershipTags, type Check, type PlanItem, type Step } from '../src/pipeline/step.js';
import { ALB_HOUR, ALB_LCU_MONTH, FARGATE_GB_HOUR, FARGATE_VCPU_HOUR, HOURS, round } from '../src/pricing.js';
import { unlessNotFound } from '../src/aws/not-found.js';

export interface ServiceOutput {
  clusterName: string;
  serviceName: string;
  serviceArn: string;
  loadBalancerArn: string;
  targetGroupArn: string;
  dnsName: string;
  url: string;
  taskDefinitionArn: string;
}

declare module '../src/pipeline/outputs.js' {
  interface StepOutputs {
    service: ServiceOutput;
  }
}

const ROLLOUT_DEADLINE_MS = 30 * 60_000;
const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** Load balancer and target group names are at most 32 characters. */
export function elbName(app: string, env: string): string {
  // A load balancer name may not begin with "internal-" (AWS reserves it); an app called internal-tools still gets one.
  const name = `${app.startsWith('internal-') ? 'dw-' : ''}${app}-${env}`;
  return name.length <= 32 ? name : `${name.slice(0, 23).replace(/-+$/, '')}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

const serviceName = (ctx: StepContext) => ctx.app;

async function findLoadBalancer(ctx: StepContext): Promise<LoadBalancer | undefined> {
  const res = await unlessNotFound(
    ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [elbName(ctx.app, ctx.env)] })),
    'LoadBalancerNotFoundException',
    'LoadBalancerNotFound',
  );
  return res?.LoadBalancers?.[0];
}

async function findTargetGroup(ctx: StepContext): Promise<TargetGroup | undefined> {
  const res = await unlessNotFound(
    ctx.aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [elbName(ctx.app, ctx.env)] })),
    'TargetGroupNotFoundException',
    'TargetGroupNotFound',
  );
  return res?.TargetGroups?.[0];
}

/** Is this load balancer or target group ours? ELBv2 keeps tags apart from the resource. */
async function elbOwned(ctx: StepContext, arn: string): Promise<boolean> {
  const tags = (await ctx.aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions?.[0]?.Tags;
  return ownedBy(ctx, tags);
}

function notOurs(what: string, name: string, ctx: StepContext): StepError {
  return new StepError('service', `adopt ${what}: ${name} exists but was not created by deploy-wizard`, {
    hint: `Rename or delete it, use another --env, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
  });
}

async function findService(ctx: StepContext): Promise<Service | undefined> {
  const res = await unlessNotFound(
    ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: clusterName(ctx), services: [serviceName(ctx)], include: ['TAGS'] })),
    'ClusterNotFoundException',
  );
  return res?.services?.find((s) => s.status === 'ACTIVE');
}

/** One public subnet per AZ (an ALB refuses two in one AZ); state from before this was recorded falls back to all public ones. */
const lbSubnets = (net: NetworkOutput) => net.loadBalancerSubnetIds ?? net.publicSubnetIds;

async function ensureLoadBalancer(ctx: StepContext, net: NetworkOutput): Promise<LoadBalancer> {
  let lb = await findLoadBalancer(ctx);
  if (lb && !(await elbOwned(ctx, lb.LoadBalancerArn!))) throw notOurs('load balancer', elbName(ctx.app, ctx.env), ctx);
  if (lb) {
    const haveSubnets = (lb.AvailabilityZones ?? []).map((z) => z.SubnetId!).sort();
    if (haveSubnets.join() !== [...lbSubnets(net)].sort().join()) {
      ctx.log.info(`moving load balancer to subnets ${lbSubnets(net).join(', ')}`);
      await ctx.aws.elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: lb.LoadBalancerArn, Subnets: lbSubnets(net) }));
    }
    if ((lb.SecurityGroups ?? []).join() !== net.securityGroups.lb) {
      await ctx.aws.elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn, SecurityGroups: [net.securityGroups.lb] }));
    }
  }
  if (!lb) {
    if (lbSubnets(net).length < 2) {
      throw new StepError(
        'service',
        `create load balancer: an internet-facing load balancer needs public subnets in two availability zones; found ${lbSubnets(net).length}`,
        {
          hint: 'Use the default VPC, or set network.subnetIds to include two public subnets (with a route to an internet gateway).',
        },
      );
    }
    ctx.log.info(`creating load balancer ${elbName(ctx.app, ctx.env)}`);
    // Looked up by name first: some emulators create a twin when the name exists.
    lb = (
      await ctx.aws.elbv2.send(
        new CreateLoadBalancerCommand({
          Name: elbName(ctx.app, ctx.env),
          Type: 'application',
          Scheme: 'internet-facing',
          IpAddressType: 'ipv4',
          Subnets: lbSubnets(net),
          SecurityGroups: [net.securityGroups.lb],
          Tags: ownershipTags(ctx, 'service'),
        }),
      )
    ).LoadBalancers![0]!;
  }
  const idle = String(ctx.config.loadBalancer?.idleTimeoutSeconds ?? 60);
  const attrs = (await ctx.aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Attributes ?? [];
  if (attrs.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value !== idle) {
    await ctx.aws.elbv2.send(
      new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: idle }] }),
    );
  }
  return lb;
}

async function ensureTargetGroup(ctx: StepContext, net: NetworkOutput): Promise<TargetGroup> {
  const { port, healthCheckPath } = ctx.config.service;
  let tg = await findTargetGroup(ctx);
  if (tg && !(await elbOwned(ctx, tg.TargetGroupArn!))) throw notOurs('target group', elbName(ctx.app, ctx.env), ctx);
  if (tg && (tg.Port !== port || tg.VpcId !== net.vpcId)) {
    throw new StepError(
      'service',
      `update target group: ${tg.TargetGroupName} serves port ${tg.Port} in ${tg.VpcId}; a target group's port and VPC cannot change`,
      {
        hint: 'Delete the service and its target group (or use another --env) to move the app to a new port or VPC.',
      },
    );
  }
  if (!tg) {
    tg = (
      await ctx.aws.elbv2.send(
        new CreateTargetGroupCommand({
          Name: elbName(ctx.app, ctx.env),
          Protocol: 'HTTP',
          Port: port,
          VpcId: net.vpcId,
          TargetType: 'ip',
          HealthCheckProtocol: 'HTTP',
          HealthCheckPath: healthCheckPath,
          HealthCheckIntervalSeconds: 15,
          HealthyThresholdCount: 2,
          Matcher: { HttpCode: '200-399' },
          Tags: ownershipTags(ctx, 'service'),
        }),
      )
    ).TargetGroups![0]!;
  } else if (tg.HealthCheckPath !== healthCheckPath) {
    await ctx.aws.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn, HealthCheckPath: healthCheckPath }));
  }
  const attrs = (await ctx.aws.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes ?? [];
  if (attrs.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value !== '60') {
    await ctx.aws.elbv2.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '60' }] }),
    );
  }
  return tg;
}

/** Port → default action we want: with a certificate, 80 redirects to 443. */
function wantedListeners(ctx: StepContext, tg: TargetGroup): Map<number, { protocol: 'HTTP' | 'HTTPS'; action: Action }> {
  const forward: Action = { Type: 'forward', TargetGroupArn: tg.TargetGroupArn };
  const cert = ctx.config.loadBalancer?.certificateArn;
  const out = new Map<number, { protocol: 'HTTP' | 'HTTPS'; action: Action }>();
  if (cert) {
    out.set(80, { protocol: 'HTTP', action: { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } } });
    out.set(443, { protocol: 'HTTPS', action: forward });
  } else {
    out.set(80, { protocol: 'HTTP', action: forward });
  }
  return out;
}

const actionKey = (a: Action | undefined) =>
  canonicalJson(
    a
      ? {
          Type: a.Type,
          TargetGroupArn: a.TargetGroupArn,
          Redirect: a.RedirectConfig
            ? { Protocol: a.RedirectConfig.Protocol, Port: a.RedirectConfig.Port, StatusCode: a.RedirectConfig.StatusCode }
            : undefined,
        }
      : null,
  );

async function ensureListeners(ctx: StepContext, lb: LoadBalancer, tg: TargetGroup): Promise<void> {
  const have = (await ctx.aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
  const cert = ctx.config.loadBalancer?.certificateArn;
  for (const [port, want] of wantedListeners(ctx, tg)) {
    const l = have.find((x) => x.Port === port);
    const tls = want.protocol === 'HTTPS' ? { Certificates: [{ CertificateArn: cert }], SslPolicy: TLS_POLICY } : {};
    if (!l) {
      await ctx.aws.elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Port: port,
          Protocol: want.protocol,
          DefaultActions: [want.action],
          ...tls,
          Tags: ownershipTags(ctx, 'service'),
        }),
      );
    } else if (
      actionKey(l.DefaultActions?.[0]) !== actionKey(want.action) ||
      l.Protocol !== want.protocol ||
      (want.protocol === 'HTTPS' && (l.SslPolicy !== TLS_POLICY || l.Certificates?.[0]?.CertificateArn !== cert))
    ) {
      await ctx.aws.elbv2.send(
        new ModifyListenerCommand({ ListenerArn: l.ListenerArn, Port: port, Protocol: want.protocol, DefaultActions: [want.action], ...tls }),
      );
    }
  }
}

// Some emulators do not echo the grace period back; AWS always does for a service behind a load balancer.
const graceChanged = (svc: Service, want: number) => svc.healthCheckGracePeriodSeconds !== undefined && svc.healthCheckGracePeriodSeconds !== want;

/** Subnets, groups and public IP, order-insensitive: what UpdateService must change when they differ. */
function networkKey(n: { awsvpcConfiguration?: { subnets?: string[]; securityGroups?: string[]; assignPublicIp?: string } } | undefined): string {
  const a = n?.awsvpcConfiguration;
  return canonicalJson({ subnets: [...(a?.subnets ?? [])].sort(), groups: [...(a?.securityGroups ?? [])].sort(), ip: a?.assignPublicIp ?? 'DISABLED' });
}

function deploymentConfiguration() {
  return { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 };
}

async function ensureService(ctx: StepContext, net: NetworkOutput, tg: TargetGroup, td: TaskDefinitionOutput, cluster: string): Promise<Service> {
  const s = ctx.config.service;
  const existing = await findService(ctx);
  if (existing && !ecsOwned(ctx, existing.tags)) throw notOurs('ECS service', serviceName(ctx), ctx);
  if (!existing) {
    const token = String(ctx.intents.get('ecs-service')?.clientRequestToken ?? randomUUID());
    await ctx.intents.record('ecs-service', { service: serviceName(ctx), clientRequestToken: token });
    ctx.log.info(`creating ECS service ${serviceName(ctx)} (${s.desiredCount} task${s.desiredCount === 1 ? '' : 's'})`);
    const res = await retryIamPropagation(
      () =>
        ctx.aws.ecs.send(
          new CreateServiceCommand({
            cluster,
            serviceName: serviceName(ctx),
            taskDefinition: td.taskDefinitionArn,
            desiredCount: s.desiredCount,
            launchType: 'FARGATE',
            networkConfiguration: awsvpc(net),
            loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: td.containerName, containerPort: s.port }],
            healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
            deploymentConfiguration: deploymentConfiguration(),
            clientToken: token,
            propagateTags: 'SERVICE',
            enableECSManagedTags: true,
            tags: ecsTags(ctx, 'service'),
          }),
        ),
      { clock: ctx.clock, signal: ctx.signal, onRetry: (m) => ctx.log.info(m) },
    );
    return res.service!;
  }
  const networkChanged = networkKey(existing.networkConfiguration) !== networkKey(awsvpc(net));
  if (
    existing.taskDefinition !== td.taskDefinitionArn ||
    existing.desiredCount !== s.desiredCount ||
    networkChanged ||
    graceChanged(existing, s.healthCheckGracePeriodSeconds)
  ) {
    ctx.log.info(
      `updating service ${serviceName(ctx)} to ${td.family}:${td.revision}, ${s.desiredCount} task(s)${networkChanged ? ', new subnets or security groups' : ''}`,
    );
    const res = await retryIamPropagation(
      () =>
        ctx.aws.ecs.send(
          new UpdateServiceCommand({
            cluster,
            service: serviceName(ctx),
            taskDefinition: td.taskDefinitionArn,
            desiredCount: s.desiredCount,
            deploymentConfiguration: deploymentConfiguration(),
            healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
            networkConfiguration: awsvpc(net),
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
async function waitForRollout(ctx: StepContext, cluster: string, td: TaskDefinitionOutput): Promise<void> {
  const seen = new Set<string>();
  let first = true;
  await waitFor({
    stepId: 'service',
    what: `service ${serviceName(ctx)}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: ROLLOUT_DEADLINE_MS,
    firstDelayMs: 5_000,
    maxDelayMs: 15_000,
    onStatus: (l) => ctx.log.info(l),
    timeoutHint: 'The rollout is still going. Run the same command again to keep waiting, or check the service events in the ECS console.',
    poll: async () => {
      const svc = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName(ctx)] }))).services?.[0];
      for (const e of [...(svc?.events ?? [])].reverse()) {
        if (e.id && !seen.has(e.id)) {
          seen.add(e.id);
          if (!first) ctx.log.info(`event: ${e.message}`);
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
    const diagnosis = await diagnoseService(ctx, { cluster, service: serviceName(ctx), logGroup: td.logGroup, container: td.containerName }).catch(() => []);
    throw new StepError('service', e.message, { hint: [...diagnosis, '', e.hint ?? ''].join('\n').trim() });
  });
}

export const service: Step<'service'> = {
  id: 'service',
  title: 'Start the ECS service behind the load balancer',
  dependsOn: ['task-definition', 'network', 'pgvector', 'migrations'],

  async inputs(ctx) {
    const s = ctx.config.service;
    return {
      td: ctx.output('task-definition').taskDefinitionArn,
      desiredCount: s.desiredCount,
      port: s.port,
      health: s.healthCheckPath,
      grace: s.healthCheckGracePeriodSeconds,
      lb: ctx.config.loadBalancer ?? {},
      network: awsvpc(ctx.output('network')),
      lbSubnets: lbSubnets(ctx.output('network')),
    };
  },

  async plan(ctx) {
    const items: PlanItem[] = [];
    items.push({
      action: (await findLoadBalancer(ctx)) ? 'keep' : 'create',
      resource: `load balancer ${elbName(ctx.app, ctx.env)}`,
      detail: ctx.config.loadBalancer?.certificateArn ? 'HTTPS on 443, 80 redirects' : 'HTTP on 80',
    });
    items.push({
      action: (await findTargetGroup(ctx)) ? 'keep' : 'create',
      resource: `target group ${elbName(ctx.app, ctx.env)}`,
      detail: `port ${ctx.config.service.port}, health ${ctx.config.service.healthCheckPath}`,
    });
    const svc = await findService(ctx);
    items.push(
      svc
        ? {
            action: 'update',
            resource: `ECS service ${serviceName(ctx)}`,
            detail: `rolls out the new revision if it changed; ${ctx.config.service.desiredCount} task(s)`,
          }
        : {
            action: 'create',
            resource: `ECS service ${serviceName(ctx)}`,
            detail: `${ctx.config.service.desiredCount} Fargate task(s), circuit breaker with rollback`,
          },
    );
    return items;
  },

  async apply(ctx) {
    const net = ctx.output('network');
    const td = ctx.output('task-definition');
    const cluster = await ensureCluster(ctx, 'service');
    const lb = await ensureLoadBalancer(ctx, net);
    const tg = await ensureTargetGroup(ctx, net);
    await ensureListeners(ctx, lb, tg);
    const svc = await ensureService(ctx, net, tg, td, cluster);
    await waitForRollout(ctx, cluster, td);
    const https = !!ctx.config.loadBalancer?.certificateArn;
    return {
      clusterName: clusterName(ctx),
      serviceName: serviceName(ctx),
      serviceArn: svc.serviceArn!,
      loadBalancerArn: lb.LoadBalancerArn!,
      targetGroupArn: tg.TargetGroupArn!,
      dnsName: lb.DNSName!,
      url: `${https ? 'https' : 'http'}://${lb.DNSName}`,
      taskDefinitionArn: td.taskDefinitionArn,
    };
  },

  async verify(ctx, out) {
    const svc = await findService(ctx);
    const primary = svc?.deployments?.find((d) => d.status === 'PRIMARY');
    const checks: Check[] = [
      {
        name: `service ${out.serviceName}`,
        ok: !!svc && svc.taskDefinition === out.taskDefinitionArn && primary?.rolloutState === 'COMPLETED',
        detail: primary?.rolloutState ?? 'missing',
      },
      { name: `load balancer ${elbName(ctx.app, ctx.env)}`, ok: (await findLoadBalancer(ctx))?.LoadBalancerArn === out.loadBalancerArn },
    ];
    return checks;
  },

  cost(config) {
    const s = config.service;
    const perTask = ((s.cpu / 1024) * FARGATE_VCPU_HOUR + (s.memory / 1024) * FARGATE_GB_HOUR) * HOURS;
    return [
      { component: 'ECS Fargate', size: `${s.desiredCount} × ${s.cpu / 1024} vCPU / ${s.memory / 1024} GB`, monthly: round(perTask * s.desiredCount) },
      { component: 'Application Load Balancer', size: '1, light traffic', monthly: round(ALB_HOUR * HOURS + ALB_LCU_MONTH) },
    ];
  },

  summary(out, view) {
    const td = view.output('task-definition');
    const rollback =
      td && td.revision > 1
        ? [
            'Roll back to the previous revision:',
            `  aws ecs update-service --cluster ${out.clusterName} --service ${out.serviceName} --task-definition ${td.family}:${td.revision - 1} --region ${view.region}`,
          ]
        : [
            'Roll back: this is the first revision; a later deploy can go back to it with',
            `  aws ecs update-service --cluster ${out.clusterName} --service ${out.serviceName} --task-definition ${td?.family}:${td?.revision} --region ${view.region}`,
          ];
    return { rows: [['URL', out.url]], notes: rollback };
  },
};
