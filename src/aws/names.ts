import { createHash } from 'node:crypto';
import { partitionOf } from '../config/regions.js';

// Deterministic names for what each service owns. The service called "web"
// keeps the names a single-service deploy always had (ECS service <app>,
// target group <app>-<env>): those two cannot be renamed without replacing
// them, and state from before several services existed must upgrade in place.
// Task definition families and log stream prefixes can change freely.

type AppEnv = { app: string; env: string };

/** Role names are at most 64 characters; long app/env names are shortened with a hash. */
export function roleName(app: string, env: string, kind: string): string {
  const name = `${app}-${env}-${kind}`;
  if (name.length <= 64) return name;
  const h = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 64 - kind.length - 10)}-${h}-${kind}`;
}

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
/**
 * Each schedule runs its own task definition family (the service's, with the
 * schedule's command and log stream prefix), so its runs' logs are apart from
 * the service's. The double hyphen keeps it from ever matching a service's
 * family: config names have single hyphens only.
 */
export const scheduleFamilyName = (ctx: AppEnv, schedule: string) => `${ctx.app}-${ctx.env}--schedule-${schedule}`;
/** The log stream prefix of a schedule's runs; a dot, which service names never have. */
export const scheduleStreamPrefix = (schedule: string) => `schedule.${schedule}`;

const short = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** The site bucket: bucket names are global and at most 63 characters, so the account id makes it ours and a hash keeps it short. */
export function siteBucketName(ctx: AppEnv & { account: string }): string {
  const name = `${ctx.app}-${ctx.env}-site-${ctx.account}`;
  return name.length <= 63 ? name : `${`${ctx.app}-${ctx.env}`.slice(0, 36).replace(/-+$/, '')}-site-${short(name, 8)}-${ctx.account}`.slice(0, 63);
}
/** CloudFront origin access controls: unique per account, at most 64 characters. */
export const originAccessControlName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}-site`;
/** A distribution cannot be named or looked up by tag alone; its comment (at most 128 characters) narrows the search before the tags decide. */
export const distributionComment = (ctx: AppEnv) => `deploy-wizard ${ctx.app}/${ctx.env}`;
/** WAFv2 web ACL names: 1-128 of [A-Za-z0-9_-], unique per scope and region. */
export const webAclName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}`;
/** ACM idempotency tokens are at most 32 word characters and last an hour: one per app, env, region and set of names. */
export const certificateToken = (ctx: AppEnv, region: string, names: readonly string[]) =>
  short(`${ctx.app}/${ctx.env}/${region}/${[...names].sort().join(',')}`, 32);

/** An image's ECR repository: the config's own name, or <app>-<env> for the default image and <app>-<env>-<image> for the others. */
export function repositoryName(ctx: { app: string; env: string; config: { images: Record<string, { repository?: string }> } }, name: string): string {
  const spec = ctx.config.images[name]!;
  return spec.repository ?? (name === 'default' ? `${ctx.app}-${ctx.env}` : `${ctx.app}-${ctx.env}-${name}`);
}

/** The managed policy set as the permissions boundary of every role the wizard makes; managed policy names are at most 128 characters. */
export const boundaryPolicyName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}-boundary`;

/** The schedules' dead-letter queue: SQS names are at most 80 of [A-Za-z0-9_-]. */
export function scheduleDlqName(ctx: AppEnv): string {
  const name = `${ctx.app}-${ctx.env}-schedules-dlq`;
  return name.length <= 80 ? name : `${`${ctx.app}-${ctx.env}`.slice(0, 54)}-${short(name, 8)}-schedules-dlq`;
}

/** The schedules' dead-letter queue's ARN: known before it exists (the scheduler role's policy names it). */
export const scheduleDlqArn = (w: AppEnv & { account: string; region: string }) =>
  `arn:${partitionOf(w.region)}:sqs:${w.region}:${w.account}:${scheduleDlqName(w)}`;
