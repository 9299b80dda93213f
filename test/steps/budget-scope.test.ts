import { describe, expect, it, onTestFinished } from 'vitest';
import { DescribeBudgetCommand } from '@aws-sdk/client-budgets';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { budget } from '../../steps/budget/apply.js';
import { destroyBudget } from '../../steps/budget/teardown.js';
import { ensureAlarmTopic } from '../../src/alarms/alarm-topic.js';
import { allows } from '../../src/ci/deploy-policy.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';
import { startCostExplorer } from '../helpers/cost-explorer.js';
import type { CallHook } from '../../src/aws/clients.js';

/** Cost Explorer (and UpdateBudget) answered by the stand-in, everything else by moto; moto's address back when the test ends. */
async function withCostExplorer() {
  const stand = await startCostExplorer(process.env.AWS_ENDPOINT_URL!);
  const moto = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = stand.url;
  onTestFinished(() => ((process.env.AWS_ENDPOINT_URL = moto), stand.close()));
  return stand;
}

const tagFilter = (app: string, env: string) => ({
  And: [
    { Tags: { Key: 'deploy-wizard:app', Values: [app], MatchOptions: ['EQUALS'] } },
    { Tags: { Key: 'deploy-wizard:env', Values: [env], MatchOptions: ['EQUALS'] } },
  ],
});

describe('budget per stage and cost anomaly detection', () => {
  it('filters the budget by the app and env tags, activates them once billing lists them, and keeps one anomaly monitor whose alerts follow the config', async () => {
    const stand = await withCostExplorer();
    const calls: string[] = [];
    const onCall: CallHook = (c) => void (c.ok && calls.push(c.command));
    const { ctx, app, logs } = stepContext(
      { budget: { monthlyUsd: 120, email: ['ops@example.com'], scope: 'app', anomalyDetection: { thresholdUsd: 20 } } },
      { onCall },
    );
    const mutating = () => calls.filter((c) => MUTATING.test(c));

    // First deploy: billing has not seen the tags yet, so they cannot be activated; that is said, and tried again later.
    const out = await budget.apply(ctx);
    const made = (await ctx.aws.budgets.send(new DescribeBudgetCommand({ AccountId: ctx.account, BudgetName: out.name }))).Budget!;
    expect(made.FilterExpression).toEqual(tagFilter(app, 'prod'));
    expect(out.pendingCostTags).toEqual(['deploy-wizard:app', 'deploy-wizard:env']);
    expect(logs.join('\n')).toContain('up to 24 hours');
    expect((await budget.verify(ctx, out)).find((c) => c.name === 'cost allocation tags active')?.ok).toBe(false);
    expect(budget.summary!(out, { config: ctx.config, env: 'prod', region: ctx.region, output: () => undefined }).notes?.[0]).toContain('not active yet');
    // Without alarms the anomalies go to the budget's address, in a daily digest (e-mail cannot be immediate).
    const [monitor, ...twins] = [...stand.monitors.values()];
    expect(twins).toEqual([]);
    expect(monitor).toMatchObject({ MonitorName: `deploy-wizard-${app}-prod`, MonitorType: 'CUSTOM', MonitorSpecification: tagFilter(app, 'prod') });
    const [sub] = [...stand.subscriptions.values()];
    expect(sub).toMatchObject({
      MonitorArnList: [monitor!.MonitorArn],
      Frequency: 'DAILY',
      Subscribers: [{ Type: 'EMAIL', Address: 'ops@example.com' }],
      ThresholdExpression: { Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', Values: ['20'], MatchOptions: ['GREATER_THAN_OR_EQUAL'] } },
    });

    // A day later billing lists them: the next run activates them, and changes nothing else.
    stand.see('deploy-wizard:app');
    stand.see('deploy-wizard:env');
    ctx.previous = () => out;
    calls.length = 0;
    const later = await budget.apply(ctx);
    expect(mutating()).toEqual(['UpdateCostAllocationTagsStatus']);
    expect([...stand.tags.values()]).toEqual(['Active', 'Active']);
    expect(later.pendingCostTags).toBeUndefined();
    ctx.previous = () => later;
    calls.length = 0;
    await budget.apply(ctx);
    expect(mutating()).toEqual([]);

    // With alarms, anomalies go to the alarm topic at once; a new threshold updates the one subscription.
    const topicArn = `arn:aws:sns:us-east-1:123456789012:${app}-prod-alarms`;
    ctx.config = {
      ...ctx.config,
      alarms: { email: ['ops@example.com'] } as never,
      budget: { ...ctx.config.budget!, anomalyDetection: { thresholdUsd: 50 } },
    };
    ctx.output = ((id: string) => (id === 'alarms' ? { topicArn } : undefined)) as never;
    calls.length = 0;
    const toTopic = await budget.apply(ctx);
    expect(mutating()).toEqual(['UpdateAnomalySubscription']);
    expect([...stand.subscriptions.values()]).toEqual([
      expect.objectContaining({
        Frequency: 'IMMEDIATE',
        Subscribers: [{ Type: 'SNS', Address: topicArn }],
        ThresholdExpression: expect.objectContaining({ Dimensions: expect.objectContaining({ Values: ['50'] }) }),
      }),
    ]);
    expect(toTopic.anomaly).toMatchObject({ thresholdUsd: 50, to: 'alarm-topic' });

    // Back to the whole account, and no anomaly detection: the filter goes, the monitor and subscription go.
    ctx.previous = () => toTopic;
    ctx.config = { ...ctx.config, budget: { monthlyUsd: 120, email: ['ops@example.com'], scope: 'account' } };
    calls.length = 0;
    const plain = await budget.apply(ctx);
    expect(mutating().sort()).toEqual(['DeleteAnomalyMonitor', 'DeleteAnomalySubscription', 'UpdateBudget']);
    expect(JSON.parse(stand.calls.find((c) => c.action === 'UpdateBudget')!.body).NewBudget.FilterExpression).toBeUndefined();
    expect(stand.monitors.size + stand.subscriptions.size).toBe(0);
    expect(plain.anomaly).toBeUndefined();

    // Destroy with anomaly detection: the monitor, its subscription and the budget go.
    ctx.config = { ...ctx.config, budget: { ...ctx.config.budget!, anomalyDetection: { thresholdUsd: 20 } } };
    ctx.previous = () => plain;
    await budget.apply(ctx);
    expect(stand.monitors.size).toBe(1);
    const items = await destroyBudget(ctx);
    expect(items.map((i) => i.resource)).toEqual([
      `Cost Anomaly Detection monitor deploy-wizard-${app}-prod and its subscription`,
      `budget deploy-wizard-${app}-prod`,
    ]);
    for (const i of items) await i.remove!();
    expect(stand.monitors.size + stand.subscriptions.size).toBe(0);
  });

  it('lets Cost Anomaly Detection publish to the encrypted alarm topic, for this account only, and takes that back', async () => {
    const { ctx } = stepContext({});
    const topic = await ensureAlarmTopic(ctx, ['ops@example.com'], true);
    const keyPolicy = JSON.parse((await ctx.aws.kms.send(new GetKeyPolicyCommand({ KeyId: topic.keyArn, PolicyName: 'default' }))).Policy!);
    const topicPolicy = JSON.parse((await ctx.aws.sns.send(new GetTopicAttributesCommand({ TopicArn: topic.arn }))).Attributes!.Policy!);
    // Evaluated as IAM does, with the condition, on the statements whose principal is the service.
    const forCostAlerts = (doc: any) => ({
      Statement: doc.Statement.filter((s: any) => s.Principal?.Service === 'costalerts.amazonaws.com').map((s: any) => ({ ...s, Action: [s.Action].flat() })),
    });
    expect(allows(forCostAlerts(topicPolicy), 'SNS:Publish', topic.arn, { 'aws:SourceAccount': '123456789012' })).toBe(true);
    expect(allows(forCostAlerts(topicPolicy), 'SNS:Publish', topic.arn, { 'aws:SourceAccount': '999999999999' })).toBe(false);
    expect(allows(forCostAlerts(keyPolicy), 'kms:GenerateDataKey', topic.keyArn, { 'aws:SourceAccount': '123456789012' })).toBe(true);
    expect(allows(forCostAlerts(keyPolicy), 'kms:Decrypt', topic.keyArn, { 'aws:SourceAccount': '999999999999' })).toBe(false);
    // The account's own statements stay.
    expect(keyPolicy.Statement.map((s: any) => s.Sid).sort()).toEqual(['Account', 'CloudWatchAlarms', 'CostAnomalyAlerts']);

    // Unchanged: nothing written; without anomaly detection the statements go.
    const calls: string[] = [];
    const again = stepContext({}, { onCall: (c) => void (c.ok && calls.push(c.command)) }).ctx;
    Object.assign(again, { app: ctx.app });
    await ensureAlarmTopic(again, ['ops@example.com'], true);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    await ensureAlarmTopic(again, ['ops@example.com'], false);
    expect(calls.filter((c) => MUTATING.test(c)).sort()).toEqual(['PutKeyPolicy', 'SetTopicAttributes']);
    const after = JSON.parse((await ctx.aws.sns.send(new GetTopicAttributesCommand({ TopicArn: topic.arn }))).Attributes!.Policy!);
    expect(forCostAlerts(after).Statement).toEqual([]);
  });
});
