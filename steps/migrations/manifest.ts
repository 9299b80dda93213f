import { defineStep } from '../../src/pipeline/manifest.js';
import { RUN_TASK_GRANTS } from '../../src/aws/grants.js';

export const manifest = defineStep({
  id: 'migrations',
  title: 'Run the database migrations (one-off task)',
  dependsOn: ['task-definition', 'network', 'pgvector'],
  enabled: (c) => !!c.migrations?.command.length,
  grants: RUN_TASK_GRANTS,
  load: async () => (await import('./apply.js')).migrations,
});
