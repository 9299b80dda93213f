import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { StepContext } from '../src/context.js';
import { StepError } from '../src/errors.js';
import { waitFor } from '../src/wait.js';
import { diagnoseService } from '../src/aws/ecs-helpers.js';
import type { ServiceOutput } from './service.js';
import type { TaskDefinitionOutput } from './task-definition.js';
import { type Check, type Step } from './step.js';

export interface FirstBootCheck extends Check {
  ms: number;
}

export interface FirstBootOutput {
  url: string;
  checks: FirstBootCheck[];
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

/** The load balancer URL, or DEPLOY_WIZARD_HEALTH_URL: a base URL gets the validation path appended. */
export function healthUrl(ctx: StepContext, lbUrl: string): string {
  const { path } = expectations(ctx);
  const override = ctx.settings.healthUrl;
  if (!override) return `${lbUrl}${path}`;
  const u = new URL(override);
  return u.pathname === '/' || u.pathname === '' ? `${u.origin}${path}${u.search}` : override;
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

async function probeUntilHealthy(ctx: StepContext, url: string): Promise<FirstBootCheck> {
  const start = ctx.clock.now().getTime();
  let last = 'no answer yet';
  try {
    await waitFor({
      stepId: 'first-boot',
      what: `GET ${url}`,
      clock: ctx.clock,
      signal: ctx.signal,
      deadlineMs: expectations(ctx).deadlineMs,
      firstDelayMs: 2_000,
      maxDelayMs: 10_000,
      onStatus: (l) => ctx.log.info(l),
      poll: async () => {
        try {
          const res = await ctx.probe(url, ctx.signal);
          const problem = judge(ctx, res);
          last = problem ?? `HTTP ${res.status}`;
          return { done: !problem, status: last };
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          last = `no answer (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name})`;
          return { done: false, status: last };
        }
      },
    });
  } catch (e) {
    if (!(e instanceof StepError)) throw e;
    throw new StepError('first-boot', `probe health: ${url} did not answer as expected within ${expectations(ctx).deadlineMs / 1000}s: ${last}`);
  }
  return { name: `GET ${url}`, ok: true, ms: ctx.clock.now().getTime() - start, detail: last };
}

async function rolloutCheck(ctx: StepContext, svc: ServiceOutput): Promise<FirstBootCheck> {
  const start = ctx.clock.now().getTime();
  const s = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: svc.clusterName, services: [svc.serviceName] }))).services?.[0];
  const primary = s?.deployments?.find((d) => d.status === 'PRIMARY');
  const ok = primary?.rolloutState === 'COMPLETED' && s?.taskDefinition === svc.taskDefinitionArn && (s?.runningCount ?? 0) >= (s?.desiredCount ?? 1);
  return { name: 'rollout', ok, ms: ctx.clock.now().getTime() - start, detail: `${primary?.rolloutState ?? 'no deployment'}, ${s?.runningCount ?? 0}/${s?.desiredCount ?? 0} running` };
}

async function targetHealthCheck(ctx: StepContext, svc: ServiceOutput): Promise<FirstBootCheck> {
  const start = ctx.clock.now().getTime();
  if (ctx.settings.healthUrl) {
    // The probe did not go through the load balancer, so its targets say nothing about this app.
    return { name: 'target health', ok: true, ms: 0, detail: 'not checked: DEPLOY_WIZARD_HEALTH_URL bypasses the load balancer' };
  }
  const targets = (await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: svc.targetGroupArn }))).TargetHealthDescriptions ?? [];
  const healthy = targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
  const other = targets.filter((t) => t.TargetHealth?.State !== 'healthy').map((t) => `${t.Target?.Id}: ${t.TargetHealth?.State} ${t.TargetHealth?.Reason ?? ''}`.trim());
  return { name: 'target health', ok: healthy > 0, ms: ctx.clock.now().getTime() - start, detail: `${healthy}/${targets.length} healthy${other.length ? `; ${other.join(', ')}` : ''}` };
}

export function formatChecks(checks: FirstBootCheck[]): string[] {
  const w = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.ok ? '✔' : '✖'} ${c.name.padEnd(w)}  ${(c.ms / 1000).toFixed(1).padStart(5)}s  ${c.detail ?? ''}`);
}

export const firstBoot: Step<FirstBootOutput> = {
  id: 'first-boot',
  title: 'Prove the app answers (first boot)',
  dependsOn: ['service'],

  async inputs(ctx) {
    const svc = ctx.output<ServiceOutput>('service');
    return { td: svc.taskDefinitionArn, url: healthUrl(ctx, svc.url), expect: expectations(ctx) };
  },

  async plan(ctx) {
    const e = expectations(ctx);
    return [{ action: 'keep', resource: 'first-boot check', detail: `GET ${e.path} expects ${e.status}${e.json ? ` and ${JSON.stringify(e.json)}` : ''} within ${e.deadlineMs / 1000}s` }];
  },

  async apply(ctx) {
    const svc = ctx.output<ServiceOutput>('service');
    const td = ctx.output<TaskDefinitionOutput>('task-definition');
    const url = healthUrl(ctx, svc.url);
    const checks: FirstBootCheck[] = [];
    let failure: StepError | undefined;
    try {
      checks.push(await probeUntilHealthy(ctx, url));
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      failure = e;
      checks.push({ name: `GET ${url}`, ok: false, ms: expectations(ctx).deadlineMs, detail: e.message.replace(/^probe health: /, '') });
    }
    checks.push(await rolloutCheck(ctx, svc));
    checks.push(await targetHealthCheck(ctx, svc));
    for (const line of formatChecks(checks)) ctx.log.info(line);
    const bad = checks.filter((c) => !c.ok);
    if (failure || bad.length) {
      const diagnosis = await diagnoseService(ctx, { cluster: svc.clusterName, service: svc.serviceName, logGroup: td.logGroup, container: td.containerName }).catch(() => []);
      throw new StepError('first-boot', failure?.message ?? `first boot: ${bad.map((c) => `${c.name}: ${c.detail}`).join('; ')}`, {
        hint: ['Checks:', ...formatChecks(checks), ...(diagnosis.length ? ['', 'What ECS says:', ...diagnosis] : []), '', 'Fix the cause and run the same command again; it resumes at this check.'].join('\n'),
      });
    }
    return { url, checks };
  },

  // An unchanged re-run still asks the app once: a deploy that reports success should mean it answers now.
  async verify(ctx, out) {
    try {
      const res = await ctx.probe(out.url, ctx.signal);
      const problem = judge(ctx, res);
      return [{ name: `GET ${out.url}`, ok: !problem, detail: problem }];
    } catch (e) {
      return [{ name: `GET ${out.url}`, ok: false, detail: (e as Error).message }];
    }
  },
};
