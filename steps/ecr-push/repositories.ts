import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  ListTagsForResourceCommand,
  type Repository,
} from '@aws-sdk/client-ecr';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, ownershipTags } from '../../src/pipeline/step.js';
import { isError, unlessNotFound } from '../../src/aws/not-found.js';

export async function isOurs(ctx: StepContext, repo: Repository): Promise<boolean> {
  const { tags } = await ctx.aws.ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }));
  return ownedBy(ctx, tags);
}

/** Whether the repository's lifecycle policy is `policy` (compared as JSON, not as text). */
export async function lifecycleMatches(ctx: StepContext, name: string, policy: unknown): Promise<boolean> {
  const have = await unlessNotFound(ctx.aws.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: name })), 'LifecyclePolicyNotFoundException');
  return !!have && JSON.stringify(JSON.parse(have.lifecyclePolicyText ?? '{}')) === JSON.stringify(policy);
}

export async function findRepository(ctx: StepContext, name: string): Promise<Repository | undefined> {
  return (await unlessNotFound(ctx.aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })), 'RepositoryNotFoundException'))
    ?.repositories?.[0];
}

/**
 * A repository of ours, encrypted and tagged: the app's images (immutable tags, scanned on push) or a build cache
 * (its tags are cache keys pushed again as layers change; cache layers are never run, so not scanned). Another run
 * that made it first wins the race, and its repository is the one returned.
 */
export async function createRepository(ctx: StepContext, name: string, kind: 'images' | 'cache'): Promise<Repository> {
  ctx.log.info(`creating ECR repository ${name}${kind === 'cache' ? ' for the build cache' : ''}`);
  let repo: Repository | undefined;
  try {
    repo = (
      await ctx.aws.ecr.send(
        new CreateRepositoryCommand({
          repositoryName: name,
          imageTagMutability: kind === 'images' ? 'IMMUTABLE' : 'MUTABLE',
          imageScanningConfiguration: { scanOnPush: kind === 'images' },
          encryptionConfiguration: { encryptionType: 'AES256' },
          tags: ownershipTags(ctx, 'ecr-push'),
        }),
      )
    ).repository;
  } catch (e) {
    if (!isError(e, 'RepositoryAlreadyExistsException')) throw e;
    repo = await findRepository(ctx, name);
  }
  if (!repo) throw new Error(`ECR repository ${name} was created but cannot be described`);
  return repo;
}
