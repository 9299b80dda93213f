import { defineStep, type Where } from '../../src/pipeline/manifest.js';
import { appRoleNames, boundaryArn, roleName } from '../../src/aws/names.js';
import { roleGrants } from '../../src/aws/grants.js';

const roleArn = (w: Where, name: string) => `arn:${w.partition}:iam::${w.account}:role/${name}`;

// The CI role may create and write the policies of exactly this app's roles,
// and only while they carry the app's permissions boundary
// (iam:PermissionsBoundary), which it may never change or remove (the Denies
// in src/ci/deploy-policy.ts). So a workflow that writes {"Action":"*"} on the
// task role still gets no more than the boundary allows
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
export const manifest = defineStep({
  id: 'iam-roles',
  title: 'Create the task and execution roles (IAM)',
  dependsOn: ['secrets', 's3-buckets', 'cognito', 'rds', 'efs'],
  resources: (w, c) => {
    const scheduler = roleName(w.app, w.env, 'scheduler');
    return [
      ...appRoleNames({ app: w.app, env: w.env, config: c }).map((n) => ({ kind: n === scheduler ? 'scheduler-role' : 'task-role', arn: roleArn(w, n) })),
      { kind: 'boundary-policy', arn: boundaryArn(w) },
    ];
  },
  grants: [
    ...roleGrants('AppRoles', ['task-role', 'scheduler-role']),
    { sid: 'ReadBoundary', calls: ['IAM:GetPolicy', 'IAM:GetPolicyVersion', 'IAM:ListPolicyVersions'], on: ['boundary-policy'] },
  ],
  load: async () => (await import('./apply.js')).iamRoles,
  loadTeardown: async () => (await import('./teardown.js')).destroyRoles,
});
