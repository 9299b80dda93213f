import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { OWNED_BUCKET_CALLS, RUN_TASK_GRANTS } from '../../src/aws/grants.js';
import { dbSetupFamilyName, transferBucketName } from '../../src/aws/names.js';
import { parsePreviewEnv } from '../../src/preview/preview-of.js';

// A preview's data, in place of the parent's pgvector step: its database role,
// and its database on the parent's instance, cloned from the parent's (or
// another preview's), empty, or the parent's own read-only ("shared"); by a
// one-off task of the database client inside the VPC. preview down keeps a
// dump of it in the parent's transfer bucket, under previews/.
export const manifest = defineStep({
  id: 'pgvector',
  title: "Create the preview's database (clone, empty or shared)",
  dependsOn: ['rds', 'network', 'iam-roles', 'task-definition'],
  enabled: (c) => !!c.database,
  resources: (w) => {
    const parent = w.preview?.parent ?? parsePreviewEnv(w.env)?.parent;
    const bucket = parent ? `arn:${w.partition}:s3:::${transferBucketName({ app: w.app, env: parent, account: w.account })}` : undefined;
    return [
      { kind: 'task-definition', arn: arnIn(w, 'ecs', `task-definition/${dbSetupFamilyName(w)}:*`) },
      ...(bucket
        ? [
            { kind: 'preview-dumps-bucket', arn: bucket },
            { kind: 'preview-dumps', arn: `${bucket}/previews/*` },
          ]
        : []),
    ];
  },
  grants: [
    ...RUN_TASK_GRANTS,
    { sid: 'ReadDatabaseSecret', calls: ['SecretsManager:DescribeSecret'], on: ['database-secret'] },
    // The parent's transfer bucket, made if no db command has made it yet; its rule for previews/ converged.
    { sid: 'ListBucketsForDumps', calls: ['S3:ListBuckets'], on: '*' },
    {
      sid: 'PreviewDumpsBucket',
      calls: [...OWNED_BUCKET_CALLS, 'S3:GetBucketLifecycleConfiguration', 'S3:PutBucketLifecycleConfiguration'],
      on: ['preview-dumps-bucket'],
    },
    {
      sid: 'PreviewDumps',
      calls: ['S3:PutObject', 'S3:CreateMultipartUpload', 'S3:UploadPart', 'S3:CompleteMultipartUpload', 'S3:AbortMultipartUpload'],
      on: ['preview-dumps'],
    },
  ],
  load: async () => (await import('./apply.js')).previewData,
  loadTeardown: async () => (await import('./teardown.js')).destroyPreviewData,
});
