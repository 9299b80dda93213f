import {
  CreateBudgetCommand,
  CreateNotificationCommand,
  DeleteNotificationCommand,
  DescribeBudgetCommand,
  DescribeNotificationsForBudgetCommand,
  UpdateBudgetCommand,
  type Expression as BudgetExpression,
  type Notification,
} from '@aws-sdk/client-budgets';
import { canonicalJson } from '../../src/canonical-json.js';
import { activateCostTags, costFilter, ensureAnomalyDetection, monitorName, removeAnomalyDetection } from '../../src/aws/cost-anomaly.js';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { unlessNotFound, isError } from '../../src/aws/not-found.js';
import { budgetName } from '../../src/aws/names.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface BudgetOutput {
  name: string;
  monthlyUsd: number;
  email: string[];
  /** "app": the budget counts only what carries this app's and env's tags. Absent: the whole account. */
  scope?: 'app';
  /** Cost tags the last run could not activate yet (billing has not seen them): the next run tries again. */
  pendingCostTags?: string[];
  /** The Cost Anomaly Detection monitor and subscription, with anomalyDetection. */
  anomaly?: { monitorArn: string; subscriptionArn: string; thresholdUsd: number; to: 'alarm-topic' | 'email' };
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

/** The budget's filter: none for the account, this app's and env's tags for "app". */
const filterFor = (ctx: StepContext) => (ctx.config.budget!.scope === 'app' ? (costFilter(ctx) as BudgetExpression) : undefined);
const filterKey = (f: BudgetExpression | undefined) => (f ? canonicalJson(f) : '');

/** The alarm topic the anomaly subscription tells, when the app has alarms. */
const alarmTopic = (ctx: StepContext) => (ctx.config.alarms ? ctx.output('alarms').topicArn : undefined);

export const budget: StepCode<'budget'> = {
  async inputs(ctx) {
    const b = ctx.config.budget!;
    return {
      name: budgetName(ctx),
      usd: b.monthlyUsd,
      email: [...b.email].sort(),
      ...(b.scope === 'app' ? { scope: 'app' } : {}),
      ...(b.anomalyDetection ? { anomaly: b.anomalyDetection.thresholdUsd, topic: alarmTopic(ctx) ?? null } : {}),
    };
  },

  async plan(ctx) {
    const b = await find(ctx);
    const want = ctx.config.budget!.monthlyUsd;
    const have = b ? Number(b.BudgetLimit?.Amount) : undefined;
    return [
      {
        action: !b ? 'create' : have === want ? 'keep' : 'update',
        resource: `budget ${budgetName(ctx)}`,
        detail: `$${want}/month${have !== undefined && have !== want ? ` (was $${have})` : ''}; e-mails ${ctx.config.budget!.email.join(', ')} at 80% forecast and 100% actual; ${ctx.config.budget!.scope === 'app' ? `counts only what carries deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} (activated as cost allocation tags; AWS needs up to 24 hours)` : 'counts every cost in the account'}`,
        ...(b && filterKey(b.FilterExpression) !== filterKey(filterFor(ctx))
          ? { changes: [`scope: ${b.FilterExpression ? 'app' : 'account'} → ${ctx.config.budget!.scope}`] }
          : {}),
      },
      ...(ctx.config.budget!.anomalyDetection
        ? [
            {
              action: ctx.previous()?.anomaly ? ('keep' as const) : ('create' as const),
              resource: `Cost Anomaly Detection monitor ${monitorName(ctx)}`,
              detail: `this app's and env's tagged costs; anomalies of $${ctx.config.budget!.anomalyDetection.thresholdUsd} or more to ${ctx.config.alarms ? 'the alarm topic, at once' : `${ctx.config.budget!.email.join(', ')}, daily`}`,
            },
          ]
        : ctx.previous()?.anomaly
          ? [
              {
                action: 'delete' as const,
                resource: `Cost Anomaly Detection monitor ${monitorName(ctx)}`,
                detail: 'anomalyDetection is no longer in the config',
              },
            ]
          : []),
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
            Budget: {
              BudgetName: budgetName(ctx),
              BudgetLimit: limit,
              TimeUnit: 'MONTHLY',
              BudgetType: 'COST',
              ...(filterFor(ctx) ? { FilterExpression: filterFor(ctx) } : {}),
            },
            NotificationsWithSubscribers: NOTIFICATIONS.map((Notification) => ({ Notification, Subscribers: subscribers(ctx) })),
            ResourceTags: ownershipTags(ctx, 'budget'),
          }),
        );
      } catch (e) {
        // A run that died right after the create finds it made (names are unique per account).
        if (!isError(e, 'DuplicateRecordException')) throw e;
      }
    } else if (Number(b.BudgetLimit?.Amount) !== want || filterKey(b.FilterExpression) !== filterKey(filterFor(ctx))) {
      ctx.log.info(
        `budget ${budgetName(ctx)}: $${b.BudgetLimit?.Amount} → $${want}/month, counting ${ctx.config.budget!.scope === 'app' ? 'this app and env' : 'the account'}`,
      );
      const { FilterExpression: _old, CalculatedSpend: _spend, ...rest } = b;
      void _old;
      void _spend;
      await ctx.aws.budgets.send(
        new UpdateBudgetCommand({
          AccountId: ctx.account,
          NewBudget: { ...rest, BudgetLimit: limit, ...(filterFor(ctx) ? { FilterExpression: filterFor(ctx) } : {}) },
        }),
      );
    }
    // The tags select this app's costs only once active as cost allocation tags.
    const cfg = ctx.config.budget!;
    const tagsNeeded = cfg.scope === 'app' || !!cfg.anomalyDetection;
    const tags = tagsNeeded ? await activateCostTags(ctx) : { pending: [] };
    let anomaly: BudgetOutput['anomaly'];
    if (cfg.anomalyDetection) {
      const topicArn = alarmTopic(ctx);
      const made = await ensureAnomalyDetection(ctx, { thresholdUsd: cfg.anomalyDetection.thresholdUsd, topicArn, emails: cfg.email });
      anomaly = { ...made, thresholdUsd: cfg.anomalyDetection.thresholdUsd, to: topicArn ? 'alarm-topic' : 'email' };
    } else if (ctx.previous()?.anomaly && (await removeAnomalyDetection(ctx))) ctx.log.info(`deleted Cost Anomaly Detection monitor ${monitorName(ctx)}`);
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
    return {
      name: budgetName(ctx),
      monthlyUsd: want,
      email: [...ctx.config.budget!.email].sort(),
      ...(cfg.scope === 'app' ? { scope: 'app' as const } : {}),
      ...(tags.pending.length ? { pendingCostTags: tags.pending } : {}),
      ...(anomaly ? { anomaly } : {}),
    };
  },

  async verify(ctx, out) {
    const b = await find(ctx);
    const have = await notifications(ctx);
    const checks: Check[] = [
      {
        name: `budget ${out.name}`,
        ok: !!b && Number(b.BudgetLimit?.Amount) === out.monthlyUsd && filterKey(b.FilterExpression) === filterKey(filterFor(ctx)),
      },
      // Tags billing had not seen yet: the step runs again to activate them.
      ...(out.pendingCostTags?.length ? [{ name: 'cost allocation tags active', ok: false, detail: out.pendingCostTags.join(', ') }] : []),
      { name: 'budget notifications', ok: NOTIFICATIONS.every((n) => have.some((h) => sameNotification(h, n))) },
    ];
    return checks;
  },

  summary(out) {
    const rows: [string, string][] = [
      [
        'Budget',
        `$${out.monthlyUsd}/month (${out.name}${out.scope === 'app' ? ", this app's tagged costs" : ''}), e-mails ${out.email.join(', ')} at 80% forecast and 100% actual`,
      ],
    ];
    if (out.anomaly)
      rows.push(['Cost anomalies', `$${out.anomaly.thresholdUsd} or more, to ${out.anomaly.to === 'alarm-topic' ? 'the alarm topic' : out.email.join(', ')}`]);
    const notes = out.pendingCostTags?.length
      ? [`Cost allocation tags ${out.pendingCostTags.join(', ')} are not active yet: AWS lists a tag up to 24 hours after it first sees it; deploy again then.`]
      : [];
    return { rows, notes };
  },
};
