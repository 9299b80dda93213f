import { DeleteRepositoryCommand, DescribeRepositoriesCommand, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { repositoryName } from '../../src/aws/names.js';

/** The image repositories and their images: built from the repo, so not data. */
export async function destroyRepositories(ctx: StepContext): Promise<Teardown[]> {
  const named = new Set(Object.keys(ctx.config.images).map((n) => repositoryName(ctx, n)));
  const items: Teardown[] = [];
  let token: string | undefined;
  do {
    const page = await ctx.aws.ecr.send(new DescribeRepositoriesCommand({ nextToken: token }));
    for (const r of page.repositories ?? []) {
      const name = r.repositoryName!;
      if (!named.has(name) && !name.startsWith(`${ctx.app}-${ctx.env}`)) continue;
      const { tags } = await ctx.aws.ecr.send(new ListTagsForResourceCommand({ resourceArn: r.repositoryArn }));
      if (!ownedBy(ctx, tags)) continue;
      items.push({
        resource: `ECR repository ${name} and its images`,
        remove: async () =>
          void (await unlessNotFound(ctx.aws.ecr.send(new DeleteRepositoryCommand({ repositoryName: name, force: true })), 'RepositoryNotFoundException')),
      });
    }
    token = page.nextToken;
  } while (token);
  return items;
}
