import { randomUUID } from 'node:crypto';
import { startAwsProxy, type AwsRequest } from './aws-proxy.js';

/**
 * A stand-in for what moto lacks of Cost Explorer and Budgets, in front of moto, answered as the AWS Billing and
 * Cost Management API reference documents each call:
 * - Cost Anomaly Detection: CreateAnomalyMonitor (answers MonitorArn), GetAnomalyMonitors, DeleteAnomalyMonitor,
 *   CreateAnomalySubscription (SubscriptionArn), GetAnomalySubscriptions (by MonitorArn), UpdateAnomalySubscription,
 *   DeleteAnomalySubscription (a monitor with subscriptions can still be deleted; its subscriptions lose it).
 * - Cost allocation tags: ListCostAllocationTags lists a user tag only once billing has seen it (`seen`), and
 *   UpdateCostAllocationTagsStatus answers a tag it has not seen with an entry in Errors, not a failure
 *   (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatus.html).
 * - UpdateBudget: "an HTTP 200 response with an empty HTTP body", the budget replaced by NewBudget.
 */
export async function startCostExplorer(upstream: string, o: { seen?: string[] } = {}) {
  const monitors = new Map<string, Record<string, any>>();
  const subscriptions = new Map<string, Record<string, any>>();
  const tags = new Map<string, 'Active' | 'Inactive'>((o.seen ?? []).map((k) => [k, 'Inactive']));
  const budgets = new Map<string, Record<string, any>>();
  const calls: AwsRequest[] = [];
  const ok = (body: unknown) => ({ respond: { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) } });
  const proxy = await startAwsProxy(upstream, (r) => {
    if (r.action === 'UpdateBudget') {
      calls.push(r);
      const q = JSON.parse(r.body);
      budgets.set(q.NewBudget.BudgetName, q.NewBudget);
      return ok({});
    }
    // DescribeBudget after an UpdateBudget answers the budget as updated.
    if (r.action === 'DescribeBudget') {
      const q = JSON.parse(r.body);
      const b = budgets.get(q.BudgetName);
      if (b) return ok({ Budget: b });
      return 'pass';
    }
    if (r.service !== 'ce') return 'pass';
    calls.push(r);
    const q = JSON.parse(r.body || '{}');
    switch (r.action) {
      case 'CreateAnomalyMonitor': {
        const arn = `arn:aws:ce::123456789012:anomalymonitor/${randomUUID()}`;
        monitors.set(arn, { ...q.AnomalyMonitor, MonitorArn: arn, CreationDate: '2026-12-02' });
        return ok({ MonitorArn: arn });
      }
      case 'GetAnomalyMonitors':
        return ok({ AnomalyMonitors: [...monitors.values()].filter((m) => !q.MonitorArnList?.length || q.MonitorArnList.includes(m.MonitorArn)) });
      case 'DeleteAnomalyMonitor':
        if (!monitors.delete(q.MonitorArn)) return { error: 'UnknownMonitorException', message: 'Monitor not found' };
        return ok({});
      case 'CreateAnomalySubscription': {
        for (const m of q.AnomalySubscription.MonitorArnList) if (!monitors.has(m)) return { error: 'UnknownMonitorException', message: 'Monitor not found' };
        const arn = `arn:aws:ce::123456789012:anomalysubscription/${randomUUID()}`;
        subscriptions.set(arn, { ...q.AnomalySubscription, SubscriptionArn: arn, AccountId: '123456789012' });
        return ok({ SubscriptionArn: arn });
      }
      case 'GetAnomalySubscriptions':
        return ok({ AnomalySubscriptions: [...subscriptions.values()].filter((s) => !q.MonitorArn || s.MonitorArnList.includes(q.MonitorArn)) });
      case 'UpdateAnomalySubscription': {
        const s = subscriptions.get(q.SubscriptionArn);
        if (!s) return { error: 'UnknownSubscriptionException', message: 'Subscription not found' };
        for (const k of ['Frequency', 'Subscribers', 'ThresholdExpression', 'SubscriptionName', 'MonitorArnList']) if (q[k] !== undefined) s[k] = q[k];
        return ok({ SubscriptionArn: q.SubscriptionArn });
      }
      case 'DeleteAnomalySubscription':
        if (!subscriptions.delete(q.SubscriptionArn)) return { error: 'UnknownSubscriptionException', message: 'Subscription not found' };
        return ok({});
      case 'ListCostAllocationTags':
        return ok({
          CostAllocationTags: [...tags]
            .filter(([k]) => !q.TagKeys?.length || q.TagKeys.includes(k))
            .map(([TagKey, Status]) => ({ TagKey, Status, Type: 'UserDefined' })),
        });
      case 'UpdateCostAllocationTagsStatus': {
        const Errors = [];
        for (const { TagKey, Status } of q.CostAllocationTagsStatus) {
          if (!tags.has(TagKey)) Errors.push({ TagKey, Code: 'TagKeysNotFoundException', Message: `The tag key ${TagKey} is not found.` });
          else tags.set(TagKey, Status);
        }
        return ok({ Errors });
      }
      default:
        return { error: 'UnknownOperationException', message: `the stand-in does not answer ${r.action}` };
    }
  });
  return {
    url: proxy.url,
    monitors,
    subscriptions,
    tags,
    calls,
    budgets,
    /** Billing sees a tag (a day after it was first put on a resource, on AWS). */
    see: (key: string) => void (tags.has(key) || tags.set(key, 'Inactive')),
    close: () => proxy.close(),
  };
}
