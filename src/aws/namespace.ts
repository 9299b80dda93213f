import { GetOperationCommand, ListNamespacesCommand, ListTagsForResourceCommand, type NamespaceSummary } from '@aws-sdk/client-servicediscovery';
import type { StepContext } from '../pipeline/context.js';
import { ownedBy } from '../pipeline/step.js';
import { waitFor } from '../wait.js';
import { namespaceName } from '../config/service-connect.js';

/** The app's Cloud Map namespace, by its name (ours or not: the caller checks the tags). */
export async function findNamespace(ctx: Pick<StepContext, 'aws' | 'app' | 'env'>): Promise<NamespaceSummary | undefined> {
  const name = namespaceName(ctx);
  let NextToken: string | undefined;
  do {
    const res = await ctx.aws.serviceDiscovery.send(new ListNamespacesCommand({ Filters: [{ Name: 'NAME', Values: [name], Condition: 'EQ' }], NextToken }));
    const found = res.Namespaces?.find((n) => n.Name === name);
    if (found) return found;
    NextToken = res.NextToken;
  } while (NextToken);
  return undefined;
}

export async function namespaceOwned(ctx: Pick<StepContext, 'aws' | 'app' | 'env'>, arn: string): Promise<boolean> {
  const tags = (await ctx.aws.serviceDiscovery.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags;
  return ownedBy(ctx, tags);
}

/** Cloud Map creates and deletes namespaces asynchronously: waits for the operation to succeed. */
export async function waitForOperation(ctx: StepContext, operationId: string, what: string): Promise<Record<string, string>> {
  return waitFor({
    stepId: 'service-connect',
    what,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 10 * 60_000,
    firstDelayMs: 1_000,
    typical: 'under a minute',
    onStatus: (l) => ctx.log.info(l),
    poll: async () => {
      const op = (await ctx.aws.serviceDiscovery.send(new GetOperationCommand({ OperationId: operationId }))).Operation;
      const status = op?.Status ?? 'PENDING';
      return {
        done: status === 'SUCCESS',
        value: (op?.Targets ?? {}) as Record<string, string>,
        status: status.toLowerCase(),
        ...(status === 'FAIL' ? { fatal: `${op?.ErrorCode ?? 'failed'}: ${op?.ErrorMessage ?? ''}` } : {}),
      };
    },
  });
}
