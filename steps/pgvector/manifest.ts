import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { RUN_TASK_GRANTS, generatedSecret } from '../../src/aws/grants.js';
import { dbSetupFamilyName, previewsAdminSecretName } from '../../src/aws/names.js';

export const manifest = defineStep({
  id: 'pgvector',
  title: 'Create the database and extensions (pgvector)',
  // The task mode runs in the VPC with DATABASE_URL from the app secret, the execution role and the app's log group.
  dependsOn: ['rds', 'network', 'iam-roles', 'task-definition'],
  enabled: (c) => !!c.database,
  resources: (w, c) => [
    { kind: 'task-definition', arn: arnIn(w, 'ecs', `task-definition/${dbSetupFamilyName(w)}:*`) },
    // The parent of previews: the credentials of the database role previews sign in as (steps/preview-data).
    ...(c.previews?.from === w.env
      ? [{ kind: 'previews-db-secret', arn: arnIn(w, 'secretsmanager', `secret:${previewsAdminSecretName(w.app, w.env)}-??????`) }]
      : []),
  ],
  grants: [
    ...RUN_TASK_GRANTS,
    { sid: 'ReadDatabaseSecret', calls: ['SecretsManager:GetSecretValue', 'SecretsManager:DescribeSecret'], on: ['database-secret'] },
    generatedSecret('PreviewsDatabaseSecret', 'previews-db-secret'),
  ],
  load: async () => (await import('./apply.js')).pgvector,
});
