import {
  DeleteAlarmsCommand,
  DeleteDashboardsCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { DeleteTopicCommand, ListTagsForResourceCommand as ListTopicTagsCommand } from '@aws-sdk/client-sns';
import { DeleteAliasCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { alarmPrefix } from '../../src/alarms/alarm-specs.js';
import { findAlarmTopic, findKey, keyAlias } from '../../src/alarms/alarm-topic.js';
import { topicName, dashboardName, logGroupName, slackConfigName } from '../../src/aws/names.js';
import { ourFilters } from '../../src/alarms/log-filters.js';
import { DeleteMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { removeSlackChannel, SLACK_INTENT } from '../../src/alarms/slack-channel.js';

/** The alarms, the dashboard, the topic (its subscriptions go with it) and its key (scheduled for deletion: KMS waits at least 7 days). */
export async function destroyAlarms(ctx: StepContext<'alarms'>): Promise<Teardown[]> {
  const items: Teardown[] = [];
  // Chatbot is asked only when this env has had a Slack channel: most never call its API.
  if (ctx.config.alarms?.slack || ctx.previous()?.slack || ctx.intents.get(SLACK_INTENT))
    items.push({
      resource: `AWS Chatbot configuration ${slackConfigName(ctx)} (if made) and its role`,
      remove: async () => void (await removeSlackChannel(ctx)),
    });
  const mine: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: alarmPrefix(ctx), NextToken }));
    for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])])
      if (ownedBy(ctx, (await ctx.aws.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: a.AlarmArn }))).Tags)) mine.push(a.AlarmName!);
    NextToken = page.NextToken;
  } while (NextToken);
  if (mine.length)
    items.push({
      resource: `${mine.length} CloudWatch alarm(s) ${alarmPrefix(ctx)}*`,
      remove: async () => {
        for (let i = 0; i < mine.length; i += 100) await ctx.aws.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: mine.slice(i, i + 100) }));
      },
    });
  const filters = await ourFilters(ctx);
  if (filters.length)
    items.push({
      resource: `${filters.length} log metric filter(s) ${alarmPrefix(ctx)}log-*`,
      remove: async () => {
        for (const f of filters)
          await unlessNotFound(
            ctx.aws.logs.send(new DeleteMetricFilterCommand({ logGroupName: logGroupName(ctx), filterName: f.filterName })),
            'ResourceNotFoundException',
          );
      },
    });
  const dash = await unlessNotFound(
    ctx.aws.cloudwatch.send(new GetDashboardCommand({ DashboardName: dashboardName(ctx) })),
    'ResourceNotFound',
    'ResourceNotFoundException',
  );
  // Dashboards take no tags: ours is the one by our name whose graphs are our alarms.
  if (dash?.DashboardBody?.includes(alarmPrefix(ctx)))
    items.push({
      resource: `CloudWatch dashboard ${dashboardName(ctx)}`,
      remove: async () =>
        void (await unlessNotFound(ctx.aws.cloudwatch.send(new DeleteDashboardsCommand({ DashboardNames: [dashboardName(ctx)] })), 'ResourceNotFound')),
    });
  const topic = await findAlarmTopic(ctx);
  if (topic && ownedBy(ctx, (await ctx.aws.sns.send(new ListTopicTagsCommand({ ResourceArn: topic.arn }))).Tags))
    items.push({
      resource: `SNS topic ${topicName(ctx)} and its subscriptions`,
      remove: async () => void (await ctx.aws.sns.send(new DeleteTopicCommand({ TopicArn: topic.arn }))),
    });
  const key = await findKey(ctx);
  if (key)
    items.push({
      resource: `KMS key ${keyAlias(ctx)} (deleted after 7 days)`,
      remove: async () => {
        // The key id, not its ARN: both are valid on AWS, and the emulator takes only the id.
        await unlessNotFound(ctx.aws.kms.send(new DeleteAliasCommand({ AliasName: keyAlias(ctx) })), 'NotFoundException');
        await unlessNotFound(
          ctx.aws.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.split('/').pop(), PendingWindowInDays: 7 })),
          'NotFoundException',
          'KMSInvalidStateException',
        );
      },
    });
  return items;
}
