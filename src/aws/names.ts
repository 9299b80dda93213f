import { createHash } from 'node:crypto';

// Deterministic names for what each service owns. The service called "web"
// keeps the names a single-service deploy always had (ECS service <app>,
// target group <app>-<env>): those two cannot be renamed without replacing
// them, and state from before several services existed must upgrade in place.
// Task definition families and log stream prefixes can change freely.

type AppEnv = { app: string; env: string };

/** Load balancer and target group names are at most 32 characters. */
export function elbName(app: string, env: string): string {
  // A load balancer name may not begin with "internal-" (AWS reserves it); an app called internal-tools still gets one.
  const name = `${app.startsWith('internal-') ? 'dw-' : ''}${app}-${env}`;
  return name.length <= 32 ? name : `${name.slice(0, 23).replace(/-+$/, '')}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

export const ecsServiceName = (ctx: Pick<AppEnv, 'app'>, service: string) => (service === 'web' ? ctx.app : `${ctx.app}-${service}`);
export const targetGroupName = (ctx: AppEnv, service: string) => (service === 'web' ? elbName(ctx.app, ctx.env) : elbName(ctx.app, `${ctx.env}-${service}`));
export const familyName = (ctx: AppEnv, service: string) => `${ctx.app}-${ctx.env}-${service}`;
export const logGroupName = (ctx: AppEnv) => `/ecs/${ctx.app}-${ctx.env}`;
/** EventBridge Scheduler: names and groups are at most 64 of [0-9a-zA-Z-_.]. */
export const scheduleGroupName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}`;
export const scheduleName = (ctx: AppEnv, schedule: string) => `${ctx.app}-${ctx.env}-${schedule}`;
