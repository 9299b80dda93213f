import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../aws/clients.js';
import { clusterName, ecsServiceName, logGroupName } from '../aws/names.js';
import { InputError } from '../errors.js';
import type { Deployment } from '../with-deployment.js';
import type { StepOutputs } from '../pipeline/step.js';

/**
 * Where a service's one-off task runs: the revision its ECS service runs now
 * (a rollback's, if one is in place), else the one the last deploy
 * registered, and the network its tasks use.
 */
export async function serviceTarget(d: Deployment, service: string) {
  const config = d.loaded.config;
  const tds = d.state.steps['task-definition']?.outputs as StepOutputs['task-definition'] | undefined;
  const net = d.state.steps.network?.outputs as StepOutputs['network'] | undefined;
  const td = tds?.services[service];
  if (!td || !net)
    throw new InputError(`run: service ${service} has no deployed revision yet`, [], { hint: 'Run deploy-wizard deploy first; then run tasks of it.' });
  const ctx = { app: config.app, env: d.state.env };
  const cluster = clusterName(ctx);
  const svc = (await d.session.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [ecsServiceName(ctx, service)] }))).services?.find(
    (s) => s.status === 'ACTIVE',
  );
  return {
    cluster,
    taskDefinition: svc?.taskDefinition ?? td.taskDefinitionArn,
    container: td.containerName,
    streamPrefix: td.streamPrefix,
    net,
    logGroup: logGroupName(ctx),
  };
}

/** Who started it, as a tag `status` shows: the caller's ARN. */
export async function startedByTag(d: Deployment): Promise<{ key: string; value: string }[]> {
  const arn = (await d.session.aws.sts.send(new GetCallerIdentityCommand({}))).Arn;
  // ECS tag values: up to 256 of letters, digits, spaces and _ . : / = + - @.
  return arn ? [{ key: 'deploy-wizard:run-by', value: arn.replace(/[^\w .:/=+\-@]/g, '_').slice(0, 256) }] : [];
}

/** The variables a container gets from Secrets Manager: a plain --env of the same name is refused. */
export async function secretNamesOf(aws: Pick<AwsClients, 'ecs'>, taskDefinition: string, container: string): Promise<Set<string>> {
  const def = (await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }))).taskDefinition;
  return new Set((def?.containerDefinitions?.find((c) => c.name === container)?.secrets ?? []).map((s) => s.name!));
}
