import { hasWebService, lbHttps } from '../config/https.js';
import { lbBehindCdn } from '../config/features.js';
import { ORIGIN_VERIFY_HEADER } from '../site/origin-verify.js';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  type Action,
  type Listener,
  type LoadBalancer,
  type Rule,
  type RuleCondition,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { StepContext } from '../pipeline/context.js';
import type { StepOutputs, Teardown } from '../pipeline/step.js';
import { retryWhileInUse } from './retry-in-use.js';
import type { Config, ServiceSpec } from '../config/schema.js';
import { StepError } from '../errors.js';
import { canonicalJson } from '../canonical-json.js';
import { ownedBy, ownershipTags } from '../pipeline/step.js';
import { unlessNotFound, isError } from './not-found.js';
import { elbName, targetGroupName } from './names.js';

// The app's one load balancer: a target group per web service, listener
// rules from each service's routes in config order, and the service on "/*"
// as the listener's default action (a plain 404 when no service has it).

type NetworkOutput = StepOutputs['network'];
const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** The load balancer's outputs when the app has one (a step that lists 'load-balancer' in dependsOn may call it). */
export const loadBalancerOf = (ctx: StepContext): StepOutputs['load-balancer'] | undefined =>
  hasWebService(ctx.config) ? ctx.output('load-balancer') : undefined;

export async function findLoadBalancer(ctx: Pick<StepContext, 'app' | 'env' | 'aws'>): Promise<LoadBalancer | undefined> {
  const res = await unlessNotFound(
    ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [elbName(ctx.app, ctx.env)] })),
    'LoadBalancerNotFoundException',
    'LoadBalancerNotFound',
  );
  return res?.LoadBalancers?.[0];
}

export async function findTargetGroup(ctx: StepContext, name: string): Promise<TargetGroup | undefined> {
  const res = await unlessNotFound(
    ctx.aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] })),
    'TargetGroupNotFoundException',
    'TargetGroupNotFound',
  );
  return res?.TargetGroups?.[0];
}

/** Is this load balancer, target group or rule ours? ELBv2 keeps tags apart from the resource. */
export async function elbOwned(ctx: Pick<StepContext, 'app' | 'env' | 'aws'>, arn: string): Promise<boolean> {
  return (await ownedArns(ctx, [arn])).has(arn);
}

/** The ARNs among these that carry this app's tags (DescribeTags takes 20 at a time). */
/** Which of these ARNs carry our tags; an empty list makes no call. */
export async function ownedArns(ctx: Pick<StepContext, 'app' | 'env' | 'aws'>, arns: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < arns.length; i += 20) {
    const res = await ctx.aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }));
    for (const d of res.TagDescriptions ?? []) if (ownedBy(ctx, d.Tags)) out.add(d.ResourceArn!);
  }
  return out;
}

export function notOurs(what: string, name: string, ctx: StepContext): StepError {
  return new StepError('load-balancer', `adopt ${what}: ${name} exists but was not created by deploy-wizard`, {
    hint: `Rename or delete it, use another --env, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
  });
}

/** One public subnet per AZ (an ALB refuses two in one AZ); state from before this was recorded falls back to all public ones. */
export const lbSubnets = (net: NetworkOutput) => net.loadBalancerSubnetIds ?? net.publicSubnetIds;

export async function ensureLoadBalancer(ctx: StepContext, net: NetworkOutput): Promise<LoadBalancer> {
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
        'load-balancer',
        `create load balancer: an internet-facing load balancer needs public subnets in two availability zones; found ${lbSubnets(net).length}`,
        { hint: 'Use the default VPC, or set network.subnetIds to include two public subnets (with a route to an internet gateway).' },
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
          Tags: ownershipTags(ctx, 'load-balancer'),
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

export async function ensureTargetGroup(ctx: StepContext, net: NetworkOutput, s: ServiceSpec): Promise<TargetGroup> {
  const name = targetGroupName(ctx, s.name);
  const port = s.port!;
  let tg = await findTargetGroup(ctx, name);
  if (tg && !(await elbOwned(ctx, tg.TargetGroupArn!))) throw notOurs('target group', name, ctx);
  if (tg && (tg.Port !== port || tg.VpcId !== net.vpcId)) {
    throw new StepError(
      'load-balancer',
      `update target group: ${name} (service ${s.name}) serves port ${tg.Port} in ${tg.VpcId}; a target group's port and VPC cannot change`,
      {
        hint: `Give the service a new name (a new service, target group and route), or use another --env, to move ${s.name} to a new port or VPC.`,
      },
    );
  }
  if (!tg) {
    ctx.log.info(`creating target group ${name} for ${s.name}`);
    tg = (
      await ctx.aws.elbv2.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'HTTP',
          Port: port,
          VpcId: net.vpcId,
          TargetType: 'ip',
          HealthCheckProtocol: 'HTTP',
          HealthCheckPath: s.healthCheckPath,
          HealthCheckIntervalSeconds: 15,
          HealthyThresholdCount: 2,
          Matcher: { HttpCode: '200-399' },
          Tags: [...ownershipTags(ctx, 'load-balancer'), { Key: 'deploy-wizard:service', Value: s.name }],
        }),
      )
    ).TargetGroups![0]!;
  } else if (tg.HealthCheckPath !== s.healthCheckPath) {
    await ctx.aws.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn, HealthCheckPath: s.healthCheckPath }));
  }
  const attrs = (await ctx.aws.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes ?? [];
  if (attrs.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value !== '60') {
    await ctx.aws.elbv2.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '60' }] }),
    );
  }
  return tg;
}

export interface WantedRule {
  priority: number;
  service: string;
  path: string;
  hosts?: string[];
  targetGroupArn: string;
  /** Behind the CDN: the origin secret(s) the request must carry in ORIGIN_VERIFY_HEADER (two while one rotates). */
  originSecrets?: string[];
}

/** A rule takes at most five condition values, its path one of them ("Quotas for your Application Load Balancers"). */
const HOSTS_PER_RULE = 4;

/**
 * One rule per route, in config order (services, then each one's routes); the default service's bare "/*" is the
 * default action instead. `ownHosts` (a previews parent's, see previewsParentHosts): a route with no hosts of its
 * own answers these only, in rules of at most four names each.
 */
export function wantedRules(services: ServiceSpec[], tgArns: Record<string, string>, originSecrets?: string[], ownHosts?: string[]): WantedRule[] {
  const out: WantedRule[] = [];
  const groups = ownHosts?.length
    ? Array.from({ length: Math.ceil(ownHosts.length / HOSTS_PER_RULE) }, (_, i) => ownHosts.slice(i * HOSTS_PER_RULE, (i + 1) * HOSTS_PER_RULE))
    : [undefined];
  for (const s of services) {
    if (s.kind !== 'web') continue;
    for (const path of s.routes) {
      if (path === '/*' && !s.hosts) continue;
      for (const hosts of s.hosts ? [s.hosts] : groups)
        out.push({
          priority: out.length + 1,
          service: s.name,
          path,
          ...(hosts ? { hosts } : {}),
          targetGroupArn: tgArns[s.name]!,
          ...(originSecrets?.length ? { originSecrets } : {}),
        });
    }
  }
  return out;
}

/**
 * The names a previews parent's own routes answer. Its previews' rules come after its routes (priority 10000 and
 * up), so a route of the parent's that matched any host ("/api/*") would also take the previews' requests for it:
 * NAME.<previews.domain>/api/x went to the parent's api. Its domain's names without the previews' wildcard, or
 * without a domain, the load balancer's own name. Undefined for any other env: its routes match any host, as always.
 */
export function previewsParentHosts(config: Config, env: string, lbDnsName: string | undefined): string[] | undefined {
  const p = config.previews;
  if (!p || p.from !== env) return undefined;
  if (config.domain) return [config.domain.name, ...config.domain.aliases].filter((h) => h !== `*.${p.domain}`);
  // Before the load balancer exists (a plan) its name is not known yet.
  return lbDnsName ? [lbDnsName.toLowerCase()] : [];
}

export function conditions(r: Pick<WantedRule, 'path' | 'hosts' | 'originSecrets'>): RuleCondition[] {
  return [
    { Field: 'path-pattern', PathPatternConfig: { Values: [r.path] } },
    ...(r.hosts ? [{ Field: 'host-header', HostHeaderConfig: { Values: r.hosts } }] : []),
    ...(r.originSecrets ? [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: ORIGIN_VERIFY_HEADER, Values: r.originSecrets } }] : []),
  ];
}

/** Conditions and action as a comparable string, whichever of the two value forms AWS echoes. */
export function ruleKey(conds: RuleCondition[] | undefined, actions: Action[] | undefined): string {
  const c = (conds ?? [])
    .map((x) => ({
      field: x.Field,
      header: x.HttpHeaderConfig?.HttpHeaderName?.toLowerCase(),
      values: [...(x.PathPatternConfig?.Values ?? x.HostHeaderConfig?.Values ?? x.HttpHeaderConfig?.Values ?? x.Values ?? [])].sort(),
    }))
    .sort((a, b) => String(a.field).localeCompare(String(b.field)));
  return canonicalJson({ c, a: actionKey(actions?.[0]) });
}

const actionKey = (a: Action | undefined) =>
  canonicalJson(
    a
      ? {
          Type: a.Type,
          TargetGroupArn: a.TargetGroupArn ?? a.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn,
          Redirect: a.RedirectConfig
            ? { Protocol: a.RedirectConfig.Protocol, Port: a.RedirectConfig.Port, StatusCode: a.RedirectConfig.StatusCode }
            : undefined,
          Fixed: a.FixedResponseConfig ? { StatusCode: a.FixedResponseConfig.StatusCode } : undefined,
        }
      : null,
  );

/** The listener the routes live on: 443 with a certificate (80 then only redirects), else 80. */
export const appListenerPort = (ctx: StepContext) => (lbHttps(ctx.config) ? 443 : 80);

/** The certificate the HTTPS listener serves: the user's, or the one the certificate step issued for domain. */
export const lbCertificateArn = (ctx: StepContext): string | undefined =>
  ctx.config.loadBalancer?.certificateArn ?? (ctx.config.domain ? ctx.output('certificate').regionalArn : undefined);

/**
 * Port → default action: with a certificate, 80 redirects to 443; the app listener forwards to the default
 * service or answers 404. Behind the CDN it answers 403: only the routes, with the origin secret, go anywhere.
 */
function wantedListeners(ctx: StepContext, defaultTg: string | undefined): Map<number, { protocol: 'HTTP' | 'HTTPS'; action: Action }> {
  const app: Action = lbBehindCdn(ctx.config)
    ? { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '403', ContentType: 'text/plain', MessageBody: 'Forbidden' } }
    : defaultTg
      ? { Type: 'forward', TargetGroupArn: defaultTg }
      : { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not found' } };
  const out = new Map<number, { protocol: 'HTTP' | 'HTTPS'; action: Action }>();
  if (lbHttps(ctx.config)) {
    out.set(80, { protocol: 'HTTP', action: { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } } });
    out.set(443, { protocol: 'HTTPS', action: app });
  } else {
    out.set(80, { protocol: 'HTTP', action: app });
  }
  return out;
}

export async function ensureListeners(ctx: StepContext, lb: LoadBalancer, defaultTg: string | undefined, rules: WantedRule[]): Promise<void> {
  const have = (await ctx.aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
  const cert = lbCertificateArn(ctx);
  for (const [port, want] of wantedListeners(ctx, defaultTg)) {
    let l: Listener | undefined = have.find((x) => x.Port === port);
    const tls = want.protocol === 'HTTPS' ? { Certificates: [{ CertificateArn: cert }], SslPolicy: TLS_POLICY } : {};
    if (!l) {
      l = (
        await ctx.aws.elbv2.send(
          new CreateListenerCommand({
            LoadBalancerArn: lb.LoadBalancerArn,
            Port: port,
            Protocol: want.protocol,
            DefaultActions: [want.action],
            ...tls,
            Tags: ownershipTags(ctx, 'load-balancer'),
          }),
        )
      ).Listeners![0]!;
    } else if (
      actionKey(l.DefaultActions?.[0]) !== actionKey(want.action) ||
      l.Protocol !== want.protocol ||
      (want.protocol === 'HTTPS' && (l.SslPolicy !== TLS_POLICY || l.Certificates?.[0]?.CertificateArn !== cert))
    ) {
      await ctx.aws.elbv2.send(
        new ModifyListenerCommand({ ListenerArn: l.ListenerArn, Port: port, Protocol: want.protocol, DefaultActions: [want.action], ...tls }),
      );
    }
    // Routes live on the app listener only; a redirecting listener keeps none (they would skip the redirect).
    await ensureRules(ctx, l.ListenerArn!, port === appListenerPort(ctx) ? rules : []);
  }
  // HTTPS no longer wanted (the domain removed): our 443 listener goes, and with it its hold on the certificate,
  // which ACM refuses to delete while a listener uses it. The 80 listener already serves the routes.
  const ports = new Set(wantedListeners(ctx, defaultTg).keys());
  const extra = have.filter((x) => !ports.has(x.Port!));
  const ours = await ownedArns(
    ctx,
    extra.map((x) => x.ListenerArn!),
  );
  for (const x of extra.filter((y) => ours.has(y.ListenerArn!))) {
    ctx.log.info(`removing the listener on ${x.Port} (no longer wanted)`);
    await unlessNotFound(ctx.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: x.ListenerArn })), 'ListenerNotFoundException', 'ListenerNotFound');
  }
}

/** The listener's non-default rules, by priority. */
export async function listRules(ctx: Pick<StepContext, 'aws'>, listenerArn: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let marker: string | undefined;
  do {
    const res = await ctx.aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }));
    rules.push(...(res.Rules ?? []).filter((r) => !r.IsDefault && r.Priority !== 'default'));
    marker = res.NextMarker;
  } while (marker);
  return rules.sort((a, b) => Number(a.Priority) - Number(b.Priority));
}

/**
 * Rule n sits at priority n: an unchanged route list makes no call, a changed
 * one modifies in place, and our extras go. A rule someone added by hand is
 * never changed or deleted: above ours it is left alone, and in the way of
 * ours it stops the step with what to do.
 */
async function ensureRules(ctx: StepContext, listenerArn: string, want: WantedRule[]): Promise<void> {
  const have = await listRules(ctx, listenerArn);
  const ours = await ownedArns(
    ctx,
    have.map((r) => r.RuleArn!),
  );
  for (const r of want) {
    const actions: Action[] = [{ Type: 'forward', TargetGroupArn: r.targetGroupArn }];
    const existing = have.find((x) => Number(x.Priority) === r.priority);
    if (existing && !ours.has(existing.RuleArn!)) {
      throw new StepError('load-balancer', `route ${r.path}: the listener rule at priority ${r.priority} was not created by deploy-wizard`, {
        hint: `The wizard keeps the routes at priorities 1-${want.length}, in config order. Move that rule to a priority above ${want.length} (aws elbv2 set-rule-priorities) or delete it, then run again.`,
      });
    }
    if (!existing) {
      ctx.log.info(`routing ${r.hosts ? `${r.hosts.join(',')} ` : ''}${r.path} to ${r.service} (rule ${r.priority})`);
      await ctx.aws.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: r.priority,
          Conditions: conditions(r),
          Actions: actions,
          Tags: ownershipTags(ctx, 'load-balancer'),
        }),
      );
    } else if (ruleKey(existing.Conditions, existing.Actions) !== ruleKey(conditions(r), actions)) {
      ctx.log.info(`routing ${r.hosts ? `${r.hosts.join(',')} ` : ''}${r.path} to ${r.service} (rule ${r.priority}, changed)`);
      await ctx.aws.elbv2.send(new ModifyRuleCommand({ RuleArn: existing.RuleArn, Conditions: conditions(r), Actions: actions }));
    }
  }
  for (const extra of have.filter((x) => Number(x.Priority) > want.length && ours.has(x.RuleArn!))) {
    ctx.log.info(`removing listener rule ${extra.Priority}`);
    await ctx.aws.elbv2.send(new DeleteRuleCommand({ RuleArn: extra.RuleArn }));
  }
}

/** Target groups on our load balancer, or tagged ours, that no web service uses any more. */
export async function staleTargetGroups(ctx: StepContext, keep: string[]): Promise<TargetGroup[]> {
  const lb = await findLoadBalancer(ctx);
  // A load balancer that is not ours is refused later, by ensureLoadBalancer; nothing on it is ours to delete.
  if (!lb || !(await elbOwned(ctx, lb.LoadBalancerArn!))) return [];
  const res = await unlessNotFound(
    ctx.aws.elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn })),
    'TargetGroupNotFoundException',
    'TargetGroupNotFound',
  );
  const all = res?.TargetGroups ?? [];
  const candidates = all.filter((tg) => !keep.includes(tg.TargetGroupName!));
  const ours = await ownedArns(
    ctx,
    candidates.map((tg) => tg.TargetGroupArn!),
  );
  return candidates.filter((tg) => ours.has(tg.TargetGroupArn!));
}

/** Those of these recorded target groups that still exist as recorded (same name, same ARN). */
export async function recordedTargetGroups(ctx: StepContext, recorded: readonly { name: string; arn: string }[]): Promise<TargetGroup[]> {
  const out: TargetGroup[] = [];
  for (const r of recorded) {
    const tg = await findTargetGroup(ctx, r.name);
    if (tg?.TargetGroupArn === r.arn) out.push(tg);
  }
  return out;
}

export async function deleteTargetGroup(ctx: StepContext, tg: TargetGroup): Promise<void> {
  ctx.log.info(`deleting target group ${tg.TargetGroupName}`);
  // Still "in use" for a moment after its last rule and service go.
  for (let i = 0; ; i++) {
    try {
      await ctx.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn }));
      return;
    } catch (e) {
      if (!isError(e, 'ResourceInUse', 'ResourceInUseException')) throw e;
      if (i >= 12) throw e;
      await ctx.clock.sleep(5_000, ctx.signal);
    }
  }
}

/** A target group's removal as destroy and preview down list it: retried while a rule or service still holds it for a moment. */
export function targetGroupTeardown(ctx: StepContext, tg: TargetGroup): Teardown {
  return {
    resource: `target group ${tg.TargetGroupName}`,
    remove: () =>
      retryWhileInUse(ctx, `target group ${tg.TargetGroupName}`, ['ResourceInUse', 'ResourceInUseException'], () =>
        unlessNotFound(
          ctx.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn })),
          'TargetGroupNotFound',
          'TargetGroupNotFoundException',
        ),
      ),
  };
}
