import {
  CreateAnomalyMonitorCommand,
  CreateAnomalySubscriptionCommand,
  DeleteAnomalyMonitorCommand,
  DeleteAnomalySubscriptionCommand,
  GetAnomalyMonitorsCommand,
  GetAnomalySubscriptionsCommand,
  ListCostAllocationTagsCommand,
  UpdateAnomalySubscriptionCommand,
  UpdateCostAllocationTagsStatusCommand,
  type AnomalyMonitor,
  type AnomalySubscription,
  type Expression,
  type Subscriber,
} from '@aws-sdk/client-cost-explorer';
import type { StepContext } from '../pipeline/context.js';
import { ownershipTags } from '../pipeline/step.js';
import { canonicalJson } from '../canonical-json.js';
import { budgetName } from './names.js';

// What `budget.scope: "app"` and `budget.anomalyDetection` make, through Cost Explorer: the wizard's ownership tags
// activated as cost allocation tags (costs carry a tag only once it is active), and a Cost Anomaly Detection
// monitor of exactly this app's and env's tagged costs with one subscription.

/** The tags every resource of the wizard carries; as cost allocation tags they select one app and env's costs. */
export const COST_TAGS = ['deploy-wizard:app', 'deploy-wizard:env'] as const;

/** This app and env's costs, as a Cost Explorer (and Budgets) filter: both tags, with their values. */
export function costFilter(ctx: Pick<StepContext, 'app' | 'env'>): Expression {
  return {
    And: [
      { Tags: { Key: COST_TAGS[0], Values: [ctx.app], MatchOptions: ['EQUALS'] } },
      { Tags: { Key: COST_TAGS[1], Values: [ctx.env], MatchOptions: ['EQUALS'] } },
    ],
  };
}

/**
 * Activates the wizard's tags as cost allocation tags where they are not yet active. AWS lists a user tag only
 * after billing has seen it on a resource, which can take up to 24 hours after the first deploy; until then the
 * activation is answered with an error per tag, said here and tried again by the next deploy. Returns what it did.
 */
export async function activateCostTags(ctx: StepContext): Promise<{ activated: string[]; pending: string[] }> {
  const listed =
    (await ctx.aws.costExplorer.send(new ListCostAllocationTagsCommand({ TagKeys: [...COST_TAGS], Type: 'UserDefined' }))).CostAllocationTags ?? [];
  const inactive = COST_TAGS.filter((k) => listed.find((t) => t.TagKey === k)?.Status !== 'Active');
  if (!inactive.length) return { activated: [], pending: [] };
  const res = await ctx.aws.costExplorer.send(
    new UpdateCostAllocationTagsStatusCommand({ CostAllocationTagsStatus: inactive.map((TagKey) => ({ TagKey, Status: 'Active' })) }),
  );
  const pending = (res.Errors ?? []).map((e) => e.TagKey!).filter(Boolean);
  const activated = inactive.filter((k) => !pending.includes(k));
  if (activated.length) ctx.log.info(`activated ${activated.join(', ')} as cost allocation tags: AWS counts costs by them from now on, within 24 hours`);
  if (pending.length)
    ctx.log.info(
      `${pending.join(', ')} cannot be activated as cost allocation tags yet: AWS lists a tag only once billing has seen it, up to 24 hours after the first deploy; the next deploy tries again`,
    );
  return { activated, pending };
}

export const monitorName = (ctx: Pick<StepContext, 'app' | 'env'>) => budgetName(ctx);

export async function findMonitor(ctx: StepContext): Promise<AnomalyMonitor | undefined> {
  let NextPageToken: string | undefined;
  do {
    const page = await ctx.aws.costExplorer.send(new GetAnomalyMonitorsCommand({ NextPageToken }));
    const found = page.AnomalyMonitors?.find((m) => m.MonitorName === monitorName(ctx));
    if (found) return found;
    NextPageToken = page.NextPageToken;
  } while (NextPageToken);
  return undefined;
}

async function findSubscription(ctx: StepContext, monitorArn: string): Promise<AnomalySubscription | undefined> {
  const res = await ctx.aws.costExplorer.send(new GetAnomalySubscriptionsCommand({ MonitorArn: monitorArn }));
  return res.AnomalySubscriptions?.find((s) => s.SubscriptionName === monitorName(ctx));
}

/** Who is told: the alarm topic at once when there are alarms, else the budget's addresses in a daily digest (e-mail cannot be immediate). */
export function anomalyDelivery(topicArn: string | undefined, emails: readonly string[]): { Frequency: 'IMMEDIATE' | 'DAILY'; Subscribers: Subscriber[] } {
  return topicArn
    ? { Frequency: 'IMMEDIATE', Subscribers: [{ Type: 'SNS', Address: topicArn }] }
    : { Frequency: 'DAILY', Subscribers: [...emails].sort().map((Address) => ({ Type: 'EMAIL', Address })) };
}

const threshold = (usd: number): Expression => ({
  Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', Values: [String(usd)], MatchOptions: ['GREATER_THAN_OR_EQUAL'] },
});

const subscriptionKey = (s: Pick<AnomalySubscription, 'Frequency' | 'Subscribers' | 'ThresholdExpression'>) =>
  canonicalJson({
    f: s.Frequency,
    to: (s.Subscribers ?? []).map((x) => `${x.Type}:${x.Address}`).sort(),
    t: s.ThresholdExpression?.Dimensions?.Values,
  });

/**
 * The monitor (a CUSTOM one over this app's and env's tags) and its subscription, as the config asks. CreateAnomalyMonitor
 * takes no idempotency token: the monitor is looked up by name first, and an intent recorded before the create makes
 * a run killed after it look again rather than trust the lookup alone.
 */
export async function ensureAnomalyDetection(
  ctx: StepContext,
  want: { thresholdUsd: number; topicArn?: string; emails: readonly string[] },
): Promise<{ monitorArn: string; subscriptionArn: string }> {
  let monitor = await findMonitor(ctx);
  if (!monitor) {
    await ctx.intents.record('anomaly-monitor', { name: monitorName(ctx) });
    ctx.log.info(`creating Cost Anomaly Detection monitor ${monitorName(ctx)} (this app's and env's tagged costs)`);
    const arn = (
      await ctx.aws.costExplorer.send(
        new CreateAnomalyMonitorCommand({
          AnomalyMonitor: { MonitorName: monitorName(ctx), MonitorType: 'CUSTOM', MonitorSpecification: costFilter(ctx) },
          ResourceTags: ownershipTags(ctx, 'budget'),
        }),
      )
    ).MonitorArn!;
    monitor = { MonitorArn: arn, MonitorName: monitorName(ctx), MonitorType: 'CUSTOM' };
  }
  await ctx.intents.clear('anomaly-monitor');
  const monitorArn = monitor.MonitorArn!;
  const wanted = { ...anomalyDelivery(want.topicArn, want.emails), ThresholdExpression: threshold(want.thresholdUsd) };
  const found = await findSubscription(ctx, monitorArn);
  if (!found) {
    ctx.log.info(
      `subscribing ${wanted.Frequency === 'IMMEDIATE' ? 'the alarm topic' : want.emails.join(', ')} to cost anomalies of $${want.thresholdUsd} or more`,
    );
    const arn = (
      await ctx.aws.costExplorer.send(
        new CreateAnomalySubscriptionCommand({
          AnomalySubscription: { SubscriptionName: monitorName(ctx), MonitorArnList: [monitorArn], ...wanted },
          ResourceTags: ownershipTags(ctx, 'budget'),
        }),
      )
    ).SubscriptionArn!;
    return { monitorArn, subscriptionArn: arn };
  }
  if (subscriptionKey(found) !== subscriptionKey(wanted)) {
    ctx.log.info(
      `cost anomaly subscription: ${wanted.Frequency.toLowerCase()} to ${wanted.Subscribers.map((s) => s.Address).join(', ')} at $${want.thresholdUsd}`,
    );
    await ctx.aws.costExplorer.send(
      new UpdateAnomalySubscriptionCommand({
        SubscriptionArn: found.SubscriptionArn,
        Frequency: wanted.Frequency,
        Subscribers: wanted.Subscribers,
        ThresholdExpression: wanted.ThresholdExpression,
      }),
    );
  }
  return { monitorArn, subscriptionArn: found.SubscriptionArn! };
}

/** Removes the subscription and the monitor (anomalyDetection left the config, or destroy). */
export async function removeAnomalyDetection(ctx: StepContext): Promise<boolean> {
  const monitor = await findMonitor(ctx);
  if (!monitor) return false;
  const sub = await findSubscription(ctx, monitor.MonitorArn!);
  if (sub) await ctx.aws.costExplorer.send(new DeleteAnomalySubscriptionCommand({ SubscriptionArn: sub.SubscriptionArn }));
  await ctx.aws.costExplorer.send(new DeleteAnomalyMonitorCommand({ MonitorArn: monitor.MonitorArn }));
  return true;
}
