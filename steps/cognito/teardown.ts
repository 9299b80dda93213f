import { DeleteUserPoolCommand, UpdateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { StepContext } from '../../src/pipeline/context.js';
import type { DestroyOptions, Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { findPools, unprotectInput } from './apply.js';

/** The user pool holds the users: kept unless --delete-data (then its deletion protection goes first; its app clients go with it). */
export async function destroyUserPool(ctx: StepContext, o: DestroyOptions): Promise<Teardown[]> {
  const pools = await findPools(ctx);
  return pools.map((pool): Teardown => {
    const resource = `Cognito user pool ${pool.Name} (${pool.Id})`;
    if (!o.deleteData)
      return {
        resource,
        keep: `users${pool.EstimatedNumberOfUsers ? ` (${pool.EstimatedNumberOfUsers})` : ''}; free up to 10,000 monthly active users`,
        monthly: 0,
      };
    return {
      resource,
      remove: async () => {
        if (pool.DeletionProtection === 'ACTIVE') await ctx.aws.cognito.send(new UpdateUserPoolCommand(unprotectInput(pool)));
        await unlessNotFound(ctx.aws.cognito.send(new DeleteUserPoolCommand({ UserPoolId: pool.Id })), 'ResourceNotFoundException');
      },
    };
  });
}
