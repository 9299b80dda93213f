import { DescribeClustersCommand, PutClusterCapacityProvidersCommand } from '@aws-sdk/client-ecs';
import type { StepContext } from '../pipeline/context.js';

const FARGATE_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'];

/**
 * Both Fargate capacity providers on the cluster (they need no creating, only associating: PutClusterCapacityProviders),
 * keeping any other provider it has and its default strategy. No call when they are there.
 */
export async function ensureFargateProviders(ctx: Pick<StepContext, 'aws' | 'log'>, cluster: string): Promise<void> {
  const c = (await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [cluster] }))).clusters?.[0];
  const have = c?.capacityProviders ?? [];
  if (FARGATE_PROVIDERS.every((p) => have.includes(p))) return;
  ctx.log.info(`cluster ${cluster}: adding the FARGATE and FARGATE_SPOT capacity providers`);
  await ctx.aws.ecs.send(
    new PutClusterCapacityProvidersCommand({
      cluster,
      capacityProviders: [...new Set([...have, ...FARGATE_PROVIDERS])],
      // Required by the call; the cluster's default stays what it was (services name their own strategy).
      defaultCapacityProviderStrategy: c?.defaultCapacityProviderStrategy ?? [],
    }),
  );
}
