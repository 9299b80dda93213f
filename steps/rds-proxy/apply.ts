import {
  CreateDBProxyCommand,
  DeleteDBProxyCommand,
  DescribeDBProxyTargetsCommand,
  ListTagsForResourceCommand,
  ModifyDBProxyCommand,
  RegisterDBProxyTargetsCommand,
  type DBProxy,
  type UserAuthConfig,
} from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { StepError } from '../../src/errors.js';
import { proxyName, proxyRoleName } from '../../src/aws/names.js';
import { policyVars, roleSpecs } from '../../src/aws/app-roles.js';
import { drift, ensureRole, getRole, type RoleSpec } from '../../src/aws/ensure-role.js';
import { retryIamPropagation } from '../../src/aws/retry-iam-propagation.js';
import { isError } from '../../src/aws/not-found.js';
import { findProxy, proxySettled } from './find-proxy.js';

export interface RdsProxyOutput {
  name: string;
  arn: string;
  /** What DATABASE_URL connects to: the proxy's default (read/write) endpoint. */
  endpoint: string;
  roleArn: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    'rds-proxy': RdsProxyOutput;
  }
}

/** The credentials the proxy may connect with: the application role's (DATABASE_URL) and the master user's (setup, migrations by hand). */
function secretArns(ctx: StepContext): string[] {
  const rds = ctx.output('rds');
  return [rds.appSecretArn, rds.masterSecretArn].filter((a): a is string => !!a);
}

function roleSpec(ctx: StepContext, arns: string[]): RoleSpec {
  const vars = policyVars(ctx, {});
  const spec = roleSpecs({ app: ctx.app, env: ctx.env, account: ctx.account, region: ctx.region, config: ctx.config }, vars, { secretArns: arns }).find(
    (s) => s.kind === 'rds-proxy',
  )!;
  return { ...spec, managed: [] };
}

/** Each secret as an Auth entry: Secrets Manager credentials, no IAM authentication, SCRAM between client and proxy. */
const auth = (arns: string[]): UserAuthConfig[] =>
  arns.map((SecretArn) => ({ AuthScheme: 'SECRETS', SecretArn, IAMAuth: 'DISABLED', ClientPasswordAuthType: 'POSTGRES_SCRAM_SHA_256' }));

export async function proxyOwned(ctx: StepContext, p: DBProxy): Promise<boolean> {
  const tags = (await ctx.aws.rds.send(new ListTagsForResourceCommand({ ResourceName: p.DBProxyArn }))).TagList;
  return ownedBy(ctx, tags);
}

interface Want {
  roleArn: string;
  secretArns: string[];
  subnetIds: string[];
  securityGroupId: string;
}

/** What differs between the proxy and what is wanted. Subnets cannot change on a proxy: a change there makes it again. */
function proxyDrift(p: DBProxy, w: Want): { modify: string[]; replace: boolean } {
  const modify: string[] = [];
  const have = (p.Auth ?? []).map((a) => a.SecretArn).sort();
  if (have.join() !== [...w.secretArns].sort().join()) modify.push('credentials');
  if (p.RoleArn !== w.roleArn) modify.push('role');
  if (!p.RequireTLS) modify.push('require TLS');
  if ((p.VpcSecurityGroupIds ?? []).join() !== w.securityGroupId) modify.push('security group');
  const replace = [...(p.VpcSubnetIds ?? [])].sort().join() !== [...w.subnetIds].sort().join();
  return { modify, replace };
}

async function createProxy(ctx: StepContext, w: Want): Promise<void> {
  ctx.log.info(`creating RDS Proxy ${proxyName(ctx)} in ${w.subnetIds.join(', ')}`);
  try {
    // A role just made may not be assumable by RDS for some seconds.
    await retryIamPropagation(
      () =>
        ctx.aws.rds.send(
          new CreateDBProxyCommand({
            DBProxyName: proxyName(ctx),
            EngineFamily: 'POSTGRESQL',
            Auth: auth(w.secretArns),
            RoleArn: w.roleArn,
            VpcSubnetIds: w.subnetIds,
            VpcSecurityGroupIds: [w.securityGroupId],
            RequireTLS: true,
            IdleClientTimeout: 1800,
            Tags: ownershipTags(ctx, 'rds-proxy'),
          }),
        ),
      { clock: ctx.clock, signal: ctx.signal, onRetry: (m) => ctx.log.info(m) },
    );
  } catch (e) {
    // A crash right after the call: the proxy of that name is ours, found on the next read.
    if (!isError(e, 'DBProxyAlreadyExistsFault')) throw e;
  }
}

export const rdsProxy: StepCode<'rds-proxy'> = {
  async inputs(ctx) {
    const net = ctx.output('network');
    return { rds: ctx.output('rds').identifier, secrets: secretArns(ctx), subnets: net.dataSubnetIds ?? net.subnetIds, group: net.securityGroups.proxy };
  },

  async plan(ctx) {
    const p = await findProxy(ctx);
    const role = await getRole(ctx, proxyRoleName(ctx));
    const items: PlanItem[] = [
      { action: role ? 'keep' : 'create', resource: `IAM role ${proxyRoleName(ctx)}`, detail: 'read the database credentials the proxy connects with' },
    ];
    items.push(
      p
        ? { action: 'keep', resource: `RDS Proxy ${proxyName(ctx)}`, detail: `${p.Status}, ${p.Endpoint}` }
        : {
            action: 'create',
            resource: `RDS Proxy ${proxyName(ctx)}`,
            detail: 'PostgreSQL, TLS required, in the data subnets; DATABASE_URL goes through it, DATABASE_DIRECT_URL reaches the instance',
          },
    );
    return items;
  },

  async apply(ctx) {
    const rds = ctx.output('rds');
    const net = ctx.output('network');
    if (!net.securityGroups.proxy) throw new Error('network did not create the proxy security group');
    const arns = secretArns(ctx);
    const role = await ensureRole(ctx, roleSpec(ctx, arns), 'rds-proxy');
    const want: Want = { roleArn: role.Arn!, secretArns: arns, subnetIds: net.dataSubnetIds ?? net.subnetIds, securityGroupId: net.securityGroups.proxy };
    let p = await findProxy(ctx);
    if (p && !(await proxyOwned(ctx, p)))
      throw new StepError('rds-proxy', `adopt proxy: RDS Proxy ${proxyName(ctx)} exists but was not created by deploy-wizard`, {
        hint: `Delete or rename it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env}.`,
      });
    if (p) {
      p = await proxySettled(ctx);
      const d = proxyDrift(p!, want);
      if (d.replace) {
        // A proxy holds no data; its subnets are fixed at creation. Connections through it drop while it is made again.
        ctx.log.info(`RDS Proxy ${proxyName(ctx)} moves to ${want.subnetIds.join(', ')}: deleting it to make it again`);
        await ctx.aws.rds.send(new DeleteDBProxyCommand({ DBProxyName: proxyName(ctx) }));
        await proxySettled(ctx, true);
        p = undefined;
      } else if (d.modify.length) {
        ctx.log.info(`RDS Proxy ${proxyName(ctx)}: ${d.modify.join(', ')}`);
        await ctx.aws.rds.send(
          new ModifyDBProxyCommand({
            DBProxyName: proxyName(ctx),
            Auth: auth(arns),
            RoleArn: want.roleArn,
            RequireTLS: true,
            SecurityGroups: [want.securityGroupId],
          }),
        );
      }
    }
    if (!p) await createProxy(ctx, want);
    p = await proxySettled(ctx);
    const targets = (await ctx.aws.rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: proxyName(ctx) }))).Targets ?? [];
    if (!targets.some((t) => t.RdsResourceId === rds.identifier)) {
      ctx.log.info(`RDS Proxy ${proxyName(ctx)}: target ${rds.identifier}`);
      // An Aurora cluster is a target as a whole: the proxy follows its writer through failovers.
      const target = rds.engine === 'aurora-postgresql' ? { DBClusterIdentifiers: [rds.identifier] } : { DBInstanceIdentifiers: [rds.identifier] };
      await ctx.aws.rds.send(new RegisterDBProxyTargetsCommand({ DBProxyName: proxyName(ctx), TargetGroupName: 'default', ...target }));
    }
    return { name: proxyName(ctx), arn: p!.DBProxyArn!, endpoint: p!.Endpoint!, roleArn: want.roleArn };
  },

  async verify(ctx, out) {
    const p = await findProxy(ctx);
    const rds = ctx.output('rds');
    const targets = p ? ((await ctx.aws.rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: out.name }))).Targets ?? []) : [];
    const role = await getRole(ctx, proxyRoleName(ctx));
    const roleDrift = role ? await drift(ctx, roleSpec(ctx, secretArns(ctx)), role) : ['missing'];
    const checks: Check[] = [
      { name: `RDS Proxy ${out.name}`, ok: p?.Status === 'available' && p.Endpoint === out.endpoint && !!p.RequireTLS, detail: p?.Status },
      { name: `proxy target ${rds.identifier}`, ok: targets.some((t) => t.RdsResourceId === rds.identifier) },
      { name: `IAM role ${proxyRoleName(ctx)}`, ok: roleDrift.length === 0, detail: roleDrift.join(', ') || undefined },
    ];
    return checks;
  },

  summary(out) {
    return { rows: [['Proxy', `${out.endpoint}:5432 (DATABASE_URL)`]] };
  },
};
