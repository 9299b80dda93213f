import { DescribeDBProxiesCommand, type DBProxy } from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import { proxyName } from '../../src/aws/names.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { waitFor } from '../../src/wait.js';

export async function findProxy(ctx: StepContext): Promise<DBProxy | undefined> {
  const res = await unlessNotFound(ctx.aws.rds.send(new DescribeDBProxiesCommand({ DBProxyName: proxyName(ctx) })), 'DBProxyNotFoundFault');
  return res?.DBProxies?.[0];
}

/** Waits until the proxy is available (creating takes a few minutes), or gone when `gone`. */
export async function proxySettled(ctx: StepContext, gone = false): Promise<DBProxy | undefined> {
  return waitFor({
    stepId: 'rds-proxy',
    what: `RDS Proxy ${proxyName(ctx)}${gone ? ' to be deleted' : ''}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 30 * 60_000,
    typical: gone ? '1-2 min' : '3-10 min',
    onStatus: (l) => ctx.log.info(l),
    poll: async () => {
      const p = await findProxy(ctx);
      if (gone) return { done: !p, status: p?.Status ?? 'deleted' };
      const status = p?.Status ?? 'not visible yet';
      if (/^(incompatible-network|insufficient-resource-limits|suspended)/.test(status))
        return { done: false, status, fatal: `RDS Proxy ${proxyName(ctx)} is ${status}` };
      return { done: status === 'available', status, value: p };
    },
  });
}
