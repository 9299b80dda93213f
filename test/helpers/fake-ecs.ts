import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { network } from '../../steps/network/apply.js';
import { stepContext } from './step-context.js';
import { fakeClock } from './fake-clock.js';

/**
 * ECS as moto cannot play it: a rollout the circuit breaker marks FAILED, and
 * tasks that stop with a non-zero exit code. Everything else (VPC, load
 * balancer, logs) is the real stand-in.
 */
export function fakeEcs(opts: { td: string; app: string; failRollout?: boolean; taskExit?: number }) {
  const tags = [
    { key: 'deploy-wizard:app', value: opts.app },
    { key: 'deploy-wizard:env', value: 'prod' },
  ];
  const stopped = {
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef',
    lastStatus: 'STOPPED',
    stoppedReason: 'Essential container in task exited',
    stoppedAt: new Date(),
    containers: [{ name: 'app', exitCode: opts.taskExit ?? 1, reason: undefined }],
  };
  const calls: string[] = [];
  return {
    calls,
    send: async (cmd: { constructor: { name: string }; input: any }) => {
      const name = cmd.constructor.name.replace(/Command$/, '');
      calls.push(name);
      switch (name) {
        case 'ListServices':
          return { serviceArns: [] };
        case 'DescribeClusters':
          return { clusters: [{ clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/c', status: 'ACTIVE', tags }] };
        case 'DescribeServices':
          // One answer per service asked for: the rollout waits of several services share a call.
          return {
            services: (cmd.input.services as string[]).map((service) => ({
              serviceName: service,
              serviceArn: `arn:aws:ecs:us-east-1:123456789012:service/c/${service}`,
              status: 'ACTIVE',
              taskDefinition: opts.td,
              tags,
              desiredCount: 1,
              runningCount: 0,
              deployments: [
                {
                  status: 'PRIMARY',
                  rolloutState: opts.failRollout ? 'FAILED' : 'COMPLETED',
                  rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
                },
              ],
              events: [{ id: 'e1', message: '(service app) has started 1 tasks: (task 0123456789abcdef).' }],
            })),
          };
        case 'UpdateService':
          return { service: { serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/c/app', status: 'ACTIVE', taskDefinition: opts.td, tags } };
        case 'ListTasks':
          return { taskArns: [stopped.taskArn] };
        case 'DescribeTasks':
          return { tasks: [stopped] };
        case 'RunTask':
          return { tasks: [{ taskArn: stopped.taskArn, lastStatus: 'PROVISIONING' }], failures: [] };
        default:
          throw new Error(`fake ECS: unexpected ${name}`);
      }
    },
  };
}

/** Swaps in the fake ECS client; every other client stays the real one talking to moto. */
export function withFakeEcs(ctx: { aws: any }, fake: unknown) {
  ctx.aws = new Proxy(ctx.aws, { get: (target, prop) => (prop === 'ecs' ? fake : target[prop]) });
}

/** A context on a real network with real log lines in the real log group, where the diagnosis reads them. */
export async function context(logLines: string[]) {
  const { ctx, app } = stepContext({});
  const net = await network.apply(ctx);
  const td = {
    family: `${app}-prod`,
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${app}-prod:1`,
    revision: 1,
    containerName: 'app',
    streamPrefix: 'ecs',
    logGroup: `/ecs/${app}-prod`,
  };
  ctx.output = ((id: string) => ({ network: net, 'task-definition': { services: { web: td }, logGroup: td.logGroup } })[id]) as any;
  // Real log lines in the real (moto) log group, where the diagnosis reads them.
  await ctx.aws.logs.send(new CreateLogGroupCommand({ logGroupName: td.logGroup }));
  await ctx.aws.logs.send(new CreateLogStreamCommand({ logGroupName: td.logGroup, logStreamName: 'ecs/app/0123456789abcdef' }));
  await ctx.aws.logs.send(
    new PutLogEventsCommand({
      logGroupName: td.logGroup,
      logStreamName: 'ecs/app/0123456789abcdef',
      logEvents: logLines.map((message, i) => ({ message, timestamp: Date.now() + i })),
    }),
  );
  const { clock, elapsed } = fakeClock();
  ctx.clock = clock;
  return { ctx, td, elapsed };
}
