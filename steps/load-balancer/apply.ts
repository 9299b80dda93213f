import type { StepContext } from '../../src/pipeline/context.js';
import type { PlanItem } from '../../src/pipeline/step.js';
import { lbHttps } from '../../src/config/https.js';
import { lbBehindCdn } from '../../src/config/features.js';
import { elbName, targetGroupName, originVerifySecretName } from '../../src/aws/names.js';
import {
  ensureListeners,
  ensureLoadBalancer,
  ensureTargetGroup,
  findLoadBalancer,
  findTargetGroup,
  lbCertificateArn,
  lbSubnets,
  previewsParentHosts,
  recordedTargetGroups,
  staleTargetGroups,
  wantedRules,
} from '../../src/aws/load-balancer.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

// The app's one load balancer, a target group per web service and the routes
// between them. It is its own step, apart from the services, so what needs
// only its name (the CDN, the WAF, the domain's records) is made while the
// database is still creating and the services roll out, not after.

export interface LoadBalancerOutput {
  loadBalancerArn: string;
  dnsName: string;
  /** The load balancer's base URL (https with a certificate). */
  url: string;
  /** Target group ARN by web service (config name). */
  targetGroups: Record<string, string>;
  /**
   * Target groups of web services that left the config (or became workers).
   * Their routes are gone; the service step deletes them once the services
   * that use them are gone. Found before the routes change: once no rule
   * points at a target group, the load balancer no longer lists it.
   */
  retiredTargetGroups: { name: string; arn: string }[];
  /** Behind the CDN: the secret holding the origin header's value, which CloudFront sends and the routes require. */
  originVerifySecretArn?: string;
  /** Its version the routes were set from: a rotated secret (a new version) makes verify converge them. */
  originSecretVersion?: string;
  /** A preview's (steps/preview-routes): the parent's listener its rules are on, and its slot of ten priorities there. */
  listenerArn?: string;
  ruleSlot?: number;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    'load-balancer': LoadBalancerOutput;
  }
}

const specs = (ctx: StepContext) => Object.values(ctx.config.services);
const webSpecs = (ctx: StepContext) => specs(ctx).filter((s) => s.kind === 'web');
/** The web service answering "/*" without a host condition: the listener's default action. */
const defaultWeb = (ctx: StepContext) => webSpecs(ctx).find((s) => s.routes.includes('/*') && !s.hosts);

/** The current version id of a secret (the id changes with every value), or null when it does not exist yet. */
export async function secretVersion(ctx: StepContext, name: string): Promise<string | null> {
  const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const { unlessNotFound } = await import('../../src/aws/not-found.js');
  const d = await unlessNotFound(ctx.aws.secrets.send(new DescribeSecretCommand({ SecretId: name })), 'ResourceNotFoundException');
  return Object.entries(d?.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0] ?? null;
}

export const loadBalancer: StepCode<'load-balancer'> = {
  async inputs(ctx) {
    const net = ctx.output('network');
    return {
      web: webSpecs(ctx).map((s) => ({ name: s.name, port: s.port, routes: s.routes, hosts: s.hosts ?? null, health: s.healthCheckPath })),
      lb: ctx.config.loadBalancer ?? {},
      certificate: lbCertificateArn(ctx) ?? null,
      vpc: net.vpcId,
      subnets: lbSubnets(net),
      securityGroup: net.securityGroups.lb,
      behindCdn: lbBehindCdn(ctx.config),
      // Only on a previews parent, so every other env's inputs are as they were.
      ...(ctx.config.previews?.from === ctx.env ? { ownHosts: previewsParentHosts(ctx.config, ctx.env, undefined) } : {}),
    };
  },

  async plan(ctx) {
    const items: PlanItem[] = [];
    const lb = await findLoadBalancer(ctx);
    items.push({
      action: lb ? 'keep' : 'create',
      resource: `load balancer ${elbName(ctx.app, ctx.env)}`,
      detail: `${lbHttps(ctx.config) ? 'HTTPS on 443, 80 redirects' : 'HTTP on 80'}; default: ${lbBehindCdn(ctx.config) ? '403; only CloudFront, with the origin header, reaches the routes' : (defaultWeb(ctx)?.name ?? '404')}`,
    });
    for (const s of webSpecs(ctx)) {
      const name = targetGroupName(ctx, s.name);
      items.push({
        action: (await findTargetGroup(ctx, name)) ? 'keep' : 'create',
        resource: `target group ${name}`,
        detail: `${s.name}: port ${s.port}, health ${s.healthCheckPath}`,
      });
    }
    for (const r of wantedRules(specs(ctx), {}, undefined, previewsParentHosts(ctx.config, ctx.env, lb?.DNSName))) {
      items.push({
        action: lb ? 'keep' : 'create',
        resource: `route ${r.priority}: ${r.hosts ? `${r.hosts.join(',')} ` : ''}${r.path} → ${r.service}`,
        detail: lb ? 'changed only if it differs' : undefined,
      });
    }
    return items;
  },

  async apply(ctx) {
    const net = ctx.output('network');
    const keep = webSpecs(ctx).map((s) => targetGroupName(ctx, s.name));
    // Before any route changes (see retiredTargetGroups); with those a run that stopped before the service step had deleted them.
    const retired = new Map((await staleTargetGroups(ctx, keep)).map((tg) => [tg.TargetGroupName!, tg.TargetGroupArn!]));
    const before = (ctx.previous()?.retiredTargetGroups ?? []).filter((r) => !keep.includes(r.name) && !retired.has(r.name));
    for (const tg of await recordedTargetGroups(ctx, before)) retired.set(tg.TargetGroupName!, tg.TargetGroupArn!);
    const lb = await ensureLoadBalancer(ctx, net);
    const targetGroups: Record<string, string> = {};
    for (const s of webSpecs(ctx)) targetGroups[s.name] = (await ensureTargetGroup(ctx, net, s)).TargetGroupArn!;
    const def = defaultWeb(ctx);
    // Made once and kept: CloudFront sends it, every route requires it (src/site/origin-verify.ts).
    // Loaded only then: an app without a site never loads Secrets Manager's package for it.
    const store = lbBehindCdn(ctx.config) ? await import('../../src/secrets/store.js') : undefined;
    const origin = store
      ? await store.ensureGeneratedSecret(
          ctx,
          'load-balancer',
          originVerifySecretName(ctx),
          `deploy-wizard: the header CloudFront sends ${ctx.app} (${ctx.env})'s load balancer`,
          () => ({
            value: store.randomAlnum(48),
          }),
        )
      : undefined;
    // While the secret rotates (secrets rotate origin-verify) the routes accept the previous value too.
    const accepted = origin ? [origin.value.value!, ...(origin.value.previous ? [origin.value.previous] : [])] : undefined;
    await ensureListeners(
      ctx,
      lb,
      def ? targetGroups[def.name] : undefined,
      wantedRules(specs(ctx), targetGroups, accepted, previewsParentHosts(ctx.config, ctx.env, lb.DNSName)),
    );
    return {
      ...(origin ? { originVerifySecretArn: origin.arn, originSecretVersion: (await secretVersion(ctx, originVerifySecretName(ctx))) ?? undefined } : {}),
      loadBalancerArn: lb.LoadBalancerArn!,
      dnsName: lb.DNSName!,
      url: `${lbHttps(ctx.config) ? 'https' : 'http'}://${lb.DNSName}`,
      targetGroups,
      retiredTargetGroups: [...retired].map(([name, arn]) => ({ name, arn })),
    };
  },

  async verify(ctx, out) {
    const checks = [{ name: `load balancer ${elbName(ctx.app, ctx.env)}`, ok: (await findLoadBalancer(ctx))?.LoadBalancerArn === out.loadBalancerArn }];
    if (out.originVerifySecretArn)
      checks.push({ name: 'routes want the current origin secret', ok: (await secretVersion(ctx, originVerifySecretName(ctx))) === out.originSecretVersion });
    return checks;
  },

  // Asked only when the step is enabled, that is when there is a web service.
};
