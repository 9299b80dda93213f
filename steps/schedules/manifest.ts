import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { passTo } from '../../src/aws/grants.js';
import { scheduleDlqArn, scheduleGroupName } from '../../src/aws/names.js';

export const manifest = defineStep({
  id: 'schedules',
  title: 'Schedule the recurring tasks (EventBridge Scheduler)',
  // After the rollout: a schedule follows its service's new revision once that revision runs.
  dependsOn: ['task-definition', 'service', 'iam-roles', 'network', 'ecr-push', 'secrets', 'efs'],
  // Always on, so that removing the last schedule deletes it; with none it is one read.
  resources: (w) => [
    { kind: 'schedule-group', arn: arnIn(w, 'scheduler', `schedule-group/${scheduleGroupName(w)}`) },
    // The group's schedules: the group's exact name bounds them.
    { kind: 'schedule', arn: arnIn(w, 'scheduler', `schedule/${scheduleGroupName(w)}/*`) },
    { kind: 'dead-letter-queue', arn: scheduleDlqArn(w) },
  ],
  grants: [
    {
      sid: 'Schedules',
      calls: [
        'Scheduler:GetScheduleGroup',
        'Scheduler:CreateScheduleGroup',
        'Scheduler:ListSchedules',
        'Scheduler:GetSchedule',
        'Scheduler:CreateSchedule',
        'Scheduler:UpdateSchedule',
        'Scheduler:DeleteSchedule',
        'Scheduler:ListTagsForResource',
      ],
      actions: ['scheduler:TagResource'],
      on: ['schedule-group', 'schedule'],
    },
    {
      sid: 'ScheduleDeadLetters',
      calls: ['SQS:GetQueueUrl', 'SQS:CreateQueue', 'SQS:ListQueueTags', 'SQS:GetQueueAttributes', 'SQS:SetQueueAttributes', 'SQS:DeleteQueue'],
      // CreateQueue with tags is also authorized as sqs:TagQueue.
      actions: ['sqs:TagQueue'],
      on: ['dead-letter-queue'],
    },
    { sid: 'PassSchedulerRole', actions: ['iam:PassRole'], on: ['scheduler-role'], condition: passTo('scheduler.amazonaws.com') },
  ],
  cost(config) {
    // 14 million invocations a month are free; a schedule a minute is 44,000.
    return [{ component: 'EventBridge Scheduler', size: `${Object.keys(config.schedules).length} schedule(s)`, monthly: 0 }];
  },
  load: async () => (await import('./apply.js')).schedules,
  loadTeardown: async () => (await import('./teardown.js')).destroySchedules,
});
