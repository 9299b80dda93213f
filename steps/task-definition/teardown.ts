import { ListTaskDefinitionFamiliesCommand } from '@aws-sdk/client-ecs';
import { DeleteLogGroupCommand, DescribeLogGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type Teardown } from '../../src/pipeline/step.js';
import { deregisterFamily } from '../../src/aws/ecs-service.js';
import { logGroupName } from '../../src/aws/names.js';
import { familyRevisions } from '../../src/aws/task-revisions.js';
import { unlessNotFound } from '../../src/aws/not-found.js';

/** Every revision of the app's task definition families (deregistered: ECS keeps them INACTIVE), and the log group. */
export async function destroyTaskDefinitions(ctx: StepContext): Promise<Teardown[]> {
  const items: Teardown[] = [];
  const prefix = `${ctx.app}-${ctx.env}-`;
  const families: string[] = [];
  let token: string | undefined;
  do {
    const res = await ctx.aws.ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: prefix, status: 'ACTIVE', nextToken: token }));
    families.push(...(res.families ?? []));
    token = res.nextToken;
  } while (token);
  for (const family of families) {
    // Listed while it has an ACTIVE revision (some emulators list it after); nothing to do without one.
    if (!(await familyRevisions(ctx.aws, family)).length) continue;
    // deregisterFamily checks the newest revision's tags: a family someone else named like ours is left alone.
    items.push({ resource: `task definition ${family} (every revision)`, remove: async () => void (await deregisterFamily(ctx, family)) });
  }
  const name = logGroupName(ctx);
  const group = (await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.find((g) => g.logGroupName === name);
  if (group) {
    const arn = group.arn!.replace(/:\*$/, '');
    const tags = (await ctx.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {};
    if (
      ownedBy(
        ctx,
        Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      )
    )
      items.push({
        resource: `log group ${name}`,
        remove: async () => void (await unlessNotFound(ctx.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: name })), 'ResourceNotFoundException')),
      });
  }
  return items;
}
