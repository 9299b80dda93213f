import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type Role,
} from '@aws-sdk/client-iam';
import type { StepContext } from '../pipeline/context.js';
import type { StepId } from '../pipeline/outputs.js';
import { StepError } from '../errors.js';
import { canonicalJson } from '../canonical-json.js';
import { ownedBy, ownershipTags } from '../pipeline/step.js';
import { partitionOf } from '../config/regions.js';
import { unlessNotFound, isError } from './not-found.js';
import { boundaryArn } from './names.js';
import type { RoleSpec as BaseSpec } from './app-roles.js';

// A role of the app's, converged to its spec: created with the app's permissions boundary (the CI role may
// create roles only with it), its trust and inline policy rewritten when they drift. The iam-roles step makes
// the app's roles with it, the rds-proxy step the proxy's.

export interface RoleSpec extends BaseSpec {
  managed: string[];
}

/**
 * Attached by earlier versions; it grants ECR and Logs on every resource, so
 * a role that still has it is converged by detaching it (the inline policy
 * grants the same on this app's repository and log group only).
 */
export const LEGACY_MANAGED_POLICY = 'AmazonECSTaskExecutionRolePolicy';
const INLINE = 'deploy-wizard';

export async function getRole(ctx: StepContext, name: string): Promise<Role | undefined> {
  return (await unlessNotFound(ctx.aws.iam.send(new GetRoleCommand({ RoleName: name })), 'NoSuchEntityException', 'NoSuchEntity'))?.Role;
}

// IAM returns policy documents URL-encoded.
const decodePolicy = (doc: string | undefined) => (doc ? JSON.parse(decodeURIComponent(doc)) : undefined);

async function inlinePolicies(ctx: StepContext, role: string): Promise<Map<string, unknown>> {
  const names = (await ctx.aws.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
  const out = new Map<string, unknown>();
  for (const n of names) out.set(n, decodePolicy((await ctx.aws.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: n }))).PolicyDocument));
  return out;
}

/** What differs between the role in IAM and the spec, as labels; read-only. */
export async function drift(ctx: StepContext, spec: RoleSpec, role: Role): Promise<string[]> {
  const out: string[] = [];
  if (role.PermissionsBoundary?.PermissionsBoundaryArn !== boundaryArn(ctx)) out.push('permissions boundary');
  if (canonicalJson(decodePolicy(role.AssumeRolePolicyDocument)) !== canonicalJson(spec.trust)) out.push('trust policy');
  const attached = (await ctx.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: spec.name }))).AttachedPolicies ?? [];
  for (const m of spec.managed) if (!attached.some((a) => a.PolicyArn === m)) out.push(`attach ${m.split('/').pop()}`);
  for (const a of attached) if (a.PolicyName === LEGACY_MANAGED_POLICY && !spec.managed.includes(a.PolicyArn!)) out.push(`detach ${LEGACY_MANAGED_POLICY}`);
  const inline = await inlinePolicies(ctx, spec.name);
  if (spec.inline.Statement.length === 0) {
    if (inline.has(INLINE)) out.push('remove inline policy');
  } else if (canonicalJson(inline.get(INLINE)) !== canonicalJson(spec.inline)) out.push('inline policy');
  return out;
}

export async function ensureRole(ctx: StepContext, spec: RoleSpec, step: StepId): Promise<Role> {
  let role = await getRole(ctx, spec.name);
  if (!role) {
    ctx.log.info(`creating IAM role ${spec.name}`);
    try {
      role = (
        await ctx.aws.iam.send(
          new CreateRoleCommand({
            RoleName: spec.name,
            AssumeRolePolicyDocument: JSON.stringify(spec.trust),
            Description: spec.description,
            // Created with the boundary: the CI role may create roles only with it (see src/aws/app-roles.ts).
            PermissionsBoundary: boundaryArn(ctx),
            Tags: ownershipTags(ctx, step),
          }),
        )
      ).Role;
    } catch (e) {
      if (!isError(e, 'EntityAlreadyExistsException', 'EntityAlreadyExists')) throw e;
      role = await getRole(ctx, spec.name);
    }
    if (!role) throw new Error(`IAM role ${spec.name} was created but cannot be read`);
  } else if (!ownedBy(ctx, role.Tags)) {
    throw new StepError(step, `adopt role: IAM role ${spec.name} exists but was not created by deploy-wizard`, {
      hint: `Rename or delete it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} so the wizard may manage its policies.`,
    });
  }
  const d = await drift(ctx, spec, role);
  // A role made before roles had a boundary gets it before anything else changes on it.
  if (d.includes('permissions boundary'))
    await ctx.aws.iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: spec.name, PermissionsBoundary: boundaryArn(ctx) }));
  if (d.includes('trust policy'))
    await ctx.aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: spec.name, PolicyDocument: JSON.stringify(spec.trust) }));
  for (const m of spec.managed)
    if (d.includes(`attach ${m.split('/').pop()}`)) await ctx.aws.iam.send(new AttachRolePolicyCommand({ RoleName: spec.name, PolicyArn: m }));
  if (d.includes(`detach ${LEGACY_MANAGED_POLICY}`)) {
    const arn = `arn:${partitionOf(ctx.region)}:iam::aws:policy/service-role/${LEGACY_MANAGED_POLICY}`;
    await ctx.aws.iam.send(new DetachRolePolicyCommand({ RoleName: spec.name, PolicyArn: arn }));
  }
  if (d.includes('inline policy'))
    await ctx.aws.iam.send(new PutRolePolicyCommand({ RoleName: spec.name, PolicyName: INLINE, PolicyDocument: JSON.stringify(spec.inline) }));
  if (d.includes('remove inline policy')) await ctx.aws.iam.send(new DeleteRolePolicyCommand({ RoleName: spec.name, PolicyName: INLINE }));
  if (d.length) ctx.log.info(`${spec.name}: ${d.join(', ')}`);
  return role;
}
