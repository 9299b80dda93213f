import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type ContainerDefinition,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { CreateLogGroupCommand, DescribeLogGroupsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { StepContext } from '../src/pipeline/context.js';
import { StepError } from '../src/errors.js';
import { canonicalJson } from '../src/canonical-json.js';
import { retryIamPropagation } from '../src/aws/retry-iam-propagation.js';
import { ecsTags } from '../src/aws/ecs-helpers.js';
import { secrets as secretsStep } from './secrets.js';
import type { Check, PlanItem, Step, StepId } from '../src/pipeline/step.js';

export interface TaskDefinitionOutput {
  family: string;
  taskDefinitionArn: string;
  revision: number;
  containerName: string;
  logGroup: string;
}

declare module '../src/pipeline/outputs.js' {
  interface StepOutputs {
    'task-definition': TaskDefinitionOutput;
  }
}

export const family = (ctx: Pick<StepContext, 'app' | 'env'>) => `${ctx.app}-${ctx.env}`;
export const logGroupName = (ctx: Pick<StepContext, 'app' | 'env'>) => `/ecs/${ctx.app}-${ctx.env}`;
const ARCH = { 'linux/amd64': 'X86_64', 'linux/arm64': 'ARM64' } as const;

/** The task definition we want, from config and upstream outputs. Secret values are never in it: only valueFrom ARNs. */
export function render(ctx: StepContext): RegisterTaskDefinitionCommandInput {
  const s = ctx.config.service;
  const image = ctx.output('ecr-push');
  const roles = ctx.output('iam-roles');
  const secretOut = secretsStep.enabled?.(ctx.config) ? ctx.output('secrets') : undefined;
  if (image.architecture && image.architecture !== ctx.config.image.platform.split('/')[1]) {
    throw new StepError('task-definition', `check image: the pushed image is linux/${image.architecture} but image.platform is ${ctx.config.image.platform}`, {
      hint: `Fargate would fail to start it ("exec format error"). Build for ${ctx.config.image.platform} (check FROM --platform in the Dockerfile), or set image.platform to linux/${image.architecture}.`,
    });
  }
  const environment = Object.entries({ ...s.environment, AWS_REGION: ctx.region })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  const container: ContainerDefinition = {
    name: ctx.app,
    image: image.imageUri,
    essential: true,
    // A container-level reservation is valid on Fargate and keeps emulators' RunTask working.
    memoryReservation: s.memory,
    portMappings: [{ containerPort: s.port, protocol: 'tcp' }],
    environment,
    secrets: (secretOut?.keys ?? []).map((key) => ({ name: key, valueFrom: `${secretOut!.arn}:${key}::` })),
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': logGroupName(ctx), 'awslogs-region': ctx.region, 'awslogs-stream-prefix': 'ecs' } },
    ...(s.containerHealthCheck
      ? {
          healthCheck: {
            command: s.containerHealthCheck.command,
            interval: s.containerHealthCheck.intervalSeconds,
            timeout: s.containerHealthCheck.timeoutSeconds,
            retries: s.containerHealthCheck.retries,
            startPeriod: s.containerHealthCheck.startPeriodSeconds,
          },
        }
      : {}),
  };
  return {
    family: family(ctx),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(s.cpu),
    memory: String(s.memory),
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: ARCH[ctx.config.image.platform] },
    executionRoleArn: roles.executionRoleArn,
    taskRoleArn: roles.taskRoleArn,
    containerDefinitions: [container],
  };
}

/** The fields we set, read back from a registered revision, in the same shape as render() for comparison. */
function comparable(td: TaskDefinition | RegisterTaskDefinitionCommandInput): string {
  const c = td.containerDefinitions?.[0] ?? {};
  return canonicalJson({
    family: td.family,
    networkMode: td.networkMode,
    requiresCompatibilities: td.requiresCompatibilities,
    cpu: td.cpu,
    memory: td.memory,
    runtimePlatform: td.runtimePlatform,
    executionRoleArn: td.executionRoleArn,
    taskRoleArn: td.taskRoleArn,
    container: {
      name: c.name,
      image: c.image,
      essential: c.essential,
      memoryReservation: c.memoryReservation,
      portMappings: (c.portMappings ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? 'tcp' })),
      environment: [...(c.environment ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
      secrets: [...(c.secrets ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
      logConfiguration: c.logConfiguration,
      healthCheck: c.healthCheck ? { ...c.healthCheck } : undefined,
    },
  });
}

async function latest(ctx: StepContext, name = family(ctx)): Promise<TaskDefinition | undefined> {
  try {
    const td = (await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: name }))).taskDefinition;
    return td?.status === 'ACTIVE' ? td : undefined;
  } catch (e) {
    if ((e as Error).name === 'ClientException' || /Unable to describe task definition|not found/i.test((e as Error).message)) return undefined;
    throw e;
  }
}

async function ensureLogGroup(ctx: StepContext): Promise<void> {
  const name = logGroupName(ctx);
  const days = ctx.config.service.logRetentionDays;
  const found = (await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.find((g) => g.logGroupName === name);
  if (!found) {
    ctx.log.info(`creating log group ${name} (${days} days)`);
    try {
      await ctx.aws.logs.send(
        new CreateLogGroupCommand({ logGroupName: name, tags: Object.fromEntries(ecsTags(ctx, 'task-definition').map((t) => [t.key, t.value])) }),
      );
    } catch (e) {
      if ((e as Error).name !== 'ResourceAlreadyExistsException') throw e;
    }
  }
  if (found?.retentionInDays !== days) await ctx.aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: days }));
}

/** Registers `want` as a new revision of its family only when it differs from the latest active one. */
export async function ensureTaskDefinition(ctx: StepContext, step: StepId, want: RegisterTaskDefinitionCommandInput): Promise<TaskDefinition> {
  const current = await latest(ctx, want.family);
  if (current && comparable(current) === comparable(want)) return current;
  ctx.log.info(current ? `registering a new revision of ${want.family} (was ${current.revision})` : `registering task definition ${want.family}`);
  const res = await retryIamPropagation(() => ctx.aws.ecs.send(new RegisterTaskDefinitionCommand({ ...want, tags: ecsTags(ctx, step) })), {
    clock: ctx.clock,
    signal: ctx.signal,
    onRetry: (m) => ctx.log.info(m),
  });
  return res.taskDefinition!;
}

export const taskDefinition: Step<'task-definition'> = {
  id: 'task-definition',
  title: 'Register the ECS task definition',
  dependsOn: ['ecr-push', 'secrets', 'iam-roles'],

  async inputs(ctx) {
    return { td: render(ctx), logRetentionDays: ctx.config.service.logRetentionDays };
  },

  async plan(ctx) {
    const td = await latest(ctx);
    const items: PlanItem[] = [{ action: 'keep', resource: `log group ${logGroupName(ctx)}`, detail: `${ctx.config.service.logRetentionDays} days` }];
    items.push(
      td
        ? {
            action: 'update',
            resource: `task definition ${family(ctx)}`,
            detail: `revision ${td.revision} now; a new one only if the image, env, secrets or size changed`,
          }
        : { action: 'create', resource: `task definition ${family(ctx)}`, detail: `${ctx.config.service.cpu} CPU / ${ctx.config.service.memory} MiB, Fargate` },
    );
    return items;
  },

  async apply(ctx) {
    await ensureLogGroup(ctx);
    const td = await ensureTaskDefinition(ctx, 'task-definition', render(ctx));
    return { family: family(ctx), taskDefinitionArn: td.taskDefinitionArn!, revision: td.revision!, containerName: ctx.app, logGroup: logGroupName(ctx) };
  },

  async verify(ctx, out) {
    const td = await latest(ctx);
    const checks: Check[] = [
      {
        name: `task definition ${out.family}`,
        ok: td?.taskDefinitionArn === out.taskDefinitionArn && comparable(td) === comparable(render(ctx)),
        detail: td ? `revision ${td.revision}` : 'missing',
      },
    ];
    return checks;
  },

  cost() {
    return [{ component: 'CloudWatch Logs', size: '~5 GB ingested', monthly: 2.5 }];
  },

  summary(out, view) {
    return { rows: [['Revision', `${out.family}:${out.revision}`]], notes: ['Logs:', `  aws logs tail ${out.logGroup} --follow --region ${view.region}`] };
  },
};
