import {
  CreateBudgetCommand,
  CreateNotificationCommand,
  DeleteNotificationCommand,
  DescribeBudgetCommand,
  DescribeNotificationsForBudgetCommand,
  UpdateBudgetCommand,
  type Notification,
} from '@aws-sdk/client-budgets';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { unlessNotFound, isError } from '../../src/aws/not-found.js';
import { budgetName } from '../../src/aws/names.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface BudgetOutput {
  name: string;
  monthlyUsd: number;
  email: string[];
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    budget: BudgetOutput;
  }
}

/** 80% of the budget forecast, and 100% actually spent. */
export const NOTIFICATIONS: Notification[] = [
  { NotificationType: 'FORECASTED', ComparisonOperator: 'GREATER_THAN', Threshold: 80, ThresholdType: 'PERCENTAGE' },
  { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 100, ThresholdType: 'PERCENTAGE' },
];

const subscribers = (ctx: StepContext) => ctx.config.budget!.email.map((Address) => ({ SubscriptionType: 'EMAIL' as const, Address }));
const sameNotification = (a: Notification, b: Notification) =>
  a.NotificationType === b.NotificationType && a.ComparisonOperator === b.ComparisonOperator && Number(a.Threshold) === Number(b.Threshold);

async function find(ctx: StepContext) {
  return (await unlessNotFound(ctx.aws.budgets.send(new DescribeBudgetCommand({ AccountId: ctx.account, BudgetName: budgetName(ctx) })), 'NotFoundException'))
    ?.Budget;
}

async function notifications(ctx: StepContext): Promise<Notification[]> {
  return (
    (
      await unlessNotFound(
        ctx.aws.budgets.send(new DescribeNotificationsForBudgetCommand({ AccountId: ctx.account, BudgetName: budgetName(ctx) })),
        'NotFoundException',
      )
    )?.Notifications ?? []
  );
}

export const budget: StepCode<'budget'> = {
  async inputs(ctx) {
    return { name: budgetName(ctx), usd: ctx.config.budget!.monthlyUsd, email: [...ctx.config.budget!.email].sort() };
  },

  async plan(ctx) {
    const b = await find(ctx);
    const want = ctx.config.budget!.monthlyUsd;
    const have = b ? Number(b.BudgetLimit?.Amount) : undefined;
    return [
      {
        action: !b ? 'create' : have === want ? 'keep' : 'update',
        resource: `budget ${budgetName(ctx)}`,
        detail: `$${want}/month${have !== undefined && have !== want ? ` (was $${have})` : ''}; e-mails ${ctx.config.budget!.email.join(', ')} at 80% forecast and 100% actual; counts every cost in the account`,
      },
    ] satisfies PlanItem[];
  },

  async apply(ctx) {
    const want = ctx.config.budget!.monthlyUsd;
    const limit = { Amount: String(want), Unit: 'USD' };
    const b = await find(ctx);
    if (!b) {
      ctx.log.info(`creating budget ${budgetName(ctx)} ($${want}/month)`);
      try {
        await ctx.aws.budgets.send(
          new CreateBudgetCommand({
            AccountId: ctx.account,
            Budget: { BudgetName: budgetName(ctx), BudgetLimit: limit, TimeUnit: 'MONTHLY', BudgetType: 'COST' },
            NotificationsWithSubscribers: NOTIFICATIONS.map((Notification) => ({ Notification, Subscribers: subscribers(ctx) })),
            ResourceTags: ownershipTags(ctx, 'budget'),
          }),
        );
      } catch (e) {
        // A run that died right after the create finds it made (names are unique per account).
        if (!isError(e, 'DuplicateRecordException')) throw e;
      }
    } else if (Number(b.BudgetLimit?.Amount) !== want) {
      ctx.log.info(`budget ${budgetName(ctx)}: $${b.BudgetLimit?.Amount} → $${want}/month`);
      await ctx.aws.budgets.send(new UpdateBudgetCommand({ AccountId: ctx.account, NewBudget: { ...b, BudgetLimit: limit } }));
    }
    // Subscribers are read back only one notification at a time: the addresses last set are the ones on record.
    const before = ctx.previous()?.email;
    const emailsChanged = !!before && before.join() !== [...ctx.config.budget!.email].sort().join();
    const have = await notifications(ctx);
    for (const n of NOTIFICATIONS) {
      const found = have.find((h) => sameNotification(h, n));
      if (found && !emailsChanged) continue;
      if (found) await ctx.aws.budgets.send(new DeleteNotificationCommand({ AccountId: ctx.account, BudgetName: budgetName(ctx), Notification: found }));
      await ctx.aws.budgets.send(
        new CreateNotificationCommand({ AccountId: ctx.account, BudgetName: budgetName(ctx), Notification: n, Subscribers: subscribers(ctx) }),
      );
    }
    return { name: budgetName(ctx), monthlyUsd: want, email: [...ctx.config.budget!.email].sort() };
  },

  async verify(ctx, out) {
    const b = await find(ctx);
    const have = await notifications(ctx);
    const checks: Check[] = [
      { name: `budget ${out.name}`, ok: !!b && Number(b.BudgetLimit?.Amount) === out.monthlyUsd },
      { name: 'budget notifications', ok: NOTIFICATIONS.every((n) => have.some((h) => sameNotification(h, n))) },
    ];
    return checks;
  },

  summary(out) {
    return { rows: [['Budget', `$${out.monthlyUsd}/month (${out.name}), e-mails ${out.email.join(', ')} at 80% forecast and 100% actual`]] };
  },
};
