import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { StepError } from '../errors.js';
import { scheduleDlqArn, scheduleDlqName } from './names.js';
import { unlessNotFound } from './not-found.js';
import { ownedBy } from '../pipeline/step.js';

// The schedules' dead-letter queue: where EventBridge Scheduler puts a run it
// could not start after its retries (the task definition gone, no capacity,
// a permission missing), so a failed nightly job is seen instead of lost
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).
// A standard queue (Scheduler takes no FIFO queue), encrypted with SQS's own
// keys, keeping messages 14 days.

type Where = { app: string; env: string; account: string; region: string };
const RETENTION_S = String(14 * 24 * 3600);
const ATTRIBUTES = { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: RETENTION_S };

const notFound = ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'];
export const findScheduleDlq = async (sqs: SQSClient, w: Where) =>
  (await unlessNotFound(sqs.send(new GetQueueUrlCommand({ QueueName: scheduleDlqName(w) })), ...notFound))?.QueueUrl;

/** SQS answers tags as a record; the ownership rule is the pipeline's own. */
const owned = (w: Where, tags: Record<string, string> | undefined) =>
  ownedBy(
    w,
    Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  );

/** The queue, made or adopted (ours by its tags) with encryption and retention converged; reads only when it is right. */
export async function ensureScheduleDlq(
  sqs: SQSClient,
  w: Where,
  tags: Record<string, string>,
  log: (m: string) => void,
): Promise<{ url: string; arn: string }> {
  let url = await findScheduleDlq(sqs, w);
  if (!url) {
    log(`creating the schedules' dead-letter queue ${scheduleDlqName(w)}`);
    // CreateQueue with the same name and attributes answers with the existing queue: safe to repeat after a crash.
    url = (await sqs.send(new CreateQueueCommand({ QueueName: scheduleDlqName(w), Attributes: ATTRIBUTES, tags }))).QueueUrl!;
    return { url, arn: scheduleDlqArn(w) };
  }
  const have = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags;
  if (!owned(w, have))
    throw new StepError('schedules', `adopt queue: ${scheduleDlqName(w)} exists but was not created by deploy-wizard`, {
      hint: `Delete or rename it, or tag it deploy-wizard:app=${w.app} and deploy-wizard:env=${w.env}.`,
    });
  const attrs = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['SqsManagedSseEnabled', 'MessageRetentionPeriod', 'KmsMasterKeyId'] }))
  ).Attributes;
  // A queue someone moved to their own KMS key is encrypted too: leave it.
  if (!attrs?.KmsMasterKeyId && (attrs?.SqsManagedSseEnabled !== 'true' || attrs?.MessageRetentionPeriod !== RETENTION_S)) {
    log(`converging ${scheduleDlqName(w)}: encryption and retention`);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: ATTRIBUTES }));
  }
  return { url, arn: scheduleDlqArn(w) };
}

/** How many dead-lettered runs the queue holds, by schedule name, with the last error of each. */
export async function deadLetteredRuns(sqs: SQSClient, w: Where): Promise<{ total: number; bySchedule: Record<string, { count: number; error?: string }> }> {
  const url = await findScheduleDlq(sqs, w);
  if (!url) return { total: 0, bySchedule: {} };
  const total = Number(
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes
      ?.ApproximateNumberOfMessages ?? 0,
  );
  const bySchedule: Record<string, { count: number; error?: string }> = {};
  if (!total) return { total, bySchedule };
  // A look without taking: visibility 0 leaves each message where it was for whoever reads the queue next.
  const peek = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageAttributeNames: ['All'] }));
  for (const m of peek.Messages ?? []) {
    const a = m.MessageAttributes ?? {};
    const schedule = a.SCHEDULE_ARN?.StringValue?.split('/').pop() ?? 'unknown';
    const error = [a.ERROR_CODE?.StringValue, a.ERROR_MESSAGE?.StringValue].filter(Boolean).join(': ') || undefined;
    const row = (bySchedule[schedule] ??= { count: 0 });
    row.count++;
    if (error) row.error = error;
  }
  return { total, bySchedule };
}

/** Deletes the queue if it is ours and holds nothing (or `force`); says why not otherwise. */
export async function deleteScheduleDlq(sqs: SQSClient, w: Where, force: boolean): Promise<'deleted' | 'absent' | { kept: string }> {
  const url = await findScheduleDlq(sqs, w);
  if (!url) return 'absent';
  if (!owned(w, (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags)) return { kept: 'not made by deploy-wizard' };
  if (!force) {
    const n = Number(
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes
        ?.ApproximateNumberOfMessages ?? 0,
    );
    if (n) return { kept: `it holds ${n} dead-lettered run(s); read them, then delete the queue or run destroy` };
  }
  await unlessNotFound(sqs.send(new DeleteQueueCommand({ QueueUrl: url })), ...notFound);
  return 'deleted';
}
