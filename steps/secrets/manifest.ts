import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { hasAppSecret } from '../../src/config/features.js';
import { appSecretName } from '../../src/aws/names.js';
import { secretsCost } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 'secrets',
  title: 'Store the app secrets (Secrets Manager)',
  dependsOn: ['rds', 'rds-proxy', 'elasticache', 'cognito'],
  enabled: hasAppSecret,
  resources: (w) => [{ kind: 'app-secret', arn: arnIn(w, 'secretsmanager', `secret:${appSecretName(w)}-??????`) }],
  grants: [
    {
      sid: 'AppSecrets',
      calls: [
        'SecretsManager:DescribeSecret',
        'SecretsManager:GetSecretValue',
        'SecretsManager:CreateSecret',
        'SecretsManager:PutSecretValue',
        'SecretsManager:RestoreSecret',
      ],
      actions: ['secretsmanager:TagResource'],
      on: ['app-secret'],
    },
    // DATABASE_URL and REDIS_URL are derived from the credentials the database and cache steps made.
    { sid: 'ReadDerivedFrom', calls: ['SecretsManager:GetSecretValue'], on: ['database-secret', 'cache-secret'] },
  ],
  cost() {
    return [secretsCost(1)];
  },
  load: async () => (await import('./apply.js')).secrets,
  loadTeardown: async () => (await import('./teardown.js')).destroySecrets,
});
