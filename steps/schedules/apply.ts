import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type GetScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import { capacityStrategy } from '../../src/aws/capacity-strategy.js';
import type { StepContext } from '../../src/pipeline/context.js';
import { StepError } from '../../src/errors.js';
import { canonicalJson } from '../../src/canonical-json.js';
import { awsvpc } from '../../src/aws/ecs-helpers.js';
import { scheduleDlqArn, scheduleDlqName, scheduleFamilyName, scheduleGroupName, scheduleName, scheduleStreamPrefix } from '../../src/aws/names.js';
import { deleteScheduleDlq, ensureScheduleDlq, findScheduleDlq } from '../../src/aws/schedule-dlq.js';
import { deregisterFamily } from '../../src/aws/ecs-service.js';
import { ensureTaskDefinition, render as renderTaskDefinition } from '../../src/aws/task-definition.js';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { nextRun, parseSchedule } from '../../src/config/schedule-expression.js';
import { unlessNotFound, isError } from '../../src/aws/not-found.js';
import { retryIamPropagation } from '../../src/aws/retry-iam-propagation.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface ScheduleOutput {
  name: string;
  arn: string;
  service: string;
  expression: string;
  timezone: string;
  taskDefinitionArn: string;
}

export interface SchedulesOutput {
  group: string;
  schedules: Record<string, ScheduleOutput>;
  /** Where runs that could not start go after their retries (present while there are schedules). */
  deadLetterQueueArn?: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    schedules: SchedulesOutput;
  }
}

// EventBridge Scheduler schedules that start a one-off Fargate task. Each
// schedule has its own task definition family: the service's current one
// with the schedule's command and its own log stream prefix, so `logs --task
// NAME` finds its runs. Schedules cannot be tagged, so they live in a
// schedule group of their own that is: every schedule in an owned group is
// the wizard's, and one the config no longer names is deleted.

/** The schedule's task definition: its service's, with the schedule's command and log stream prefix. */
function scheduleTaskDefinition(ctx: StepContext, key: string): RegisterTaskDefinitionCommandInput {
  const s = ctx.config.schedules[key]!;
  const base = renderTaskDefinition(ctx, ctx.config.services[s.service]!);
  const command = s.command ?? ctx.config.services[s.service]!.command;
  const c = base.containerDefinitions![0]!;
  const log = c.logConfiguration!;
  return {
    ...base,
    family: scheduleFamilyName(ctx, key),
    containerDefinitions: [
      {
        ...c,
        ...(command ? { command } : {}),
        logConfiguration: { ...log, options: { ...log.options, 'awslogs-stream-prefix': scheduleStreamPrefix(key) } },
      },
    ],
  };
}

/** The CreateSchedule/UpdateSchedule input for one config schedule, running this task definition. */
function render(ctx: StepContext, key: string, taskDefinitionArn: string): CreateScheduleCommandInput {
  const s = ctx.config.schedules[key]!;
  const svc = ctx.output('service');
  const roles = ctx.output('iam-roles');
  const parsed = parseSchedule(s.cron);
  if ('problem' in parsed) throw new StepError('schedules', `schedules.${key}.cron: ${parsed.problem}`);
  const command = s.command ?? ctx.config.services[s.service]!.command;
  return {
    Name: scheduleName(ctx, key),
    GroupName: scheduleGroupName(ctx),
    ScheduleExpression: parsed.expression,
    ScheduleExpressionTimezone: s.timezone,
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: s.enabled ? 'ENABLED' : 'DISABLED',
    Description: `deploy-wizard ${ctx.app} ${ctx.env}: ${s.service}${command ? ` ${command.join(' ')}` : ''}`,
    Target: {
      Arn: `arn:${roles.taskRoleArn.split(':')[1]}:ecs:${ctx.region}:${ctx.account}:cluster/${svc.clusterName}`,
      RoleArn: roles.schedulerRoleArn!,
      EcsParameters: {
        TaskDefinitionArn: taskDefinitionArn,
        TaskCount: 1,
        // A schedule of a service on Fargate Spot runs where the service does (the same strategy); the launch type otherwise.
        ...(() => {
          const c = ctx.config.services[s.service]!.capacity;
          return c
            ? { CapacityProviderStrategy: capacityStrategy(c).map((i) => ({ capacityProvider: i.capacityProvider!, weight: i.weight, base: i.base })) }
            : { LaunchType: 'FARGATE' as const };
        })(),
        NetworkConfiguration: {
          awsvpcConfiguration: (() => {
            const a = awsvpc(ctx.output('network')).awsvpcConfiguration;
            return { Subnets: a.subnets, SecurityGroups: a.securityGroups, AssignPublicIp: a.assignPublicIp };
          })(),
        },
        EnableECSManagedTags: true,
        PropagateTags: 'TASK_DEFINITION',
      },
      RetryPolicy: { MaximumRetryAttempts: s.retries, MaximumEventAgeInSeconds: s.maxEventAgeSeconds },
      DeadLetterConfig: { Arn: scheduleDlqArn(ctx) },
    },
  };
}

/** The fields we set, as AWS echoes them, in one comparable form. */
function comparable(x: CreateScheduleCommandInput | GetScheduleCommandOutput): string {
  const t = x.Target;
  const e = t?.EcsParameters;
  const net = e?.NetworkConfiguration?.awsvpcConfiguration;
  return canonicalJson({
    expression: x.ScheduleExpression,
    tz: x.ScheduleExpressionTimezone ?? 'UTC',
    window: x.FlexibleTimeWindow?.Mode,
    state: x.State ?? 'ENABLED',
    target: t?.Arn,
    role: t?.RoleArn,
    td: e?.TaskDefinitionArn,
    count: e?.TaskCount ?? 1,
    launch: e?.LaunchType ?? null,
    strategy: e?.CapacityProviderStrategy?.length
      ? e.CapacityProviderStrategy.map((i) => `${i.capacityProvider}:${i.weight ?? 0}:${i.base ?? 0}`)
          .sort()
          .join(',')
      : null,
    subnets: [...(net?.Subnets ?? [])].sort(),
    groups: [...(net?.SecurityGroups ?? [])].sort(),
    ip: net?.AssignPublicIp,
    input: t?.Input ?? null,
    retry: t?.RetryPolicy ? { a: t.RetryPolicy.MaximumRetryAttempts, age: t.RetryPolicy.MaximumEventAgeInSeconds } : null,
    dlq: t?.DeadLetterConfig?.Arn ?? null,
  });
}

async function ensureGroup(ctx: StepContext): Promise<string> {
  const name = scheduleGroupName(ctx);
  const found = await unlessNotFound(ctx.aws.scheduler.send(new GetScheduleGroupCommand({ Name: name })), 'ResourceNotFoundException');
  if (found) {
    const tags = (await ctx.aws.scheduler.send(new ListTagsForResourceCommand({ ResourceArn: found.Arn }))).Tags;
    if (!ownedBy(ctx, tags)) {
      throw new StepError('schedules', `adopt schedule group: ${name} exists but was not created by deploy-wizard`, {
        hint: `Delete or rename it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env}; every schedule in it is then managed by the wizard.`,
      });
    }
    return found.Arn!;
  }
  ctx.log.info(`creating schedule group ${name}`);
  try {
    return (await ctx.aws.scheduler.send(new CreateScheduleGroupCommand({ Name: name, Tags: ownershipTags(ctx, 'schedules') }))).ScheduleGroupArn!;
  } catch (e) {
    if (!isError(e, 'ConflictException')) throw e;
    return (await ctx.aws.scheduler.send(new GetScheduleGroupCommand({ Name: name }))).Arn!;
  }
}

async function listInGroup(ctx: StepContext): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const res = await unlessNotFound(
      ctx.aws.scheduler.send(new ListSchedulesCommand({ GroupName: scheduleGroupName(ctx), NextToken: token })),
      'ResourceNotFoundException',
    );
    names.push(...(res?.Schedules ?? []).map((s) => s.Name!));
    token = res?.NextToken;
  } while (token);
  return names;
}

const getSchedule = (ctx: StepContext, name: string) =>
  unlessNotFound(ctx.aws.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: scheduleGroupName(ctx) })), 'ResourceNotFoundException');

const keys = (ctx: StepContext) => Object.keys(ctx.config.schedules);
/** There are schedules, or the last deploy made their dead-letter queue (the last schedule was removed since). */
const usesDlq = (ctx: StepContext<'schedules'>) => keys(ctx).length > 0 || !!ctx.previous()?.deadLetterQueueArn;

export const schedules: StepCode<'schedules'> = {
  async inputs(ctx) {
    return keys(ctx).map((k) => ({ schedule: render(ctx, k, ''), taskDefinition: scheduleTaskDefinition(ctx, k) }));
  },

  async plan(ctx) {
    const items: PlanItem[] = [];
    for (const k of keys(ctx)) {
      const s = ctx.config.schedules[k]!;
      const found = await getSchedule(ctx, scheduleName(ctx, k));
      const next = nextRun(s.cron, s.timezone, ctx.clock.now());
      items.push({
        action: found ? 'update' : 'create',
        resource: `schedule ${scheduleName(ctx, k)}`,
        detail: `${s.cron} ${s.timezone}: ${s.service}${s.command ? ` ${s.command.join(' ')}` : ''}${next ? `; next ${next.toISOString()}` : ''}`,
      });
    }
    const stale = (await listInGroup(ctx)).filter((n) => !keys(ctx).some((k) => scheduleName(ctx, k) === n));
    for (const n of stale) items.push({ action: 'delete', resource: `schedule ${n}`, detail: 'no longer in the config' });
    // SQS is asked only when there are (or were) schedules: an app without any never loads its SDK package.
    const dlq = usesDlq(ctx) ? await findScheduleDlq(ctx.aws.sqs, ctx) : undefined;
    if (keys(ctx).length)
      items.push({
        action: dlq ? 'keep' : 'create',
        resource: `SQS queue ${scheduleDlqName(ctx)}`,
        detail: 'dead letters: runs that could not start, kept 14 days',
      });
    else if (dlq)
      items.push({ action: 'delete', resource: `SQS queue ${scheduleDlqName(ctx)}`, detail: 'no schedules left (kept while it holds dead letters)' });
    return items;
  },

  async apply(ctx) {
    const out: SchedulesOutput = { group: scheduleGroupName(ctx), schedules: {} };
    if (keys(ctx).length) {
      await ensureGroup(ctx);
      const tags = Object.fromEntries(ownershipTags(ctx, 'schedules').map((t) => [t.Key, t.Value]));
      out.deadLetterQueueArn = (await ensureScheduleDlq(ctx.aws.sqs, ctx, tags, (m) => ctx.log.info(m))).arn;
    }
    for (const k of keys(ctx)) {
      // A new revision only when the service's changed or the schedule's command did.
      const td = await ensureTaskDefinition(ctx, 'schedules', scheduleTaskDefinition(ctx, k));
      const want = render(ctx, k, td.taskDefinitionArn!);
      const found = await getSchedule(ctx, want.Name!);
      let arn = found?.Arn;
      if (!found) {
        ctx.log.info(`creating schedule ${want.Name} (${want.ScheduleExpression} ${want.ScheduleExpressionTimezone})`);
        // A role created moments ago may not yet be assumable by the scheduler.
        arn = (
          await retryIamPropagation(() => ctx.aws.scheduler.send(new CreateScheduleCommand(want)), {
            clock: ctx.clock,
            signal: ctx.signal,
            onRetry: (m) => ctx.log.info(m),
          }).catch(async (e: Error) => {
            if (e.name !== 'ConflictException') throw e;
            return { ScheduleArn: (await getSchedule(ctx, want.Name!))?.Arn };
          })
        ).ScheduleArn;
      } else if (comparable(found) !== comparable(want)) {
        ctx.log.info(`updating schedule ${want.Name} to ${want.Target!.EcsParameters!.TaskDefinitionArn!.split('/').pop()}`);
        arn = (await ctx.aws.scheduler.send(new UpdateScheduleCommand(want))).ScheduleArn ?? found.Arn;
      }
      const s = ctx.config.schedules[k]!;
      out.schedules[k] = {
        name: want.Name!,
        arn: arn!,
        service: s.service,
        expression: want.ScheduleExpression!,
        timezone: s.timezone,
        taskDefinitionArn: want.Target!.EcsParameters!.TaskDefinitionArn!,
      };
    }
    for (const n of (await listInGroup(ctx)).filter((x) => !Object.values(out.schedules).some((s) => s.name === x))) {
      ctx.log.info(`deleting schedule ${n} (no longer in the config)`);
      // Its family from its own target: a long name was shortened, so the key cannot be read back from it.
      const family = /task-definition\/(.+):\d+$/.exec((await getSchedule(ctx, n))?.Target?.EcsParameters?.TaskDefinitionArn ?? '')?.[1];
      await ctx.aws.scheduler.send(new DeleteScheduleCommand({ Name: n, GroupName: scheduleGroupName(ctx) }));
      if (family?.startsWith(scheduleFamilyName(ctx, ''))) await deregisterFamily(ctx, family);
    }
    if (!keys(ctx).length && usesDlq(ctx)) {
      const gone = await deleteScheduleDlq(ctx.aws.sqs, ctx, false);
      if (gone === 'deleted') ctx.log.info(`deleted the dead-letter queue ${scheduleDlqName(ctx)} (no schedules left)`);
      else if (typeof gone === 'object') {
        ctx.log.warn(`kept the dead-letter queue ${scheduleDlqName(ctx)}: ${gone.kept}`);
        // Remembered, so the next deploy looks again.
        out.deadLetterQueueArn = scheduleDlqArn(ctx);
      }
    }
    return out;
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    for (const k of keys(ctx)) {
      const found = await getSchedule(ctx, scheduleName(ctx, k));
      const rec = out.schedules[k];
      checks.push({
        name: `schedule ${scheduleName(ctx, k)}`,
        ok: !!found && !!rec && comparable(found) === comparable(render(ctx, k, rec.taskDefinitionArn)),
      });
    }
    const stale = (await listInGroup(ctx)).filter((n) => !keys(ctx).some((k) => scheduleName(ctx, k) === n));
    if (stale.length) checks.push({ name: 'no removed schedules', ok: false, detail: stale.join(', ') });
    if (keys(ctx).length) checks.push({ name: `dead-letter queue ${scheduleDlqName(ctx)}`, ok: !!(await findScheduleDlq(ctx.aws.sqs, ctx)) });
    return checks;
  },

  summary(out) {
    return {
      rows: Object.entries(out.schedules).map(([k, s]) => {
        const next = nextRun(s.expression, s.timezone, new Date());
        return [`Schedule ${k}`, `${s.expression} ${s.timezone} → ${s.service}${next ? `; next ${next.toISOString().replace(/:\d\d\.\d+Z$/, 'Z')}` : ''}`];
      }),
    };
  },
};
