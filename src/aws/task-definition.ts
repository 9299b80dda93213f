import { secretEnvFor } from '../secrets/secret-version.js';
import { hasAppSecret } from '../config/features.js';
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type ContainerDefinition,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { StepContext } from '../pipeline/context.js';
import { StepError } from '../errors.js';
import { canonicalJson } from '../canonical-json.js';
import { retryIamPropagation } from './retry-iam-propagation.js';
import { ecsTags } from './ecs-helpers.js';
import type { StepId } from '../pipeline/step.js';
import type { ServiceSpec } from '../config/schema.js';
import { familyName, logGroupName } from './names.js';
import { serviceConnectEnv, serviceConnectPort } from '../config/service-connect.js';
import { isError } from './not-found.js';

// A service's task definition as the config and the upstream outputs want it, and its registration only when it
// differs: the task-definition step registers the services', the schedules and the pgvector step theirs.

const ARCH = { 'linux/amd64': 'X86_64', 'linux/arm64': 'ARM64' } as const;

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
  const environment = Object.entries({ ...serviceConnectEnv(ctx.config), ...s.environment, AWS_REGION: ctx.region })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  const secretEnv = secretEnvFor(s, secretOut?.keys ?? [], ctx.config);
  const sidecars = s.sidecars ?? [];
  const logs = {
    logDriver: 'awslogs' as const,
    options: { 'awslogs-group': logGroupName(ctx), 'awslogs-region': ctx.region, 'awslogs-stream-prefix': s.name },
  };
  const efs = s.mounts?.length ? ctx.output('efs') : undefined;
  const volumes = [...new Set((s.mounts ?? []).map((m) => m.volume))].sort();
  const container: ContainerDefinition = {
    name: ctx.app,
    image: image.imageUri,
    essential: true,
    // A container-level reservation is valid on Fargate and keeps emulators' RunTask working; sidecars keep theirs.
    memoryReservation: s.memory - sidecars.reduce((n, sc) => n + sc.memory, 0),
    portMappings: s.port !== undefined ? [{ containerPort: s.port, protocol: 'tcp', ...serviceConnectPort(ctx.config, s) }] : [],
    ...(s.command ? { command: s.command } : {}),
    environment,
    ...(s.mounts?.length ? { mountPoints: s.mounts.map((m) => ({ sourceVolume: m.volume, containerPath: m.path, readOnly: m.readOnly })) } : {}),
    secrets: secretEnv.map((e) => ({ name: e.name, valueFrom: `${secretOut!.arn}:${e.key}::` })),
    logConfiguration: logs,
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
    // Each volume through its access point, with TLS in transit and the task role's IAM identity: the file system
    // admits nothing else (src/aws/efs-policy.ts).
    ...(efs
      ? {
          volumes: volumes.map((v) => ({
            name: v,
            efsVolumeConfiguration: {
              fileSystemId: efs.fileSystemId,
              transitEncryption: 'ENABLED' as const,
              authorizationConfig: { accessPointId: efs.accessPoints[v]!.id, iam: 'ENABLED' as const },
            },
          })),
        }
      : {}),
    containerDefinitions: [
      container,
      // Each sidecar logs under the service's prefix, in a stream of its own name: <service>/<sidecar>/<task id>.
      ...sidecars.map((sc): ContainerDefinition => ({
        name: sc.name,
        image: ctx.output('ecr-push').images[sc.image]!.imageUri,
        essential: sc.essential,
        memoryReservation: sc.memory,
        ...(sc.cpu ? { cpu: sc.cpu } : {}),
        ...(sc.command ? { command: sc.command } : {}),
        environment: Object.entries({ ...serviceConnectEnv(ctx.config), ...sc.environment, AWS_REGION: ctx.region })
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, value]) => ({ name, value })),
        secrets: secretEnvFor({ ...s, secretEnv: sc.secretEnv ?? s.secretEnv }, secretOut?.keys ?? [], ctx.config).map((e) => ({
          name: e.name,
          valueFrom: `${secretOut!.arn}:${e.key}::`,
        })),
        logConfiguration: logs,
        ...(sc.dependsOn
          ? { dependsOn: Object.entries(sc.dependsOn).map(([c, condition]) => ({ containerName: c === s.name ? ctx.app : c, condition })) }
          : {}),
      })),
    ],
  };
}

/** The fields we set, read back from a registered revision, in the same shape as render() for comparison. */
export function comparable(td: TaskDefinition | RegisterTaskDefinitionCommandInput): string {
  const container = (c: ContainerDefinition) => ({
    name: c.name,
    image: c.image,
    essential: c.essential,
    memoryReservation: c.memoryReservation,
    command: c.command?.length ? c.command : undefined,
    portMappings: (c.portMappings ?? []).map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol ?? 'tcp',
      ...(p.name ? { name: p.name } : {}),
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    })),
    mountPoints: c.mountPoints?.length
      ? c.mountPoints.map((m) => ({ sourceVolume: m.sourceVolume, containerPath: m.containerPath, readOnly: m.readOnly ?? false }))
      : undefined,
    environment: [...(c.environment ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
    secrets: [...(c.secrets ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
    logConfiguration: c.logConfiguration,
    healthCheck: c.healthCheck ? { ...c.healthCheck } : undefined,
    // Sidecars' own fields (a container without them reads the same as before there were any).
    cpu: c.cpu || undefined,
    dependsOn: c.dependsOn?.length ? c.dependsOn.map((d) => ({ containerName: d.containerName, condition: d.condition })) : undefined,
  });
  const [first, ...more] = td.containerDefinitions ?? [];
  return canonicalJson({
    family: td.family,
    networkMode: td.networkMode,
    requiresCompatibilities: td.requiresCompatibilities,
    cpu: td.cpu,
    memory: td.memory,
    runtimePlatform: td.runtimePlatform,
    executionRoleArn: td.executionRoleArn,
    taskRoleArn: td.taskRoleArn,
    volumes: td.volumes?.length
      ? td.volumes.map((v) => ({
          name: v.name,
          fileSystemId: v.efsVolumeConfiguration?.fileSystemId,
          transitEncryption: v.efsVolumeConfiguration?.transitEncryption,
          accessPointId: v.efsVolumeConfiguration?.authorizationConfig?.accessPointId,
          iam: v.efsVolumeConfiguration?.authorizationConfig?.iam,
        }))
      : undefined,
    container: container(first ?? {}),
    ...(more.length ? { sidecars: more.map(container) } : {}),
  });
}

/** What registering a task definition needs of a step's context; `db` commands pass theirs. */
export type TaskDefinitionCtx = Pick<StepContext, 'aws' | 'clock' | 'signal' | 'app' | 'env'> & { log: Pick<StepContext['log'], 'info'> };

export async function latest(ctx: Pick<StepContext, 'aws'>, name: string): Promise<TaskDefinition | undefined> {
  try {
    const td = (await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: name }))).taskDefinition;
    return td?.status === 'ACTIVE' ? td : undefined;
  } catch (e) {
    if (isError(e, 'ClientException') || /Unable to describe task definition|not found/i.test((e as Error).message)) return undefined;
    throw e;
  }
}

/** Registers `want` as a new revision of its family only when it differs from the latest active one. */
export async function ensureTaskDefinition(ctx: TaskDefinitionCtx, step: StepId, want: RegisterTaskDefinitionCommandInput): Promise<TaskDefinition> {
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
