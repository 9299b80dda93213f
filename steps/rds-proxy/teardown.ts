import { DeleteDBProxyCommand } from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { proxyName, proxyRoleName } from '../../src/aws/names.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { deleteRole } from '../../src/aws/delete-role.js';
import { getRole } from '../../src/aws/ensure-role.js';
import { ownedBy } from '../../src/pipeline/step.js';
import { findProxy, proxySettled } from './find-proxy.js';
import { proxyOwned } from './apply.js';

/** The proxy holds no data: it goes whenever the step does (a kept database is reached directly again), then its role. */
export async function destroyProxy(ctx: StepContext): Promise<Teardown[]> {
  const items: Teardown[] = [];
  const proxy = await findProxy(ctx);
  if (proxy && (await proxyOwned(ctx, proxy)))
    items.push({
      resource: `RDS Proxy ${proxyName(ctx)}`,
      remove: async () => {
        await unlessNotFound(ctx.aws.rds.send(new DeleteDBProxyCommand({ DBProxyName: proxyName(ctx) })), 'DBProxyNotFoundFault');
        await proxySettled(ctx, true);
      },
    });
  const role = await getRole(ctx, proxyRoleName(ctx));
  if (role && ownedBy(ctx, role.Tags))
    items.push({ resource: `IAM role ${proxyRoleName(ctx)}`, remove: () => deleteRole(ctx, ctx.aws.iam, proxyRoleName(ctx)) });
  return items;
}
