import { keysFor } from '../src/secrets/secret-version.js';
import { hasAppSecret } from '../src/config/features.js';
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
import type { Check, PlanItem, Step, StepId } from '../src/pipeline/step.js';
import type { Config, ServiceSpec } from '../src/config/schema.js';
import { familyName, logGroupName } from '../src/aws/names.js';
import { fieldChanges } from '../src/ui/field-change.js';
import { isError } from '../src/aws/not-found.js';

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

declare module '../src/pipeline/outputs.js' {
  interface StepOutputs {
    'task-definition': TaskDefinitionOutput;
  }
}

const ARCH = { 'linux/amd64': 'X86_64', 'linux/arm64': 'ARM64' } as const;

/** One log group for the app, kept as long as the longest any service asks for. */
const retentionDays = (config: Config) => Math.max(...Object.values(config.services).map((s) => s.logRetentionDays));

/** The task definition one service wants, from config and upstream outputs. Secret values are never in it: only valueFrom ARNs. */
export function render(ctx: StepContext, s: ServiceSpec): RegisterTaskDefinitionCommandInput {
  const imageSpec = ctx.config.images[s.image]!;
  const image = ctx.output('ecr-push').images[s.image]!;
  const roles = ctx.output('iam-roles');
  const secretOut = hasAppSecret(ctx.config) ? ctx.output('secrets') : undefined;
  if (image.architecture && image.architecture !== imageSpec.platform.split('/')[1]) {
    const key = s.image === 'default' ? 'image' : `images.${s.image}`;
    throw new StepError(
      'task-definition',
      `check image: the pushed image ${s.image} is linux/${image.architecture} but ${key}.platform is ${imageSpec.platform}`,
      {
        hint: `Fargate would fail to start it ("exec format error"). Build for ${imageSpec.platform} (check FROM --platform in the Dockerfile), or set ${key}.platform to linux/${image.architecture}.`,
      },
    );
  }
  const environment = Object.entries({ ...s.environment, AWS_REGION: ctx.region })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  const keys = keysFor(s, secretOut?.keys ?? []);
  const container: ContainerDefinition = {
    name: ctx.app,
    image: image.imageUri,
    essential: true,
    // A container-level reservation is valid on Fargate and keeps emulators' RunTask working.
    memoryReservation: s.memory,
    portMappings: s.port !== undefined ? [{ containerPort: s.port, protocol: 'tcp' }] : [],
    ...(s.command ? { command: s.command } : {}),
    environment,
    secrets: keys.map((key) => ({ name: key, valueFrom: `${secretOut!.arn}:${key}::` })),
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': logGroupName(ctx), 'awslogs-region': ctx.region, 'awslogs-stream-prefix': s.name } },
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
    family: familyName(ctx, s.name),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(s.cpu),
    memory: String(s.memory),
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: ARCH[imageSpec.platform] },
    executionRoleArn: roles.executionRoleArn,
    taskRoleArn: roles.serviceTaskRoleArns?.[s.name] ?? roles.taskRoleArn,
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
      command: c.command?.length ? c.command : undefined,
      portMappings: (c.portMappings ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? 'tcp' })),
      environment: [...(c.environment ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
      secrets: [...(c.secrets ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
      logConfiguration: c.logConfiguration,
      healthCheck: c.healthCheck ? { ...c.healthCheck } : undefined,
    },
  });
}

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

async function latest(ctx: StepContext, name: string): Promise<TaskDefinition | undefined> {
  try {
    const td = (await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: name }))).taskDefinition;
    return td?.status === 'ACTIVE' ? td : undefined;
  } catch (e) {
    if (isError(e, 'ClientException') || /Unable to describe task definition|not found/i.test((e as Error).message)) return undefined;
    throw e;
  }
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

/** Registers `want` as a new revision of its family only when it differs from the latest active one. */
export async function ensureTaskDefinition(ctx: StepContext, step: StepId, want: RegisterTaskDefinitionCommandInput): Promise<TaskDefinition> {
  const current = await latest(ctx, want.family!);
  if (current && comparable(current) === comparable(want)) return current;
  ctx.log.info(current ? `registering a new revision of ${want.family} (was ${current.revision})` : `registering task definition ${want.family}`);
  const res = await retryIamPropagation(() => ctx.aws.ecs.send(new RegisterTaskDefinitionCommand({ ...want, tags: ecsTags(ctx, step) })), {
    clock: ctx.clock,
    signal: ctx.signal,
    onRetry: (m) => ctx.log.info(m),
  });
  return res.taskDefinition!;
}

const servicesOf = (ctx: StepContext) => Object.values(ctx.config.services);

export const taskDefinition: Step<'task-definition'> = {
  id: 'task-definition',
  title: 'Register the ECS task definitions',
  dependsOn: ['ecr-push', 'secrets', 'iam-roles'],

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

  cost() {
    return [{ component: 'CloudWatch Logs', size: '~5 GB ingested', monthly: 2.5 }];
  },

  summary(out, view) {
    const list = Object.entries(out.services);
    return {
      rows: list.map(([name, td]) => [list.length > 1 ? `Revision ${name}` : 'Revision', `${td.family}:${td.revision}`] as [string, string]),
      notes: ['Logs:', `  aws logs tail ${out.logGroup} --follow --region ${view.region}`],
    };
  },
};
