import {
  DeleteClusterCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { ecsOwned } from '../../src/aws/ecs-helpers.js';
import { ownedServices } from '../../src/aws/ecs-service.js';
import { removeAutoscaling } from '../../src/aws/autoscaling.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { clusterName } from '../../src/aws/names.js';

/** The services (scaled to zero, then deleted), then the cluster. The load balancer goes after, in the load-balancer step's teardown. */
export async function destroyService(ctx: StepContext): Promise<Teardown[]> {
  const items: Teardown[] = [];
  const cluster = clusterName(ctx);
  for (const svc of await ownedServices(ctx, cluster)) {
    items.push({
      resource: `ECS service ${svc.serviceName}`,
      remove: async () => {
        await removeAutoscaling(ctx, cluster, svc.serviceName!);
        if ((svc.desiredCount ?? 0) > 0) await ctx.aws.ecs.send(new UpdateServiceCommand({ cluster, service: svc.serviceName, desiredCount: 0 }));
        // force: ECS drains the tasks itself; the service turns DRAINING, then INACTIVE.
        await unlessNotFound(ctx.aws.ecs.send(new DeleteServiceCommand({ cluster, service: svc.serviceName, force: true })), 'ServiceNotFoundException');
      },
    });
  }
  const c = (await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [cluster], include: ['TAGS'] }))).clusters?.find((x) => x.status === 'ACTIVE');
  if (c && ecsOwned(ctx, c.tags)) {
    // One-off tasks (migrations, run, a schedule's runs) keep the cluster from going until they stop: DeleteCluster
    // answers ClusterContainsTasksException while any runs, and the wait would last as long as the task.
    const oneOff = await runningOneOffTasks(ctx, cluster);
    if (oneOff.length)
      items.push({
        resource: `${oneOff.length} running one-off task(s) in ${cluster} (${[...new Set(oneOff.map((t) => t.group ?? '?'))].join(', ')})`,
        remove: async () => {
          for (const t of await runningOneOffTasks(ctx, cluster))
            await unlessNotFound(
              ctx.aws.ecs.send(new StopTaskCommand({ cluster, task: t.taskArn, reason: 'deploy-wizard destroy' })),
              'InvalidParameterException',
            );
        },
      });
    items.push({
      resource: `ECS cluster ${cluster}`,
      // Deleted services stay DRAINING until their tasks stop; the cluster goes after.
      remove: () =>
        retryWhileInUse(ctx, `ECS cluster ${cluster}`, ['ClusterContainsServicesException', 'ClusterContainsTasksException', 'UpdateInProgressException'], () =>
          unlessNotFound(ctx.aws.ecs.send(new DeleteClusterCommand({ cluster })), 'ClusterNotFoundException'),
        ),
    });
  }
  return items;
}

/** Tasks of the cluster that no service owns (their group is not service:...), still running or about to. */
async function runningOneOffTasks(ctx: StepContext, cluster: string): Promise<Task[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await unlessNotFound(ctx.aws.ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'RUNNING', nextToken })), 'ClusterNotFoundException');
    arns.push(...(page?.taskArns ?? []));
    nextToken = page?.nextToken;
  } while (nextToken);
  const out: Task[] = [];
  // DescribeTasks takes 100 a call.
  for (let i = 0; i < arns.length; i += 100) {
    const tasks = (await ctx.aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }))).tasks ?? [];
    out.push(...tasks.filter((t) => !t.group?.startsWith('service:') && t.lastStatus !== 'STOPPED'));
  }
  return out;
}
