import {
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-scheduler';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { scheduleDlqName, scheduleGroupName } from '../../src/aws/names.js';
import { deleteScheduleDlq, findScheduleDlq } from '../../src/aws/schedule-dlq.js';

/** The schedule group is the app's own (its tags say so): its schedules go one by one, then the group. */
export async function destroySchedules(ctx: StepContext): Promise<Teardown[]> {
  const items: Teardown[] = [];
  // The dead letters say why runs failed; they go with the schedules (deleteScheduleDlq checks the queue's tags).
  const dlq = await findScheduleDlq(ctx.aws.sqs, ctx);
  if (dlq)
    items.push({
      resource: `SQS queue ${scheduleDlqName(ctx)} (the schedules' dead letters)`,
      remove: async () => void (await deleteScheduleDlq(ctx.aws.sqs, ctx, true)),
    });
  const group = scheduleGroupName(ctx);
  const found = await unlessNotFound(ctx.aws.scheduler.send(new GetScheduleGroupCommand({ Name: group })), 'ResourceNotFoundException');
  if (!found || found.State === 'DELETING') return items;
  const tags = (await ctx.aws.scheduler.send(new ListTagsForResourceCommand({ ResourceArn: found.Arn }))).Tags;
  if (!ownedBy(ctx, tags)) return items;
  let NextToken: string | undefined;
  do {
    const page = await ctx.aws.scheduler.send(new ListSchedulesCommand({ GroupName: group, NextToken }));
    for (const s of page.Schedules ?? [])
      items.push({
        resource: `schedule ${s.Name}`,
        remove: async () =>
          void (await unlessNotFound(ctx.aws.scheduler.send(new DeleteScheduleCommand({ Name: s.Name, GroupName: group })), 'ResourceNotFoundException')),
      });
    NextToken = page.NextToken;
  } while (NextToken);
  items.push({
    resource: `schedule group ${group}`,
    remove: async () => void (await unlessNotFound(ctx.aws.scheduler.send(new DeleteScheduleGroupCommand({ Name: group })), 'ResourceNotFoundException')),
  });
  return items;
}
