import { GetPolicyCommand } from '@aws-sdk/client-iam';
import type { StepContext } from '../../src/pipeline/context.js';
import { hasAppSecret, hasBuckets, hasCognito } from '../../src/config/features.js';
import { ownedBy, ownershipTags, type Check, type PlanItem, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { roleName, boundaryArn, serviceRoleName, previewsBoundaryEnv, previewsAdminSecretName } from '../../src/aws/names.js';
import { partitionOf } from '../../src/config/regions.js';
import { deleteRole } from '../../src/aws/delete-role.js';
import { boundaryPolicy, ensureBoundary, policyVars, roleSpecs } from '../../src/aws/app-roles.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { drift, ensureRole, getRole, type RoleSpec } from '../../src/aws/ensure-role.js';
import { hasOwnTaskRole } from '../../src/config/normalize.js';

export interface IamRolesOutput {
  executionRoleName: string;
  executionRoleArn: string;
  taskRoleName: string;
  taskRoleArn: string;
  /** Present when the config has schedules: the role EventBridge Scheduler runs their tasks with. */
  schedulerRoleName?: string;
  schedulerRoleArn?: string;
  /** Services with permissions of their own run with these task roles instead of taskRoleArn. */
  serviceTaskRoleArns?: Record<string, string>;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    'iam-roles': IamRolesOutput;
  }
}

export { roleName, serviceRoleName, policyVars };

function specs(ctx: StepContext): RoleSpec[] {
  const rdsOut = ctx.config.database ? ctx.output('rds') : undefined;
  const vars = policyVars(ctx, {
    dbSetupSecretArns:
      rdsOut && !ctx.settings.dbUrl && ctx.config.database?.access !== 'direct'
        ? [
            rdsOut.masterSecretArn,
            ...(rdsOut.appSecretArn ? [rdsOut.appSecretArn] : []),
            // The parent of previews: the setup task sets the previews' database role's password from its secret.
            ...(ctx.config.previews?.from === ctx.env && !ctx.preview
              ? [`arn:${partitionOf(ctx.region)}:secretsmanager:${ctx.region}:${ctx.account}:secret:${previewsAdminSecretName(ctx.app, ctx.env)}-??????`]
              : []),
          ]
        : [],
    secretArn: steps(ctx).secrets ? ctx.output('secrets').arn : undefined,
    bucketNames: steps(ctx).buckets ? ctx.output('s3-buckets').buckets.map((b) => b.name) : [],
    userPoolArn: steps(ctx).cognito ? ctx.output('cognito').userPoolArn : undefined,
  });
  const efs = Object.keys(ctx.config.volumes).length ? ctx.output('efs') : undefined;
  const volumes = efs
    ? { fileSystemArn: efs.fileSystemArn, accessPointArns: Object.fromEntries(Object.entries(efs.accessPoints).map(([n, a]) => [n, a.arn])) }
    : undefined;
  return roleSpecs(where(ctx), vars, {}, volumes).map((s) => ({ ...s, managed: [] }));
}

/**
 * What the boundary is written for: the run's own where, or for a preview every preview of its parent (they share
 * one boundary, so it never changes from one preview to the next).
 */
const boundaryWhere = (ctx: StepContext) =>
  ctx.preview ? { ...where(ctx), env: `${ctx.preview.parent}--*`, preview: { ...ctx.preview, name: '*', bucketPrefix: 'previews/*/' } } : where(ctx);
const where = (ctx: StepContext) => ({
  app: ctx.app,
  env: ctx.env,
  account: ctx.account,
  region: ctx.region,
  config: ctx.config,
  ...(ctx.preview ? { preview: ctx.preview } : {}),
});

/** Which upstream steps this config enables: their outputs exist only then. */
function steps(ctx: StepContext) {
  return { secrets: hasAppSecret(ctx.config), buckets: hasBuckets(ctx.config), cognito: hasCognito(ctx.config) };
}

export const iamRoles: StepCode<'iam-roles'> = {
  async inputs(ctx) {
    return {
      boundary: boundaryPolicy(boundaryWhere(ctx)),
      roles: specs(ctx).map((s) => ({ name: s.name, trust: s.trust, managed: s.managed, inline: s.inline })),
    };
  },

  async plan(ctx) {
    // Before the first deploy the upstream ARNs do not exist yet; the plan names the roles only.
    const items: PlanItem[] = [];
    const boundary = await unlessNotFound(ctx.aws.iam.send(new GetPolicyCommand({ PolicyArn: boundaryArn(ctx) })), 'NoSuchEntityException', 'NoSuchEntity');
    items.push({
      action: boundary ? 'keep' : 'create',
      resource: `IAM policy ${boundaryArn(ctx).split('/').pop()}`,
      detail: 'permissions boundary of every role below: the most they may ever do, nothing of IAM, STS or Organizations',
    });
    for (const kind of ['execution', 'task', ...(Object.keys(ctx.config.schedules).length ? (['scheduler'] as const) : [])] as const) {
      const name = roleName(ctx.app, ctx.env, kind);
      const role = await getRole(ctx, name);
      items.push({
        action: role ? 'keep' : 'create',
        resource: `IAM role ${name}`,
        detail:
          kind === 'execution'
            ? 'pull image, write logs, read the app secret'
            : kind === 'task'
              ? `this app's buckets, secret and user pool only${ctx.config.permissions.length ? ', plus:' : ''}`
              : 'run the scheduled tasks of this app only',
      });
      if (kind === 'task') {
        for (const p of ctx.config.permissions)
          items.push({ action: role ? 'update' : 'create', resource: `  allow ${p.actions.join(', ')}`, detail: `on ${p.resources.join(', ')}` });
      }
    }
    for (const svc of Object.values(ctx.config.services)) {
      if (!hasOwnTaskRole(svc)) continue;
      const name = serviceRoleName(ctx, svc.name);
      const role = await getRole(ctx, name);
      items.push({ action: role ? 'keep' : 'create', resource: `IAM role ${name}`, detail: `the task role of ${svc.name}: the app's, plus:` });
      if (svc.exec) items.push({ action: role ? 'update' : 'create', resource: '  allow ECS Exec', detail: 'the Session Manager channels, and its log group' });
      if (svc.mounts?.length)
        items.push({
          action: role ? 'update' : 'create',
          resource: `  mount ${[...new Set(svc.mounts.map((m) => m.volume))].join(', ')}`,
          detail: "the app's EFS file system, through those volumes' access points only",
        });
      for (const p of svc.permissions ?? [])
        items.push({ action: role ? 'update' : 'create', resource: `  allow ${p.actions.join(', ')}`, detail: `on ${p.resources.join(', ')}` });
    }
    return items;
  },

  async apply(ctx) {
    // The previews' shared boundary is no one preview's: tagged for them all, so no preview down deletes it.
    const tags = ownershipTags(ctx.preview ? { app: ctx.app, env: previewsBoundaryEnv(ctx.preview.parent) } : ctx, 'iam-roles');
    const boundary = await ensureBoundary(ctx.aws.iam, boundaryWhere(ctx), boundaryPolicy(boundaryWhere(ctx)), tags);
    if (boundary.changed) ctx.log.info(`permissions boundary ${boundary.arn}: ${boundary.changed}`);
    const all = specs(ctx);
    const arns = new Map<RoleSpec, string>();
    for (const spec of all) arns.set(spec, (await ensureRole(ctx, spec, 'iam-roles')).Arn!);
    const of = (kind: RoleSpec['kind']) => all.find((s) => s.kind === kind);
    const scheduler = of('scheduler');
    const serviceRoles = all.filter((s): s is RoleSpec & { kind: { service: string } } => typeof s.kind === 'object');
    return {
      executionRoleName: of('execution')!.name,
      executionRoleArn: arns.get(of('execution')!)!,
      taskRoleName: of('task')!.name,
      taskRoleArn: arns.get(of('task')!)!,
      ...(scheduler ? { schedulerRoleName: scheduler.name, schedulerRoleArn: arns.get(scheduler)! } : {}),
      ...(serviceRoles.length ? { serviceTaskRoleArns: Object.fromEntries(serviceRoles.map((s) => [s.kind.service, arns.get(s)!])) } : {}),
    };
  },

  async retired(ctx) {
    // The roles the last run made that this config no longer has: a service's own, once its permissions are gone
    // (or the service is), and the scheduler's, once the last schedule is. Deleted after the pipeline, when the
    // services run revisions without them and the schedules are gone.
    const prev = ctx.previous();
    const want = new Set([
      roleName(ctx.app, ctx.env, 'execution'),
      roleName(ctx.app, ctx.env, 'task'),
      ...(Object.keys(ctx.config.schedules).length ? [roleName(ctx.app, ctx.env, 'scheduler')] : []),
      ...Object.values(ctx.config.services)
        .filter((svc) => hasOwnTaskRole(svc))
        .map((svc) => serviceRoleName(ctx, svc.name)),
    ]);
    const had = [prev?.schedulerRoleName, ...Object.values(prev?.serviceTaskRoleArns ?? {}).map((a) => a.split('/').pop())];
    const items: Teardown[] = [];
    for (const name of had) {
      if (!name || want.has(name)) continue;
      const role = await getRole(ctx, name);
      if (role && ownedBy(ctx, role.Tags)) items.push({ resource: `IAM role ${name}`, remove: () => deleteRole(ctx, ctx.aws.iam, name) });
    }
    return items;
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    for (const spec of specs(ctx)) {
      const role = await getRole(ctx, spec.name);
      const d = role ? await drift(ctx, spec, role) : ['missing'];
      checks.push({
        name: `IAM role ${spec.name}`,
        ok:
          d.length === 0 && [out.executionRoleArn, out.taskRoleArn, out.schedulerRoleArn, ...Object.values(out.serviceTaskRoleArns ?? {})].includes(role!.Arn!),
        detail: d.join(', ') || undefined,
      });
    }
    return checks;
  },
};
