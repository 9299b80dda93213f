import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListPolicyTagsCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { StepContext } from '../pipeline/context.js';
import { ownedBy } from '../pipeline/step.js';
import { deleteManagedPolicy } from './managed-policy.js';
import { unlessNotFound } from './not-found.js';

const gone = ['NoSuchEntityException', 'NoSuchEntity'];

/**
 * Deletes one of our roles: IAM deletes a role only once it has no attached
 * or inline policies. The deploy role's own managed policies (<role>-1…N,
 * written by ci github) go with it, when ours. Gone already counts as done.
 */
export async function deleteRole(ctx: Pick<StepContext, 'app' | 'env'>, iam: IAMClient, name: string): Promise<void> {
  const attached = (await unlessNotFound(iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })), ...gone))?.AttachedPolicies ?? [];
  for (const p of attached) {
    await unlessNotFound(iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn })), ...gone);
    if (!new RegExp(`:policy/${name}-\\d+$`).test(p.PolicyArn!)) continue;
    const tags = (await unlessNotFound(iam.send(new ListPolicyTagsCommand({ PolicyArn: p.PolicyArn })), ...gone))?.Tags;
    if (ownedBy(ctx, tags)) await deleteManagedPolicy(iam, p.PolicyArn!);
  }
  const inline = (await unlessNotFound(iam.send(new ListRolePoliciesCommand({ RoleName: name })), ...gone))?.PolicyNames ?? [];
  for (const p of inline) await unlessNotFound(iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: p })), ...gone);
  await unlessNotFound(iam.send(new DeleteRoleCommand({ RoleName: name })), ...gone);
}
