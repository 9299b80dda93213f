import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { generatedSecret } from '../../src/aws/grants.js';
import { previewDbSecretName } from '../../src/aws/names.js';
import { parsePreviewEnv } from '../../src/preview/preview-of.js';

// A preview's database, in place of the parent's rds step: no instance, only
// the credentials of the preview's own database role on the parent's
// instance, and the parent's instance described with the preview's database
// and role, so the secrets, roles and task definitions use them unchanged.
export const manifest = defineStep({
  id: 'rds',
  title: "Preview database credentials (on the parent's instance)",
  dependsOn: ['network'],
  enabled: (c) => !!c.database,
  resources: (w) => {
    const p = parsePreviewEnv(w.env);
    return p ? [{ kind: 'database-secret', arn: arnIn(w, 'secretsmanager', `secret:${previewDbSecretName({ ...w, preview: p })}-??????`) }] : [];
  },
  grants: [generatedSecret('PreviewDatabaseSecret', 'database-secret')],
  load: async () => (await import('./apply.js')).previewDatabase,
});
