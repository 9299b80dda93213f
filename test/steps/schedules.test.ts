import { describe, expect, it } from 'vitest';
import { GetScheduleCommand, ListSchedulesCommand } from '@aws-sdk/client-scheduler';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { schedules } from '../../steps/schedules/apply.js';
import { destroySchedules } from '../../steps/schedules/teardown.js';
import { manifest } from '../../steps/schedules/manifest.js';
import { scheduleDlqName, scheduleFamilyName, scheduleGroupName, scheduleName } from '../../src/aws/names.js';
import { withNetwork } from '../helpers/with-network.js';
import { MUTATING } from '../helpers/step-context.js';
import type { StepOutputs } from '../../src/pipeline/step.js';

const ROLE = (app: string, kind: string) => `arn:aws:iam::123456789012:role/${app}-prod-${kind}`;

/** A worker with a nightly schedule, deployed as far as the schedules care: the outputs of the steps before them. */
async function scheduledApp(calls: string[]) {
  const t = await withNetwork(
    {
      service: undefined,
      services: { worker: { command: ['node', 'worker.js'] } },
      schedules: { nightly: { service: 'worker', cron: '0 3 * * ? *', command: ['node', 'nightly.js'] } },
    },
    { onCall: (c) => void (c.ok && calls.push(c.command)) },
  );
  const outputs: Partial<StepOutputs> = {
    network: t.net,
    'ecr-push': {
      images: {
        default: {
          repositoryName: `${t.app}-prod`,
          repositoryUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${t.app}-prod`,
          imageTag: 'abc',
          imageDigest: `sha256:${'a'.repeat(64)}`,
          imageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${t.app}-prod@sha256:${'a'.repeat(64)}`,
        },
      },
    },
    'iam-roles': {
      executionRoleName: `${t.app}-prod-execution`,
      executionRoleArn: ROLE(t.app, 'execution'),
      taskRoleName: `${t.app}-prod-task`,
      taskRoleArn: ROLE(t.app, 'task'),
      schedulerRoleName: `${t.app}-prod-scheduler`,
      schedulerRoleArn: ROLE(t.app, 'scheduler'),
    },
    service: { clusterName: `${t.app}-prod`, services: {} } as unknown as StepOutputs['service'],
  };
  t.ctx.output = (<T>(id: keyof StepOutputs) => {
    if (!(id in outputs)) throw new Error(id);
    return outputs[id] as T;
  }) as typeof t.ctx.output;
  return t;
}

describe('schedules', () => {
  it('makes the owned group, the schedule on its own task definition family with retries and the dead-letter queue; no call on a re-run; a changed cron is one update; a removed schedule is deleted; the teardown removes the rest', async () => {
    const calls: string[] = [];
    const { ctx, net } = await scheduledApp(calls);
    expect(
      manifest.resources!({ app: ctx.app, env: 'prod', account: ctx.account, region: ctx.region, partition: 'aws' }, ctx.config).map((r) => r.kind),
    ).toEqual(['schedule-group', 'schedule', 'dead-letter-queue']);
    const out = await schedules.apply(ctx);
    expect(out.group).toBe(scheduleGroupName(ctx));
    const nightly = out.schedules.nightly!;
    expect(nightly.taskDefinitionArn).toContain(`task-definition/${scheduleFamilyName(ctx, 'nightly')}:`);
    const got = await ctx.aws.scheduler.send(new GetScheduleCommand({ Name: scheduleName(ctx, 'nightly'), GroupName: out.group }));
    expect(got.ScheduleExpression).toBe('cron(0 3 * * ? *)');
    expect(got.Target!.RoleArn).toBe(ROLE(ctx.app, 'scheduler'));
    expect(got.Target!.EcsParameters!.NetworkConfiguration!.awsvpcConfiguration!.Subnets!.every((s) => net.subnetIds.includes(s))).toBe(true);
    expect(got.Target!.DeadLetterConfig!.Arn).toBe(out.deadLetterQueueArn);
    expect((await ctx.aws.sqs.send(new GetQueueUrlCommand({ QueueName: scheduleDlqName(ctx) }))).QueueUrl).toBeTruthy();
    expect((await schedules.verify(ctx, out)).every((c) => c.ok)).toBe(true);

    calls.length = 0;
    ctx.previous = () => out;
    await schedules.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);

    ctx.config = { ...ctx.config, schedules: { nightly: { ...ctx.config.schedules.nightly!, cron: '0 4 * * ? *' } } };
    calls.length = 0;
    await schedules.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual(['UpdateSchedule']);

    ctx.config = { ...ctx.config, schedules: {} };
    const none = await schedules.apply(ctx);
    expect(none.schedules).toEqual({});
    expect((await ctx.aws.scheduler.send(new ListSchedulesCommand({ GroupName: out.group }))).Schedules).toEqual([]);

    ctx.previous = () => none;
    const items = await destroySchedules(ctx);
    expect(items.map((i) => i.resource)).toContain(`schedule group ${out.group}`);
    for (const i of items) await i.remove!();
    expect(await destroySchedules(ctx)).toEqual([]);
  });
});
