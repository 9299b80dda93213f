import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { X509Certificate } from 'node:crypto';
import type { StepContext } from '../../src/pipeline/context.js';
import { lbBehindCdn } from '../../src/config/features.js';
import { StepError } from '../../src/errors.js';
import { waitFor } from '../../src/wait.js';
import { diagnoseService } from '../../src/aws/ecs-helpers.js';
import type { RunningService } from '../service/apply.js';
import type { LoadBalancerOutput } from '../load-balancer/apply.js';
import { loadBalancerOf } from '../../src/aws/load-balancer.js';
import type { ServiceSpec } from '../../src/config/schema.js';
import type { Check } from '../../src/pipeline/step.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { hasCdn } from '../../src/config/features.js';

export interface FirstBootCheck extends Check {
  ms: number;
}

export interface ProbeRecord {
  service: string;
  url: string;
  via?: string;
}

export interface FirstBootOutput {
  /** The main web service's probe (the one on "/*", or the first). */
  url: string;
  /** The load balancer dialled for `url` when its name is not (yet) in DNS. */
  via?: string;
  /** Every web service's probe; what an unchanged re-run asks again. */
  probes?: ProbeRecord[];
  checks: FirstBootCheck[];
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    'first-boot': FirstBootOutput;
  }
}

interface Expectations {
  path: string;
  status: number;
  json?: Record<string, string | number | boolean>;
  deadlineMs: number;
}

const globToRegex = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/** A path the load balancer sends to this service: its health check path when a route covers it, else that path under its first route. */
export function routedPath(s: ServiceSpec): string {
  if (s.routes.some((r) => globToRegex(r).test(s.healthCheckPath))) return s.healthCheckPath;
  const prefix = (s.routes[0] ?? '/').replace(/[*?].*$/, '');
  return `${prefix.endsWith('/') ? prefix : `${prefix}/`}${s.healthCheckPath.slice(1)}`;
}

/** The app-level validation belongs to the main web service; every other web service has its own (or a routed health path). */
function expectations(ctx: StepContext, s: ServiceSpec): Expectations {
  const v = ctx.config.validation;
  const deadlineMs = (v?.timeoutSeconds ?? 300) * 1000;
  if (s.name === mainWeb(ctx)?.name) {
    return {
      path: s.validation?.path ?? v?.path ?? (s.routes.includes('/*') ? s.healthCheckPath : routedPath(s)),
      status: s.validation?.expectStatus ?? v?.expectStatus ?? 200,
      json: v?.expectJson,
      deadlineMs,
    };
  }
  return { path: s.validation?.path ?? routedPath(s), status: s.validation?.expectStatus ?? 200, deadlineMs };
}

const webServices = (ctx: StepContext) => Object.values(ctx.config.services).filter((s) => s.kind === 'web');
const mainWeb = (ctx: StepContext) => {
  const primary = ctx.config.services[ctx.config.primaryService];
  return primary?.kind === 'web' ? primary : webServices(ctx)[0];
};

/** What first-boot probes: a URL, and (through the load balancer) the address to dial while TLS verifies the URL's name. */
export interface ProbeTarget {
  service: string;
  url: string;
  connectTo?: string;
  /** How it is shown: the URL, and the load balancer when the name is reached through it. */
  label: string;
}

/** DEPLOY_WIZARD_HEALTH_URL: a base URL gets each service's path appended; one with a path is the main service's URL as is. */
export function healthUrl(override: string, path: string, main: boolean): string {
  const u = new URL(override);
  return u.pathname === '/' || u.pathname === '' || !main ? `${u.origin}${path}${u.pathname === '/' || u.pathname === '' ? u.search : ''}` : override;
}

/** The names a certificate covers, from ACM or (for an IAM server certificate) from the certificate itself. */
export async function certificateNames(ctx: StepContext, arn: string): Promise<string[]> {
  // Imported here: only an app with loadBalancer.certificateArn needs ACM's or IAM's SDK package in this step.
  if (/:acm:/.test(arn)) {
    const { DescribeCertificateCommand } = await import('@aws-sdk/client-acm');
    const c = (await ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
    return [...new Set([c?.DomainName, ...(c?.SubjectAlternativeNames ?? [])].filter((n): n is string => !!n))];
  }
  const name = arn.split('/').pop()!;
  const { GetServerCertificateCommand } = await import('@aws-sdk/client-iam');
  const body = (await ctx.aws.iam.send(new GetServerCertificateCommand({ ServerCertificateName: name }))).ServerCertificate?.CertificateBody;
  if (!body) return [];
  const x = new X509Certificate(body);
  const sans = (x.subjectAltName ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith('DNS:'))
    .map((p) => p.slice(4));
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  return [...new Set([...sans, ...(cn ? [cn] : [])])];
}

/** A concrete name a certificate covers: the first that is not a wildcard, else one under the wildcard. */
export function nameToProbe(names: string[]): string | undefined {
  return names.find((n) => !n.startsWith('*.')) ?? names[0]?.replace(/^\*\./, 'www.');
}

/**
 * Where first-boot probes each web service. A load balancer's own DNS name
 * never matches the certificate it serves, so with a certificate the probe
 * goes to the name the certificate covers (or validation.url), dialled
 * through the load balancer, with full verification. Never an unverified
 * https probe.
 */
const targets = new WeakMap<StepContext, Promise<ProbeTarget[]>>();
export function probeTargets(ctx: StepContext, lb: Pick<LoadBalancerOutput, 'url' | 'dnsName'> | undefined): Promise<ProbeTarget[]> {
  let t = targets.get(ctx);
  if (!t) {
    t = (async (): Promise<ProbeTarget[]> => {
      const cert = ctx.config.loadBalancer?.certificateArn;
      const explicit = ctx.config.validation?.url;
      let certName: string | undefined;
      // With a domain the probe is its name, dialled through the CDN or the load balancer: DNS may still be
      // propagating (or negatively cached from before the records existed), while TLS and the app can be proven now.
      let via = lb?.dnsName;
      if (ctx.config.domain && !ctx.settings.healthUrl && !explicit) {
        certName = ctx.config.domain.name;
        if (hasCdn(ctx.config)) via = ctx.output('site').domainName;
      } else if (cert && !ctx.settings.healthUrl && !explicit) {
        certName = nameToProbe(await certificateNames(ctx, cert));
        if (!certName) {
          throw new StepError('first-boot', `probe health: the certificate ${cert} names no domain to probe`, {
            hint: 'Set validation.url to the HTTPS URL the app answers on (https://app.example.com/health).',
          });
        }
      }
      return webServices(ctx).map((s): ProbeTarget => {
        const { path } = expectations(ctx, s);
        const main = s.name === mainWeb(ctx)?.name;
        if (ctx.settings.healthUrl) {
          const url = healthUrl(ctx.settings.healthUrl, path, main);
          return { service: s.name, url, label: url };
        }
        if (explicit) {
          const url = main ? explicit : `${new URL(explicit).origin}${path}`;
          return { service: s.name, url, label: url };
        }
        // Behind the CDN the load balancer answers CloudFront alone: the probe goes the way users do.
        if (!certName && lbBehindCdn(ctx.config)) {
          const url = `https://${ctx.output('site').domainName}${path}`;
          return { service: s.name, url, label: url };
        }
        if (!certName) return { service: s.name, url: `${lb?.url}${path}`, label: `${lb?.url}${path}` };
        const url = `https://${certName}${path}`;
        return { service: s.name, url, connectTo: via, label: `${url} (through ${via})` };
      });
    })();
    targets.set(ctx, t);
  }
  return t;
}

/** Why a response is not the expected one, or undefined when it is. */
function judge(want: Pick<Expectations, 'status' | 'json'>, res: { status: number; body: string }): string | undefined {
  if (res.status !== want.status) return `HTTP ${res.status}, expected ${want.status}`;
  if (!want.json) return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return `the body is not JSON (expected ${JSON.stringify(want.json)})`;
  }
  const wrong = Object.entries(want.json).filter(([k, v]) => body[k] !== v);
  return wrong.length ? `body ${wrong.map(([k, v]) => `${k}=${JSON.stringify(body[k])}, expected ${JSON.stringify(v)}`).join('; ')}` : undefined;
}

async function probeUntilHealthy(ctx: StepContext, target: ProbeTarget, want: Expectations): Promise<FirstBootCheck> {
  const { url } = target;
  const start = ctx.clock.now().getTime();
  let last = 'no answer yet';
  try {
    await waitFor({
      stepId: 'first-boot',
      what: `GET ${target.label}`,
      clock: ctx.clock,
      signal: ctx.signal,
      deadlineMs: want.deadlineMs,
      firstDelayMs: 2_000,
      maxDelayMs: 10_000,
      onStatus: (l) => ctx.log.info(l),
      poll: async () => {
        try {
          const res = await ctx.probe(url, ctx.signal, target.connectTo ? { connectTo: target.connectTo } : undefined);
          const problem = judge(want, res);
          last = problem ?? `HTTP ${res.status}`;
          return { done: !problem, status: last };
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          const err = e as { code?: string; cause?: { code?: string }; name: string; message: string };
          const code = err.cause?.code ?? err.code ?? err.name;
          // A certificate that does not cover the name is reported as such: verification is never switched off.
          last = /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY/.test(code) ? `TLS: ${err.message}` : `no answer (${code})`;
          return { done: false, status: last };
        }
      },
    });
  } catch (e) {
    if (!(e instanceof StepError)) throw e;
    throw new StepError('first-boot', `probe health: ${target.label} did not answer as expected within ${want.deadlineMs / 1000}s: ${last}`);
  }
  return { name: `GET ${target.label}`, ok: true, ms: ctx.clock.now().getTime() - start, detail: last };
}

async function rolloutCheck(ctx: StepContext, cluster: string, name: string, run: RunningService): Promise<FirstBootCheck> {
  const start = ctx.clock.now().getTime();
  const s = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [run.serviceName] }))).services?.[0];
  const primary = s?.deployments?.find((d) => d.status === 'PRIMARY');
  const ok = primary?.rolloutState === 'COMPLETED' && s?.taskDefinition === run.taskDefinitionArn && (s?.runningCount ?? 0) >= (s?.desiredCount ?? 1);
  return {
    name: `${name} ${run.kind === 'web' ? 'rollout' : 'running'}`,
    ok,
    ms: ctx.clock.now().getTime() - start,
    detail: `${primary?.rolloutState ?? 'no deployment'}, ${s?.runningCount ?? 0}/${s?.desiredCount ?? 0} running`,
  };
}

async function targetHealthCheck(ctx: StepContext, name: string, run: RunningService): Promise<FirstBootCheck> {
  const start = ctx.clock.now().getTime();
  if (ctx.settings.healthUrl) {
    // The probe did not go through the load balancer, so its targets say nothing about this app.
    return { name: `${name} targets`, ok: true, ms: 0, detail: 'not checked: DEPLOY_WIZARD_HEALTH_URL bypasses the load balancer' };
  }
  const targets = (await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: run.targetGroupArn }))).TargetHealthDescriptions ?? [];
  const healthy = targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
  const other = targets
    .filter((t) => t.TargetHealth?.State !== 'healthy')
    .map((t) => `${t.Target?.Id}: ${t.TargetHealth?.State} ${t.TargetHealth?.Reason ?? ''}`.trim());
  return {
    name: `${name} targets`,
    ok: healthy > 0,
    ms: ctx.clock.now().getTime() - start,
    detail: `${healthy}/${targets.length} healthy${other.length ? `; ${other.join(', ')}` : ''}`,
  };
}

export function formatChecks(checks: FirstBootCheck[]): string[] {
  const w = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.ok ? '✔' : '✖'} ${c.name.padEnd(w)}  ${(c.ms / 1000).toFixed(1).padStart(5)}s  ${c.detail ?? ''}`);
}

async function probeOnce(ctx: StepContext, p: ProbeRecord, want: Pick<Expectations, 'status' | 'json'>): Promise<Check> {
  try {
    const res = await ctx.probe(p.url, ctx.signal, p.via ? { connectTo: p.via } : undefined);
    const problem = judge(want, res);
    return { name: `GET ${p.url}`, ok: !problem, detail: problem };
  } catch (e) {
    return { name: `GET ${p.url}`, ok: false, detail: (e as Error).message };
  }
}

export const firstBoot: StepCode<'first-boot'> = {
  async inputs(ctx) {
    const svc = ctx.output('service');
    const list = await probeTargets(ctx, loadBalancerOf(ctx));
    return {
      tds: Object.fromEntries(Object.entries(svc.services).map(([n, s]) => [n, s.taskDefinitionArn])),
      probes: list.map((t) => ({ url: t.url, via: t.connectTo ?? null, expect: expectations(ctx, ctx.config.services[t.service]!) })),
    };
  },

  async plan(ctx) {
    return [
      ...webServices(ctx).map((s) => {
        const e = expectations(ctx, s);
        return {
          action: 'keep' as const,
          resource: `first-boot check ${s.name}`,
          detail: `GET ${e.path} expects ${e.status}${e.json ? ` and ${JSON.stringify(e.json)}` : ''} within ${e.deadlineMs / 1000}s`,
        };
      }),
      ...Object.values(ctx.config.services)
        .filter((s) => s.kind !== 'web')
        .map((s) => ({ action: 'keep' as const, resource: `first-boot check ${s.name}`, detail: `${s.kind} service reaches its running count` })),
    ];
  },

  async apply(ctx) {
    const svc = ctx.output('service');
    const td = ctx.output('task-definition');
    const list = await probeTargets(ctx, loadBalancerOf(ctx));
    for (const t of list) ctx.log.info(`probing ${t.service}: ${t.label}`);
    const checks: FirstBootCheck[] = [];
    const failures: StepError[] = [];
    // The services whose probe, rollout or targets failed: the ones to diagnose.
    const failed = new Set<string>();
    // Every web service is asked at once: a slow one does not hold up the others' verdicts.
    const probed = await Promise.all(
      list.map(async (t) => {
        const want = expectations(ctx, ctx.config.services[t.service]!);
        try {
          return await probeUntilHealthy(ctx, t, want);
        } catch (e) {
          if (!(e instanceof StepError)) throw e;
          failures.push(e);
          failed.add(t.service);
          return { name: `GET ${t.label}`, ok: false, ms: want.deadlineMs, detail: e.message.replace(/^probe health: /, '') };
        }
      }),
    );
    checks.push(...probed);
    for (const [name, run] of Object.entries(svc.services)) {
      const own = [await rolloutCheck(ctx, svc.clusterName, name, run)];
      if (run.kind === 'web' && run.targetGroupArn) own.push(await targetHealthCheck(ctx, name, run));
      if (own.some((c) => !c.ok)) failed.add(name);
      checks.push(...own);
    }
    for (const line of formatChecks(checks)) ctx.log.info(line);
    const bad = checks.filter((c) => !c.ok);
    if (failures.length || bad.length) {
      const diagnosis: string[] = [];
      for (const [name, run] of Object.entries(svc.services)) {
        if (!failed.has(name)) continue;
        const t = td.services[name]!;
        const lines = await diagnoseService(ctx, {
          cluster: svc.clusterName,
          service: run.serviceName,
          logGroup: td.logGroup,
          streamPrefix: t.streamPrefix,
          container: t.containerName,
        }).catch(() => []);
        const several = Object.keys(svc.services).length > 1;
        if (lines.length) diagnosis.push(...(several ? [`${name}:`, ...lines.map((l) => `  ${l}`)] : lines));
      }
      throw new StepError('first-boot', failures[0]?.message ?? `first boot: ${bad.map((c) => `${c.name}: ${c.detail}`).join('; ')}`, {
        hint: [
          'Checks:',
          ...formatChecks(checks),
          ...(diagnosis.length ? ['', 'What ECS says:', ...diagnosis] : []),
          '',
          'Fix the cause and run the same command again; it resumes at this check.',
        ].join('\n'),
      });
    }
    const probes = list.map((t) => ({ service: t.service, url: t.url, ...(t.connectTo ? { via: t.connectTo } : {}) }));
    const main = probes.find((p) => p.service === mainWeb(ctx)?.name) ?? probes[0];
    return { url: main?.url ?? '', ...(main?.via ? { via: main.via } : {}), probes, checks };
  },

  // An unchanged re-run still asks each web service once: a deploy that reports success should mean it answers now.
  async verify(ctx, out) {
    const probes = out.probes ?? [{ service: mainWeb(ctx)?.name ?? 'web', url: out.url, ...(out.via ? { via: out.via } : {}) }];
    const checks: Check[] = [];
    for (const p of probes) {
      const spec = ctx.config.services[p.service];
      if (!spec) {
        checks.push({ name: `service ${p.service}`, ok: false, detail: 'no longer in the config' });
        continue;
      }
      checks.push(await probeOnce(ctx, p, expectations(ctx, spec)));
    }
    return checks;
  },

  summary(out) {
    const probes = out.probes ?? [{ service: '', url: out.url, ...(out.via ? { via: out.via } : {}) }];
    return {
      rows: probes.map((p, i) => [
        i === 0 ? 'Health' : '',
        `${p.url}${p.via ? ` (through ${p.via})` : ''} answered${i === 0 ? ` (${out.checks.filter((c) => c.ok).length}/${out.checks.length} checks passed)` : ''}`,
      ]),
    };
  },
};
