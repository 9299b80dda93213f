import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { CreateLogGroupCommand, DescribeLogGroupsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { StepContext } from '../../src/pipeline/context.js';
import { ecsTags } from '../../src/aws/ecs-helpers.js';
import type { Check, PlanItem } from '../../src/pipeline/step.js';
import type { Config, ServiceSpec } from '../../src/config/schema.js';
import { familyName, logGroupName } from '../../src/aws/names.js';
import { fieldChanges } from '../../src/ui/field-change.js';
import { isError } from '../../src/aws/not-found.js';
import { comparable, ensureTaskDefinition, latest, render } from '../../src/aws/task-definition.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface ServiceTaskDefinition {
  family: string;
  taskDefinitionArn: string;
  revision: number;
  containerName: string;
  /** awslogs-stream-prefix: a task's stream is <prefix>/<container>/<task id>. */
  streamPrefix: string;
}

export interface TaskDefinitionOutput {
  /** By service name. */
  services: Record<string, ServiceTaskDefinition>;
  logGroup: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    'task-definition': TaskDefinitionOutput;
  }
}

/** One log group for the app, kept as long as the longest any service asks for. */
const retentionDays = (config: Config) => Math.max(...Object.values(config.services).map((s) => s.logRetentionDays));

/** What the config changes in a registered revision, field by field (the image is the ecr-push step's line). Plain values only: secrets by name. */
function revisionChanges(td: TaskDefinition, s: ServiceSpec): string[] {
  const c = td.containerDefinitions?.[0] ?? {};
  const have = Object.fromEntries((c.environment ?? []).filter((e) => e.name !== 'AWS_REGION').map((e) => [e.name!, e.value]));
  const envKeys = [...new Set([...Object.keys(have), ...Object.keys(s.environment)])].sort();
  return fieldChanges([
    ['cpu', td.cpu, s.cpu],
    ['memory', td.memory, s.memory],
    ['port', c.portMappings?.[0]?.containerPort, s.port],
    ['command', c.command?.join(' '), s.command?.join(' ')],
    ...envKeys.map((k): [string, unknown, unknown] => [`environment.${k}`, have[k], s.environment[k]]),
  ]);
}

async function ensureLogGroup(ctx: StepContext): Promise<void> {
  const name = logGroupName(ctx);
  const days = retentionDays(ctx.config);
  const found = (await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.find((g) => g.logGroupName === name);
  if (!found) {
    ctx.log.info(`creating log group ${name} (${days} days)`);
    try {
      await ctx.aws.logs.send(
        new CreateLogGroupCommand({ logGroupName: name, tags: Object.fromEntries(ecsTags(ctx, 'task-definition').map((t) => [t.key, t.value])) }),
      );
    } catch (e) {
      if (!isError(e, 'ResourceAlreadyExistsException')) throw e;
    }
  }
  if (found?.retentionInDays !== days) await ctx.aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: days }));
}

const servicesOf = (ctx: StepContext) => Object.values(ctx.config.services);

export const taskDefinition: StepCode<'task-definition'> = {
  async inputs(ctx) {
    return { tds: servicesOf(ctx).map((s) => render(ctx, s)), logRetentionDays: retentionDays(ctx.config) };
  },

  async plan(ctx) {
    const items: PlanItem[] = [{ action: 'keep', resource: `log group ${logGroupName(ctx)}`, detail: `${retentionDays(ctx.config)} days` }];
    for (const s of servicesOf(ctx)) {
      const name = familyName(ctx, s.name);
      const td = await latest(ctx, name);
      if (!td) {
        items.push({ action: 'create', resource: `task definition ${name}`, detail: `${s.cpu} CPU / ${s.memory} MiB, Fargate` });
        continue;
      }
      const changes = revisionChanges(td, s);
      items.push({
        action: changes.length ? 'update' : 'keep',
        resource: `task definition ${name}`,
        detail: changes.length ? `revision ${td.revision} → a new one` : `revision ${td.revision}; a new one only if the image changed`,
        ...(changes.length ? { changes } : {}),
      });
    }
    return items;
  },

  async apply(ctx) {
    await ensureLogGroup(ctx);
    const services: Record<string, ServiceTaskDefinition> = {};
    for (const s of servicesOf(ctx)) {
      const td = await ensureTaskDefinition(ctx, 'task-definition', render(ctx, s));
      services[s.name] = { family: td.family!, taskDefinitionArn: td.taskDefinitionArn!, revision: td.revision!, containerName: ctx.app, streamPrefix: s.name };
    }
    return { services, logGroup: logGroupName(ctx) };
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    for (const s of servicesOf(ctx)) {
      const recorded = out.services?.[s.name];
      const td = await latest(ctx, familyName(ctx, s.name));
      checks.push({
        name: `task definition ${familyName(ctx, s.name)}`,
        ok: !!recorded && td?.taskDefinitionArn === recorded.taskDefinitionArn && comparable(td) === comparable(render(ctx, s)),
        detail: td ? `revision ${td.revision}` : 'missing',
      });
    }
    return checks;
  },

  summary(out, view) {
    const list = Object.entries(out.services);
    return {
      rows: list.map(([name, td]) => [list.length > 1 ? `Revision ${name}` : 'Revision', `${td.family}:${td.revision}`] as [string, string]),
      notes: ['Logs:', `  aws logs tail ${out.logGroup} --follow --region ${view.region}`],
    };
  },
};
