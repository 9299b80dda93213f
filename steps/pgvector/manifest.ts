import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { RUN_TASK_GRANTS } from '../../src/aws/grants.js';
import { dbSetupFamilyName } from '../../src/aws/names.js';

export const manifest = defineStep({
  id: 'pgvector',
  title: 'Create the database and extensions (pgvector)',
  // The task mode runs in the VPC with DATABASE_URL from the app secret, the execution role and the app's log group.
  dependsOn: ['rds', 'network', 'iam-roles', 'task-definition'],
  enabled: (c) => !!c.database,
  resources: (w) => [{ kind: 'task-definition', arn: arnIn(w, 'ecs', `task-definition/${dbSetupFamilyName(w)}:*`) }],
  grants: [
    ...RUN_TASK_GRANTS,
    { sid: 'ReadDatabaseSecret', calls: ['SecretsManager:GetSecretValue', 'SecretsManager:DescribeSecret'], on: ['database-secret'] },
  ],
  load: async () => (await import('./apply.js')).pgvector,
});
