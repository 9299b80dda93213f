import { defineStep } from '../../src/pipeline/manifest.js';
import { hasCognito } from '../../src/config/features.js';

export const manifest = defineStep({
  id: 'cognito',
  title: 'Create the Cognito user pool and app client',
  dependsOn: [],
  enabled: hasCognito,
  // User pools have generated ids: scoped by action.
  grants: [
    {
      sid: 'UserPool',
      calls: [
        'Cognito:ListUserPools',
        'Cognito:DescribeUserPool',
        'Cognito:CreateUserPool',
        'Cognito:UpdateUserPool',
        'Cognito:GetUserPoolMfaConfig',
        'Cognito:SetUserPoolMfaConfig',
        'Cognito:ListUserPoolClients',
        'Cognito:DescribeUserPoolClient',
        'Cognito:CreateUserPoolClient',
        'Cognito:UpdateUserPoolClient',
      ],
      actions: ['cognito-idp:TagResource', 'cognito-idp:ListTagsForResource'],
      on: '*',
    },
  ],
  cost() {
    return [{ component: 'Cognito', size: 'under 10,000 monthly active users', monthly: 0 }];
  },
  load: async () => (await import('./apply.js')).cognito,
  loadTeardown: async () => (await import('./teardown.js')).destroyUserPool,
});
