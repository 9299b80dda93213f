import type { Grant } from '../pipeline/manifest.js';

// Grants more than one step needs, because the code that makes the calls is
// shared (src/aws/bucket.ts, src/aws/hosted-zone.ts, the one-off task runner,
// src/secrets/store.ts). Each names resource kinds, never ARNs: the steps'
// manifests say which resources those are.

/** What src/aws/bucket.ts calls to make or adopt a bucket the wizard owns (the app's and the site's). */
export const OWNED_BUCKET_CALLS = [
  'S3:HeadBucket',
  'S3:CreateBucket',
  'S3:GetBucketTagging',
  'S3:PutBucketTagging',
  'S3:GetPublicAccessBlock',
  'S3:PutPublicAccessBlock',
  'S3:GetBucketEncryption',
  'S3:PutBucketEncryption',
  'S3:GetBucketVersioning',
  'S3:PutBucketVersioning',
] as const;

/** What src/aws/hosted-zone.ts calls to find the zone and write records. */
export const HOSTED_ZONE_CALLS = [
  'Route53:ListHostedZonesByName',
  'Route53:GetHostedZone',
  'Route53:ListResourceRecordSets',
  'Route53:ChangeResourceRecordSets',
] as const;

/** A secret of generated values made once and read back (src/secrets/store.ts ensureGeneratedSecret). */
export const generatedSecret = (sid: string, kind: string): Grant => ({
  sid,
  calls: ['SecretsManager:DescribeSecret', 'SecretsManager:GetSecretValue', 'SecretsManager:CreateSecret', 'SecretsManager:RestoreSecret'],
  actions: ['secretsmanager:TagResource'],
  on: [kind],
});

export const passTo = (service: string) => ({ StringEquals: { 'iam:PassedToService': service } });

/** A one-off task of the app's (the database setup, migrations): run, watch, read its log. */
export const RUN_TASK_GRANTS: readonly Grant[] = [
  { sid: 'RunOneOffTasks', calls: ['ECS:RunTask'], on: ['task-definition'] },
  { sid: 'WatchTasks', calls: ['ECS:DescribeTasks', 'ECS:ListTasks', 'ECS:DescribeServices', 'ECS:DescribeTaskDefinition'], on: '*' },
  { sid: 'ReadTaskLogs', calls: ['Logs:GetLogEvents'], on: ['log-stream'] },
  { sid: 'PassTaskRoles', actions: ['iam:PassRole'], on: ['task-role'], condition: passTo('ecs-tasks.amazonaws.com') },
];

/** Reading and converging a role of the app's (src/aws/ensure-role.ts), on the given role kinds. */
export const roleGrants = (sid: string, on: readonly string[]): Grant[] => [
  {
    sid,
    calls: [
      'IAM:GetRole',
      'IAM:UpdateAssumeRolePolicy',
      'IAM:ListRolePolicies',
      'IAM:GetRolePolicy',
      'IAM:DeleteRolePolicy',
      'IAM:ListAttachedRolePolicies',
      'IAM:DetachRolePolicy',
    ],
    actions: ['iam:TagRole'],
    on,
  },
  // Created and written only with the app's permissions boundary (src/aws/app-roles.ts).
  { sid: `Bounded${sid}`, calls: ['IAM:CreateRole', 'IAM:PutRolePolicy', 'IAM:PutRolePermissionsBoundary'], on, boundary: true },
];
