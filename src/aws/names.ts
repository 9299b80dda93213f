import { createHash } from 'node:crypto';
import { partitionOf } from '../config/regions.js';
import type { Config } from '../config/schema.js';
import { hasOwnTaskRole } from '../config/normalize.js';
import { sharedEnv } from '../preview/preview-of.js';

// Deterministic names for what each service owns. The service called "web"
// keeps the names a single-service deploy always had (ECS service <app>,
// target group <app>-<env>): those two cannot be renamed without replacing
// them, and state from before several services existed must upgrade in place.
// Task definition families and log stream prefixes can change freely.

/** An app and env; a preview's (src/preview/) also names its parent, whose cluster, secret prefix and repositories it uses. */
type AppEnv = { app: string; env: string; preview?: { name: string; parent: string } };

/**
 * `name` when it fits in `max`; else its first characters, a hyphen and 8 hex
 * characters of its hash (so two long names never meet), ending in `suffix`
 * when one is given (the part that says what the resource is).
 */
export function fit(name: string, max: number, suffix = ''): string {
  if (name.length <= max) return name;
  const h = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const head = name
    .slice(0, name.length - suffix.length)
    .slice(0, max - suffix.length - 9)
    .replace(/[-_.]+$/, '');
  return `${head}-${h}${suffix}`;
}

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
  return fit(name, 32);
}

/** A preview's services share the parent's cluster: theirs carry the preview's name, with the double hyphen no service name has. */
export const ecsServiceName = (ctx: Pick<AppEnv, 'app' | 'preview'>, service: string) =>
  ctx.preview ? `${ctx.app}--${ctx.preview.name}-${service}` : service === 'web' ? ctx.app : `${ctx.app}-${service}`;
/**
 * Target group names take no double hyphen, so a preview's are spelled with "-pv-" between its parent and its
 * name; a name taken by anything else is refused by its tags, never adopted.
 */
export const targetGroupName = (ctx: AppEnv, service: string) =>
  ctx.preview
    ? elbName(ctx.app, `${ctx.preview.parent}-pv-${ctx.preview.name}-${service}`)
    : service === 'web'
      ? elbName(ctx.app, ctx.env)
      : elbName(ctx.app, `${ctx.env}-${service}`);
export const familyName = (ctx: AppEnv, service: string) => `${ctx.app}-${ctx.env}-${service}`;
export const logGroupName = (ctx: AppEnv) => `/ecs/${ctx.app}-${ctx.env}`;
/** EventBridge Scheduler: names and groups are at most 64 of [0-9a-zA-Z-_.]. */
export const scheduleGroupName = (ctx: AppEnv) => fit(`${ctx.app}-${ctx.env}`, 64);
export const scheduleName = (ctx: AppEnv, schedule: string) => fit(`${ctx.app}-${ctx.env}-${schedule}`, 64, `-${schedule}`.slice(0, 24));
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

/**
 * A bucket of this app and env named `<app>-<env>-<role>-<account>`: bucket names are global and at most 63
 * characters, so the account id makes it ours; when it is too long, app-env is cut and a hash of the whole name
 * keeps it unique, the role and the account kept.
 */
function accountBucketName(ctx: AppEnv & { account: string }, role: string): string {
  const name = `${ctx.app}-${ctx.env}-${role}-${ctx.account}`;
  if (name.length <= 63) return name;
  const room = 63 - `-${role}-`.length - 9 - ctx.account.length;
  return `${`${ctx.app}-${ctx.env}`.slice(0, room).replace(/-+$/, '')}-${role}-${short(name, 8)}-${ctx.account}`.slice(0, 63);
}
/** The site bucket. */
export const siteBucketName = (ctx: AppEnv & { account: string }) => accountBucketName(ctx, 'site');
/** The transfer bucket `db import` and `db export` go through. */
export const transferBucketName = (ctx: AppEnv & { account: string }) => accountBucketName(ctx, 'transfer');
/** CloudFront origin access controls: unique per account, at most 64 characters. */
export const originAccessControlName = (ctx: AppEnv) => fit(`${ctx.app}-${ctx.env}-site`, 64, '-site');
/** CloudFront Functions: 1-64 of [a-zA-Z0-9-_], unique per account. The site's single-page fallback. */
export const spaFunctionName = (ctx: AppEnv) => fit(`${ctx.app}-${ctx.env}-spa`, 64, '-spa');
/** A distribution cannot be named or looked up by tag alone; its comment (at most 128 characters) narrows the search before the tags decide. */
export const distributionComment = (ctx: AppEnv) => `deploy-wizard ${ctx.app}/${ctx.env}`;
/** WAFv2 web ACL names: 1-128 of [A-Za-z0-9_-], unique per scope and region. */
export const webAclName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}`;
/** ACM idempotency tokens are at most 32 word characters and last an hour: one per app, env, region and set of names. */
export const certificateToken = (ctx: AppEnv, region: string, names: readonly string[]) =>
  short(`${ctx.app}/${ctx.env}/${region}/${[...names].sort().join(',')}`, 32);

/** An image's ECR repository: the config's own name, or <app>-<env> for the default image and <app>-<env>-<image> for the others. */
export function repositoryName(ctx: AppEnv & { config: { images: Record<string, { repository?: string }> } }, name: string): string {
  const spec = ctx.config.images[name]!;
  // A preview pushes its build to the parent's repositories.
  const env = sharedEnv(ctx);
  return spec.repository ?? (name === 'default' ? `${ctx.app}-${env}` : `${ctx.app}-${env}-${name}`);
}

/** An image repository's build cache (steps/ecr-push/build-cache.ts): a name no image repository takes (they hold no "/"). */
export const cacheRepositoryName = (repository: string) => `${repository}/build-cache`;

/** The env tag of the previews' shared boundary: its parent's previews as a whole. */
export const previewsBoundaryEnv = (parent: string) => `${parent}--previews`;
/**
 * The managed policy set as the permissions boundary of every role the wizard makes; managed policy names are at
 * most 128 characters. Every preview of a parent shares one, made by `ci github --previews` (or the first preview
 * up) and never by the previews' role.
 */
export const boundaryPolicyName = (ctx: AppEnv) => (ctx.preview ? `${ctx.app}-${ctx.preview.parent}--previews-boundary` : `${ctx.app}-${ctx.env}-boundary`);

/** The schedules' dead-letter queue: SQS names are at most 80 of [A-Za-z0-9_-]. */
export const scheduleDlqName = (ctx: AppEnv) => fit(`${ctx.app}-${ctx.env}-schedules-dlq`, 80, '-schedules-dlq');

/** The schedules' dead-letter queue's ARN: known before it exists (the scheduler role's policy names it). */
export const scheduleDlqArn = (w: AppEnv & { account: string; region: string }) =>
  `arn:${partitionOf(w.region)}:sqs:${w.region}:${w.account}:${scheduleDlqName(w)}`;

/** The database instance: 1-63 letters, digits and single hyphens, starting with a letter. */
export const rdsIdentifier = (app: string, env: string) => fit(`${app}-${env}`, 63);

/** The RDS Proxy: 1-60 letters, digits and single hyphens, starting with a letter. */
export const proxyName = (ctx: AppEnv) => fit(`${ctx.app}-${ctx.env}`, 60);

/** The role the RDS Proxy reads the database credentials with. */
export const proxyRoleName = (ctx: AppEnv) => roleName(ctx.app, ctx.env, 'rds-proxy');

/** The Redis replication group: 1-40 letters, digits and single hyphens, starting with a letter. */
export const replicationGroupId = (app: string, env: string) => fit(`${app}-${env}`, 40);

/** One name the wizard makes, AWS's rule for it, and how a long one is shortened (the README's table). */
export interface NameRule {
  resource: string;
  /** Built for an app and env (a service or schedule named `part`). */
  make: (app: string, env: string, part: string) => string;
  max: number;
  pattern: RegExp;
  shortened: string;
}

const HASHED = 'cut, then a hyphen and 8 hex characters of a hash of the whole name';
const lbName = /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const dbId = /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/;
export const NAME_RULES: NameRule[] = [
  { resource: 'IAM role', make: (a, e, p) => roleName(a, e, `${p}-task`), max: 64, pattern: /^[\w+=,.@-]+$/, shortened: `${HASHED}, keeping the role's kind` },
  {
    resource: 'IAM permissions boundary policy',
    make: (a, e) => boundaryPolicyName({ app: a, env: e }),
    max: 128,
    pattern: /^[\w+=,.@-]+$/,
    shortened: 'never needed',
  },
  { resource: 'Load balancer', make: (a, e) => elbName(a, e), max: 32, pattern: lbName, shortened: HASHED },
  { resource: 'Target group', make: (a, e, p) => targetGroupName({ app: a, env: e }, p), max: 32, pattern: lbName, shortened: HASHED },
  {
    resource: 'ECR repository',
    make: (a, e, p) => repositoryName({ app: a, env: e, config: { images: { [p]: {} } } }, p),
    max: 256,
    pattern: /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    shortened: 'never needed',
  },
  {
    resource: 'ECS cluster, service, task definition family',
    make: (a, e, p) => scheduleFamilyName({ app: a, env: e }, p),
    max: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    shortened: 'never needed',
  },
  { resource: 'CloudWatch Logs group', make: (a, e) => logGroupName({ app: a, env: e }), max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/, shortened: 'never needed' },
  { resource: 'RDS instance', make: (a, e) => rdsIdentifier(a, e), max: 63, pattern: dbId, shortened: HASHED },
  { resource: 'ElastiCache replication group', make: (a, e) => replicationGroupId(a, e), max: 40, pattern: dbId, shortened: HASHED },
  {
    resource: 'Site bucket',
    make: (a, e) => siteBucketName({ app: a, env: e, account: '123456789012' }),
    max: 63,
    pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
    shortened: `${HASHED}, keeping -site- and the account`,
  },
  {
    resource: 'Transfer bucket (db import, db export)',
    make: (a, e) => transferBucketName({ app: a, env: e, account: '123456789012' }),
    max: 63,
    pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
    shortened: `${HASHED}, keeping -transfer- and the account`,
  },
  {
    resource: 'CloudFront origin access control',
    make: (a, e) => originAccessControlName({ app: a, env: e }),
    max: 64,
    pattern: /^[A-Za-z0-9_.-]+$/,
    shortened: `${HASHED}, keeping -site`,
  },
  {
    resource: 'CloudFront function',
    make: (a, e) => spaFunctionName({ app: a, env: e }),
    max: 64,
    pattern: /^[A-Za-z0-9_-]+$/,
    shortened: `${HASHED}, keeping -spa`,
  },
  { resource: 'WAF web ACL', make: (a, e) => webAclName({ app: a, env: e }), max: 128, pattern: /^[\w-]+$/, shortened: 'never needed' },
  { resource: 'Schedule group', make: (a, e) => scheduleGroupName({ app: a, env: e }), max: 64, pattern: /^[0-9A-Za-z_.-]+$/, shortened: HASHED },
  {
    resource: 'Schedule',
    make: (a, e, p) => scheduleName({ app: a, env: e }, p),
    max: 64,
    pattern: /^[0-9A-Za-z_.-]+$/,
    shortened: `${HASHED}, keeping the schedule's name`,
  },
  {
    resource: "Schedules' dead-letter queue (SQS)",
    make: (a, e) => scheduleDlqName({ app: a, env: e }),
    max: 80,
    pattern: /^[A-Za-z0-9_-]+$/,
    shortened: `${HASHED}, keeping -schedules-dlq`,
  },
];

/** The ECS cluster: one per app and env. */
export const clusterName = (ctx: AppEnv) => `${ctx.app}-${sharedEnv(ctx)}`;
/** The alarms' SNS topic. */
export const topicName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}-alarms`;
/** alarms.slack: the AWS Chatbot Slack channel configuration (unique in the account; [A-Za-z0-9-_], 128 at most) and the role Chatbot assumes. */
export const slackConfigName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}-alarms`;
export const chatbotRoleName = (ctx: AppEnv) => roleName(ctx.app, ctx.env, 'chatbot');
/** The app's CloudWatch dashboard. */
export const dashboardName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}`;
/** Budget names are unique per account; the prefix says whose it is. */
export const budgetName = (ctx: AppEnv) => `deploy-wizard-${ctx.app}-${ctx.env}`;

// Secrets Manager names; the ARN adds "-" and six random characters.
/** The app's one secret, `<app>/<env>`: a JSON object of every key the app gets. */
export const appSecretName = (ctx: AppEnv) => (ctx.preview ? previewSecretName(ctx.app, ctx.preview.parent, ctx.preview.name) : `${ctx.app}/${ctx.env}`);
/** A preview's own secret, under its parent's: `<app>/<parent>/previews/<name>`. */
export const previewSecretName = (app: string, parent: string, name: string) => `${app}/${parent}/previews/${name}`;
/** A preview's database role's credentials, beside its secret. */
export const previewDbSecretName = (ctx: AppEnv & { preview: { name: string; parent: string } }) =>
  `${previewSecretName(ctx.app, ctx.preview.parent, ctx.preview.name)}/db`;
/**
 * The database role previews sign in as on their parent's instance (CREATEDB, CREATEROLE, and SELECT on the
 * parent's tables, never the master user's rights), and its credentials, under the previews' secrets.
 */
export const previewsAdminSecretName = (app: string, parent: string) => `${app}/${parent}/previews/_admin`;
export const previewsAdminRole = (app: string) => `${app.replace(/-/g, '_')}_previews`.slice(0, 63);
/** A preview's database and its role on the parent's instance: `<db>_<name>`, hyphens as underscores (Postgres identifiers, at most 63). */
export const previewDatabaseName = (parentDb: string, name: string) => `${parentDb}_${name.replace(/-/g, '_')}`.slice(0, 63);
/** The database's master credentials. */
export const rdsMasterSecretName = (ctx: AppEnv) => `${ctx.app}/${ctx.env}/rds-master`;
/** The application's own database role. */
export const appDbSecretName = (ctx: AppEnv) => `${ctx.app}/${ctx.env}/db-app`;
/** The Redis AUTH token. */
export const redisAuthSecretName = (ctx: AppEnv) => `${ctx.app}/${ctx.env}/redis-auth`;
/** The header value CloudFront sends the load balancer (src/site/origin-verify.ts), made and read by the load-balancer step. */
export const originVerifySecretName = (ctx: AppEnv) => `${ctx.app}/${ctx.env}/origin-verify`;

/** A service's own task role: <app>-<env>-<service>-task. */
export const serviceRoleName = (ctx: AppEnv, service: string) => roleName(ctx.app, ctx.env, `${service}-task`);

/** Every role name this config makes: what the CI role may touch, and nothing else. */
export function appRoleNames(w: AppEnv & { config: Pick<Config, 'services' | 'schedules'> }): string[] {
  const names = [roleName(w.app, w.env, 'execution'), roleName(w.app, w.env, 'task')];
  for (const svc of Object.values(w.config.services)) if (hasOwnTaskRole(svc)) names.push(serviceRoleName(w, svc.name));
  if (Object.keys(w.config.schedules).length) names.push(roleName(w.app, w.env, 'scheduler'));
  return names;
}

/** The permissions boundary every role of the app carries. */
export const boundaryArn = (w: AppEnv & { account: string; region: string }) =>
  `arn:${partitionOf(w.region)}:iam::${w.account}:policy/${boundaryPolicyName(w)}`;

/** The database setup task's family (the pgvector step's one-off task). */
export const dbSetupFamilyName = (ctx: AppEnv) => `${ctx.app}-${ctx.env}-db-setup`;
