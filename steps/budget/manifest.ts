import { defineStep } from '../../src/pipeline/manifest.js';
import { budgetName } from '../../src/aws/names.js';

export const manifest = defineStep({
  id: 'budget',
  title: 'A monthly cost budget (AWS Budgets)',
  // The anomaly subscription tells the alarm topic, when there is one.
  dependsOn: ['alarms'],
  enabled: (c) => !!c.budget,
  resources: (w) => [{ kind: 'budget', arn: `arn:${w.partition}:budgets::${w.account}:budget/${budgetName(w)}` }],
  grants: [
    {
      sid: 'Budget',
      calls: [
        'Budgets:DescribeBudget',
        'Budgets:CreateBudget',
        'Budgets:UpdateBudget',
        'Budgets:DescribeNotificationsForBudget',
        'Budgets:CreateNotification',
        'Budgets:DeleteNotification',
      ],
      on: ['budget'],
    },
    {
      // Cost Explorer gives monitors and subscriptions generated ids; cost allocation tags are the account's.
      sid: 'CostAnomalies',
      calls: [
        'CostExplorer:ListCostAllocationTags',
        'CostExplorer:UpdateCostAllocationTagsStatus',
        'CostExplorer:GetAnomalyMonitors',
        'CostExplorer:CreateAnomalyMonitor',
        'CostExplorer:DeleteAnomalyMonitor',
        'CostExplorer:GetAnomalySubscriptions',
        'CostExplorer:CreateAnomalySubscription',
        'CostExplorer:UpdateAnomalySubscription',
        'CostExplorer:DeleteAnomalySubscription',
      ],
      actions: ['ce:TagResource'],
      on: '*',
    },
  ],
  cost() {
    // The first two budgets of an account are free; each further one is $0.02 a day. Cost Anomaly Detection is free.
    return [{ component: 'AWS Budgets', size: '1 budget (the first 2 are free)', monthly: 0 }];
  },
  load: async () => (await import('./apply.js')).budget,
  loadTeardown: async () => (await import('./teardown.js')).destroyBudget,
});
