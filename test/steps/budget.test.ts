import { describe, expect, it, onTestFinished } from 'vitest';
import { DescribeBudgetCommand, DescribeNotificationsForBudgetCommand } from '@aws-sdk/client-budgets';
import { budget } from '../../steps/budget/apply.js';
import { destroyBudget } from '../../steps/budget/teardown.js';
import { manifest } from '../../steps/budget/manifest.js';
import { budgetName } from '../../src/aws/names.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';
import type { CallHook } from '../../src/aws/clients.js';
import { startAwsProxy, type AwsRequest } from '../helpers/aws-proxy.js';

// moto has no UpdateBudget: the proxy answers it as AWS does, "an HTTP 200 response with an empty HTTP body"
// (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_UpdateBudget.html), and keeps the request.
async function withUpdateBudget() {
  const updates: AwsRequest[] = [];
  const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, (r) =>
    r.action === 'UpdateBudget'
      ? (updates.push(r), { respond: { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{}' } })
      : 'pass',
  );
  const moto = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = proxy.url;
  // The clients take the address when first built, at their first call: moto's comes back when the test ends.
  onTestFinished(() => ((process.env.AWS_ENDPOINT_URL = moto), proxy.close()));
  return { updates };
}

describe('budget', () => {
  it('makes the budget with both notifications, changes only the limit when it changes, makes no call on a re-run, and its teardown removes it', async () => {
    const calls: string[] = [];
    const onCall: CallHook = (c) => void (c.ok && calls.push(c.command));
    const stand = await withUpdateBudget();
    const { ctx } = stepContext({ budget: { monthlyUsd: 150, email: ['ops@example.com'] } }, { onCall });
    expect(manifest.enabled!(ctx.config)).toBe(true);
    expect(await budget.plan(ctx)).toMatchObject([{ action: 'create', resource: `budget ${budgetName(ctx)}` }]);
    const out = await budget.apply(ctx);
    expect(out).toEqual({ name: budgetName(ctx), monthlyUsd: 150, email: ['ops@example.com'] });
    const made = (await ctx.aws.budgets.send(new DescribeBudgetCommand({ AccountId: ctx.account, BudgetName: out.name }))).Budget!;
    expect(Number(made.BudgetLimit!.Amount)).toBe(150);
    const notes = (await ctx.aws.budgets.send(new DescribeNotificationsForBudgetCommand({ AccountId: ctx.account, BudgetName: out.name }))).Notifications!;
    expect(notes.map((n) => `${n.NotificationType} ${Number(n.Threshold)}`).sort()).toEqual(['ACTUAL 100', 'FORECASTED 80']);
    expect((await budget.verify(ctx, out)).every((c) => c.ok)).toBe(true);

    // Unchanged: read-only.
    calls.length = 0;
    ctx.previous = () => out;
    await budget.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);

    // A new limit: one UpdateBudget, and the plan said so.
    ctx.config = { ...ctx.config, budget: { ...ctx.config.budget!, monthlyUsd: 300 } };
    expect(await budget.plan(ctx)).toMatchObject([{ action: 'update', detail: expect.stringContaining('$300/month (was $150)') }]);
    calls.length = 0;
    await budget.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual(['UpdateBudget']);
    expect(JSON.parse(stand.updates[0]!.body).NewBudget).toMatchObject({
      BudgetName: out.name,
      BudgetLimit: { Amount: '300', Unit: 'USD' },
      TimeUnit: 'MONTHLY',
    });

    const [gone] = await destroyBudget(ctx);
    await gone!.remove!();
    expect(await destroyBudget(ctx)).toEqual([]);
  });
});
