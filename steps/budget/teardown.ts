import { DeleteBudgetCommand, DescribeBudgetCommand } from '@aws-sdk/client-budgets';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { budgetName } from '../../src/aws/names.js';

export async function destroyBudget(ctx: StepContext): Promise<Teardown[]> {
  const name = budgetName(ctx);
  const b = await unlessNotFound(ctx.aws.budgets.send(new DescribeBudgetCommand({ AccountId: ctx.account, BudgetName: name })), 'NotFoundException');
  if (!b?.Budget) return [];
  return [
    {
      resource: `budget ${name}`,
      remove: async () =>
        void (await unlessNotFound(ctx.aws.budgets.send(new DeleteBudgetCommand({ AccountId: ctx.account, BudgetName: name })), 'NotFoundException')),
    },
  ];
}
