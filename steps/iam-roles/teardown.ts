import { GetPolicyCommand, ListPolicyTagsCommand, ListRoleTagsCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { deleteRole } from '../../src/aws/delete-role.js';
import { deleteManagedPolicy } from '../../src/aws/managed-policy.js';
import { boundaryArn, previewsBoundaryEnv } from '../../src/aws/names.js';

const gone = ['NoSuchEntityException', 'NoSuchEntity'];

/**
 * Every role of this app and env: execution, task, per-service task roles and
 * the scheduler's, including ones a changed config stopped using. Roles are
 * listed (IAM has no search by tag) and each candidate's tags decide.
 */
export async function destroyRoles(ctx: StepContext): Promise<Teardown[]> {
  const items: Teardown[] = [];
  let marker: string | undefined;
  do {
    const page = await ctx.aws.iam.send(new ListRolesCommand({ Marker: marker }));
    for (const role of page.Roles ?? []) {
      const name = role.RoleName!;
      // Long names are shortened with a hash, but always start with the app's name.
      if (!name.startsWith(`${ctx.app}-`)) continue;
      const tags = (await ctx.aws.iam.send(new ListRoleTagsCommand({ RoleName: name }))).Tags;
      if (!ownedBy(ctx, tags)) continue;
      items.push({
        resource: `IAM role ${name}`,
        remove: () => deleteRole(ctx, ctx.aws.iam, name),
      });
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  // The boundary goes after the roles that carry it (IAM refuses to delete a policy in use as a boundary).
  // A preview leaves its parent's previews' shared boundary; the parent's destroy takes it with its own.
  const boundaries: [string, { app: string; env: string }][] = ctx.preview
    ? []
    : [
        [boundaryArn(ctx), ctx],
        [boundaryArn({ ...ctx, preview: { name: '*', parent: ctx.env } }), { app: ctx.app, env: previewsBoundaryEnv(ctx.env) }],
      ];
  for (const [arn, owner] of boundaries) {
    const policy = (await unlessNotFound(ctx.aws.iam.send(new GetPolicyCommand({ PolicyArn: arn })), ...gone))?.Policy;
    if (!policy) continue;
    const tags = (await ctx.aws.iam.send(new ListPolicyTagsCommand({ PolicyArn: arn }))).Tags;
    if (ownedBy(owner, tags))
      items.push({
        resource: `IAM policy ${policy.PolicyName}`,
        remove: () => deleteManagedPolicy(ctx.aws.iam, arn),
      });
  }
  return items;
}
