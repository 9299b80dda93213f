import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { RUN_TASK_GRANTS } from '../../src/aws/grants.js';
import { dbSetupFamilyName } from '../../src/aws/names.js';

// A preview's data, in place of the parent's pgvector step: its database role,
// and its database on the parent's instance, cloned from the parent's (or
// another preview's), empty, or the parent's own read-only ("shared"); by a
// one-off task of the database client inside the VPC.
export const manifest = defineStep({
  id: 'pgvector',
  title: "Create the preview's database (clone, empty or shared)",
  dependsOn: ['rds', 'network', 'iam-roles', 'task-definition'],
  enabled: (c) => !!c.database,
  resources: (w) => [{ kind: 'task-definition', arn: arnIn(w, 'ecs', `task-definition/${dbSetupFamilyName(w)}:*`) }],
  grants: [...RUN_TASK_GRANTS, { sid: 'ReadDatabaseSecret', calls: ['SecretsManager:DescribeSecret'], on: ['database-secret'] }],
  load: async () => (await import('./apply.js')).previewData,
  loadTeardown: async () => (await import('./teardown.js')).destroyPreviewData,
});
