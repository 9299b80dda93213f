import { DeleteBudgetCommand, DescribeBudgetCommand } from '@aws-sdk/client-budgets';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { budgetName } from '../../src/aws/names.js';
import { findMonitor, removeAnomalyDetection } from '../../src/aws/cost-anomaly.js';

export async function destroyBudget(ctx: StepContext<'budget'>): Promise<Teardown[]> {
  const name = budgetName(ctx);
  const items: Teardown[] = [];
  // Cost Explorer is asked only when the config or the last run had anomaly detection: it is a global service
  // some accounts and roles never use.
  if (ctx.config.budget?.anomalyDetection || ctx.previous()?.anomaly) {
    const monitor = await findMonitor(ctx);
    if (monitor)
      items.push({
        resource: `Cost Anomaly Detection monitor ${monitor.MonitorName} and its subscription`,
        remove: async () => void (await removeAnomalyDetection(ctx)),
      });
  }
  const b = await unlessNotFound(ctx.aws.budgets.send(new DescribeBudgetCommand({ AccountId: ctx.account, BudgetName: name })), 'NotFoundException');
  if (!b?.Budget) return items;
  return [
    ...items,
    {
      resource: `budget ${name}`,
      remove: async () =>
        void (await unlessNotFound(ctx.aws.budgets.send(new DeleteBudgetCommand({ AccountId: ctx.account, BudgetName: name })), 'NotFoundException')),
    },
  ];
}
