import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { GetServerCertificateCommand } from '@aws-sdk/client-iam';
import { X509Certificate } from 'node:crypto';
import type { StepContext } from '../src/pipeline/context.js';
import { StepError } from '../src/errors.js';
import { waitFor } from '../src/wait.js';
import { diagnoseService } from '../src/aws/ecs-helpers.js';
import type { ServiceOutput } from './service.js';
import type { Check, Step } from '../src/pipeline/step.js';

export interface FirstBootCheck extends Check {
  ms: number;
}

export interface FirstBootOutput {
  url: string;
  /** The load balancer dialled for `url` when its name is not (yet) in DNS. */
  via?: string;
  checks: FirstBootCheck[];
}

declare module '../src/pipeline/outputs.js' {
  interface StepOutputs {
    'first-boot': FirstBootOutput;
  }
}

function expectations(ctx: StepContext) {
  const v = ctx.config.validation;
  return {
    path: v?.path ?? ctx.config.service.healthCheckPath,
    status: v?.expectStatus ?? 200,
    json: v?.expectJson,
    deadlineMs: (v?.timeoutSeconds ?? 300) * 1000,
  };
}

/** What first-boot probes: a URL, and (through the load balancer) the address to dial while TLS verifies the URL's name. */
export interface ProbeTarget {
  url: string;
  connectTo?: string;
  /** How it is shown: the URL, and the load balancer when the name is reached through it. */
  label: string;
}

/** DEPLOY_WIZARD_HEALTH_URL: a base URL gets the validation path appended. */
export function healthUrl(ctx: StepContext, lbUrl: string): string {
  const { path } = expectations(ctx);
  const override = ctx.settings.healthUrl;
  if (!override) return `${lbUrl}${path}`;
  const u = new URL(override);
  return u.pathname === '/' || u.pathname === '' ? `${u.origin}${path}${u.search}` : override;
}

/** The names a certificate covers, from ACM or (for an IAM server certificate) from the certificate itself. */
export async function certificateNames(ctx: StepContext, arn: string): Promise<string[]> {
  if (/:acm:/.test(arn)) {
    const c = (await ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
    return [...new Set([c?.DomainName, ...(c?.SubjectAlternativeNames ?? [])].filter((n): n is string => !!n))];
  }
  const name = arn.split('/').pop()!;
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
 * Where first-boot probes. A load balancer's own DNS name never matches the
 * certificate it serves, so with a certificate the probe goes to the name
 * the certificate covers (or validation.url), dialled through the load
 * balancer, with full verification. Never an unverified https probe.
 */
const targets = new WeakMap<StepContext, Promise<ProbeTarget>>();
export function probeTarget(ctx: StepContext, svc: Pick<ServiceOutput, 'url' | 'dnsName'>): Promise<ProbeTarget> {
  let t = targets.get(ctx);
  if (!t) {
    t = (async (): Promise<ProbeTarget> => {
      const { path } = expectations(ctx);
      if (ctx.settings.healthUrl) {
        const url = healthUrl(ctx, svc.url);
        return { url, label: url };
      }
      const explicit = ctx.config.validation?.url;
      if (explicit) return { url: explicit, label: explicit };
      const cert = ctx.config.loadBalancer?.certificateArn;
      if (!cert) return { url: `${svc.url}${path}`, label: `${svc.url}${path}` };
      const name = nameToProbe(await certificateNames(ctx, cert));
      if (!name) {
        throw new StepError('first-boot', `probe health: the certificate ${cert} names no domain to probe`, {
          hint: 'Set validation.url to the HTTPS URL the app answers on (https://app.example.com/health).',
        });
      }
      const url = `https://${name}${path}`;
      return { url, connectTo: svc.dnsName, label: `${url} (through ${svc.dnsName})` };
    })();
    targets.set(ctx, t);
  }
  return t;
}

/** Why a response is not the expected one, or undefined when it is. */
function judge(ctx: StepContext, res: { status: number; body: string }): string | undefined {
  const want = expectations(ctx);
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

async function probeUntilHealthy(ctx: StepContext, target: ProbeTarget): Promise<FirstBootCheck> {
  const { url } = target;
  const start = ctx.clock.now().getTime();
  let last = 'no answer yet';
  try {
    await waitFor({
      stepId: 'first-boot',
      what: `GET ${target.label}`,
      clock: ctx.clock,
      signal: ctx.signal,
      deadlineMs: expectations(ctx).deadlineMs,
      firstDelayMs: 2_000,
      maxDelayMs: 10_000,
      onStatus: (l) => ctx.log.info(l),
      poll: async () => {
        try {
          const res = await ctx.probe(url, ctx.signal, target.connectTo ? { connectTo: target.connectTo } : undefined);
          const problem = judge(ctx, res);
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
    throw new StepError('first-boot', `probe health: ${target.label} did not answer as expected within ${expectations(ctx).deadlineMs / 1000}s: ${last}`);
  }
  return { name: `GET ${target.label}`, ok: true, ms: ctx.clock.now().getTime() - start, detail: last };
}

async function rolloutCheck(ctx: StepContext, svc: ServiceOutput): Promise<FirstBootCheck> {
  const start = ctx.clock.now().getTime();
  const s = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: svc.clusterName, services: [svc.serviceName] }))).services?.[0];
  const primary = s?.deployments?.find((d) => d.status === 'PRIMARY');
  const ok = primary?.rolloutState === 'COMPLETED' && s?.taskDefinition === svc.taskDefinitionArn && (s?.runningCount ?? 0) >= (s?.desiredCount ?? 1);
  return {
    name: 'rollout',
    ok,
    ms: ctx.clock.now().getTime() - start,
    detail: `${primary?.rolloutState ?? 'no deployment'}, ${s?.runningCount ?? 0}/${s?.desiredCount ?? 0} running`,
  };
}

async function targetHealthCheck(ctx: StepContext, svc: ServiceOutput): Promise<FirstBootCheck> {
  const start = ctx.clock.now().getTime();
  if (ctx.settings.healthUrl) {
    // The probe did not go through the load balancer, so its targets say nothing about this app.
    return { name: 'target health', ok: true, ms: 0, detail: 'not checked: DEPLOY_WIZARD_HEALTH_URL bypasses the load balancer' };
  }
  const targets = (await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: svc.targetGroupArn }))).TargetHealthDescriptions ?? [];
  const healthy = targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
  const other = targets
    .filter((t) => t.TargetHealth?.State !== 'healthy')
    .map((t) => `${t.Target?.Id}: ${t.TargetHealth?.State} ${t.TargetHealth?.Reason ?? ''}`.trim());
  return {
    name: 'target health',
    ok: healthy > 0,
    ms: ctx.clock.now().getTime() - start,
    detail: `${healthy}/${targets.length} healthy${other.length ? `; ${other.join(', ')}` : ''}`,
  };
}

export function formatChecks(checks: FirstBootCheck[]): string[] {
  const w = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.ok ? '✔' : '✖'} ${c.name.padEnd(w)}  ${(c.ms / 1000).toFixed(1).padStart(5)}s  ${c.detail ?? ''}`);
}

export const firstBoot: Step<'first-boot'> = {
  id: 'first-boot',
  title: 'Prove the app answers (first boot)',
  dependsOn: ['service', 'task-definition'],

  async inputs(ctx) {
    const svc = ctx.output('service');
    const target = await probeTarget(ctx, svc);
    return { td: svc.taskDefinitionArn, url: target.url, via: target.connectTo ?? null, expect: expectations(ctx) };
  },

  async plan(ctx) {
    const e = expectations(ctx);
    return [
      {
        action: 'keep',
        resource: 'first-boot check',
        detail: `GET ${e.path} expects ${e.status}${e.json ? ` and ${JSON.stringify(e.json)}` : ''} within ${e.deadlineMs / 1000}s`,
      },
    ];
  },

  async apply(ctx) {
    const svc = ctx.output('service');
    const td = ctx.output('task-definition');
    const target = await probeTarget(ctx, svc);
    ctx.log.info(`probing ${target.label}`);
    const checks: FirstBootCheck[] = [];
    let failure: StepError | undefined;
    try {
      checks.push(await probeUntilHealthy(ctx, target));
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      failure = e;
      checks.push({ name: `GET ${target.label}`, ok: false, ms: expectations(ctx).deadlineMs, detail: e.message.replace(/^probe health: /, '') });
    }
    checks.push(await rolloutCheck(ctx, svc));
    checks.push(await targetHealthCheck(ctx, svc));
    for (const line of formatChecks(checks)) ctx.log.info(line);
    const bad = checks.filter((c) => !c.ok);
    if (failure || bad.length) {
      const diagnosis = await diagnoseService(ctx, {
        cluster: svc.clusterName,
        service: svc.serviceName,
        logGroup: td.logGroup,
        container: td.containerName,
      }).catch(() => []);
      throw new StepError('first-boot', failure?.message ?? `first boot: ${bad.map((c) => `${c.name}: ${c.detail}`).join('; ')}`, {
        hint: [
          'Checks:',
          ...formatChecks(checks),
          ...(diagnosis.length ? ['', 'What ECS says:', ...diagnosis] : []),
          '',
          'Fix the cause and run the same command again; it resumes at this check.',
        ].join('\n'),
      });
    }
    return { url: target.url, ...(target.connectTo ? { via: target.connectTo } : {}), checks };
  },

  // An unchanged re-run still asks the app once: a deploy that reports success should mean it answers now.
  async verify(ctx, out) {
    try {
      const res = await ctx.probe(out.url, ctx.signal, out.via ? { connectTo: out.via } : undefined);
      const problem = judge(ctx, res);
      return [{ name: `GET ${out.url}`, ok: !problem, detail: problem }];
    } catch (e) {
      return [{ name: `GET ${out.url}`, ok: false, detail: (e as Error).message }];
    }
  },

  summary(out) {
    return {
      rows: [
        [
          'Health',
          `${out.url}${out.via ? ` (through ${out.via})` : ''} answered (${out.checks.filter((c) => c.ok).length}/${out.checks.length} checks passed)`,
        ],
      ],
    };
  },
};
