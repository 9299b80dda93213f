import { DeleteSecurityGroupCommand, DescribeSecurityGroupsCommand, RevokeSecurityGroupIngressCommand, type SecurityGroup } from '@aws-sdk/client-ec2';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { findDatabase } from '../../src/aws/rds-instance.js';

async function ourGroups(ctx: StepContext): Promise<SecurityGroup[]> {
  const res = await ctx.aws.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'tag:deploy-wizard:app', Values: [ctx.app] },
        { Name: 'tag:deploy-wizard:env', Values: [ctx.env] },
      ],
    }),
  );
  return res.SecurityGroups ?? [];
}

/** Revokes, from every group of ours, the ingress rules whose source is `groupId`: a referenced group cannot be deleted. */
async function revokeReferencesTo(ctx: StepContext, groupId: string): Promise<void> {
  for (const g of await ourGroups(ctx)) {
    const refs = (g.IpPermissions ?? [])
      .map((p) => ({
        ...p,
        UserIdGroupPairs: (p.UserIdGroupPairs ?? []).filter((u) => u.GroupId === groupId),
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
      }))
      .filter((p) => p.UserIdGroupPairs.length);
    if (refs.length) await ctx.aws.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: refs }));
  }
}

/**
 * The security groups, last: load balancers, tasks, the database and the
 * cache hold network interfaces in them until they are gone. The database's
 * group stays while a kept database uses it (its rule from the tasks' group
 * is revoked, so that group can go; the next deploy puts it back).
 */
export async function destroyNetwork(ctx: StepContext): Promise<Teardown[]> {
  const groups = await ourGroups(ctx);
  const db = await findDatabase(ctx);
  const dbGroups = new Set(db?.securityGroupIds ?? []);
  return groups.map((g): Teardown => {
    const resource = `security group ${g.GroupName} (${g.GroupId})`;
    if (dbGroups.has(g.GroupId!)) return { resource, keep: 'the kept database uses it' };
    return {
      resource,
      remove: async () => {
        await revokeReferencesTo(ctx, g.GroupId!);
        await retryWhileInUse(ctx, `security group ${g.GroupName}`, ['DependencyViolation'], () =>
          unlessNotFound(ctx.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId })), 'InvalidGroup.NotFound'),
        );
      },
    };
  });
}
