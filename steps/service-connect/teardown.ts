import { DeleteNamespaceCommand, DeleteServiceCommand, GetServiceCommand, ListServicesCommand } from '@aws-sdk/client-servicediscovery';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { findNamespace, namespaceOwned, waitForOperation } from '../../src/aws/namespace.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { isError } from '../../src/aws/not-found.js';

/**
 * The namespace goes once the services are gone (they depend on this step, so they are removed first). A
 * namespace that still holds services cannot be deleted
 * (https://docs.aws.amazon.com/cloud-map/latest/dg/deleting-namespaces.html): the Service Connect endpoints ECS
 * registered in it are deleted first, retried while ECS is still deregistering their instances.
 */
export async function destroyNamespace(ctx: StepContext): Promise<Teardown[]> {
  const ns = await findNamespace(ctx);
  if (!ns || !(await namespaceOwned(ctx, ns.Arn!))) return [];
  return [
    {
      resource: `Cloud Map namespace ${ns.Name} (${ns.Id})`,
      remove: async () => {
        const services =
          (await ctx.aws.serviceDiscovery.send(new ListServicesCommand({ Filters: [{ Name: 'NAMESPACE_ID', Values: [ns.Id!], Condition: 'EQ' }] }))).Services ??
          [];
        for (const s of services) {
          // Asked one by one: only a service of this namespace goes, whatever the listing's filter did.
          const svc = (await ctx.aws.serviceDiscovery.send(new GetServiceCommand({ Id: s.Id })).catch(() => undefined))?.Service;
          if (svc?.NamespaceId !== ns.Id) continue;
          await retryWhileInUse(ctx, `Cloud Map service ${s.Name}`, ['ResourceInUse'], () =>
            ctx.aws.serviceDiscovery.send(new DeleteServiceCommand({ Id: s.Id })).catch((e) => {
              if (!isError(e, 'ServiceNotFound')) throw e;
            }),
          );
        }
        let op: { OperationId?: string } | undefined;
        await retryWhileInUse(ctx, `Cloud Map namespace ${ns.Name}`, ['ResourceInUse'], async () => {
          op = await ctx.aws.serviceDiscovery.send(new DeleteNamespaceCommand({ Id: ns.Id })).catch((e) => {
            if (!isError(e, 'NamespaceNotFound')) throw e;
            return undefined;
          });
        });
        if (op?.OperationId) await waitForOperation(ctx, op.OperationId, `deleting Cloud Map namespace ${ns.Name}`);
      },
    },
  ];
}
