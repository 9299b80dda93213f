import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { passTo } from '../../src/aws/grants.js';
import { familyName, logGroupName, scheduleFamilyName } from '../../src/aws/names.js';

export const manifest = defineStep({
  id: 'task-definition',
  title: 'Register the ECS task definitions',
  dependsOn: ['ecr-push', 'secrets', 'iam-roles', 'vpc-egress', 'efs'],
  resources: (w, c) => [
    // A family's revisions: "<family>:<n>".
    ...Object.keys(c.services).map((s) => ({ kind: 'task-definition', arn: arnIn(w, 'ecs', `task-definition/${familyName(w, s)}:*`) })),
    ...Object.keys(c.schedules).map((s) => ({ kind: 'task-definition', arn: arnIn(w, 'ecs', `task-definition/${scheduleFamilyName(w, s)}:*`) })),
    { kind: 'log-group', arn: arnIn(w, 'logs', `log-group:${logGroupName(w)}`) },
    // Its streams (and the group as some calls name it, with ":*").
    { kind: 'log-stream', arn: arnIn(w, 'logs', `log-group:${logGroupName(w)}:*`) },
  ],
  grants: [
    // RegisterTaskDefinition takes no resource; DescribeLogGroups lists.
    {
      sid: 'TaskDefinitions',
      calls: ['ECS:RegisterTaskDefinition', 'ECS:DescribeTaskDefinition', 'Logs:DescribeLogGroups'],
      actions: ['ecs:TagResource'],
      on: '*',
    },
    {
      sid: 'LogGroup',
      calls: ['Logs:CreateLogGroup', 'Logs:PutRetentionPolicy'],
      actions: ['logs:TagResource', 'logs:TagLogGroup'],
      on: ['log-group', 'log-stream'],
    },
    { sid: 'PassRolesToTaskDefinitions', actions: ['iam:PassRole'], on: ['task-role'], condition: passTo('ecs-tasks.amazonaws.com') },
  ],
  cost() {
    return [{ component: 'CloudWatch Logs', size: '~5 GB ingested', monthly: 2.5 }];
  },
  load: async () => (await import('./apply.js')).taskDefinition,
  loadTeardown: async () => (await import('./teardown.js')).destroyTaskDefinitions,
});
