import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ROOT, makeApp, readState } from '../helpers/cli.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';
import { elbName } from '../../src/aws/names.js';
import { STATE_VERSION } from '../../src/state/state-file.js';

const ecs = new ECSClient({ region: 'us-east-1' });

/**
 * Puts a deployed app back the way the single-service version left it: the
 * service runs family <app>-prod (stream prefix "ecs") with no service tag,
 * and the state holds that version's outputs for the four steps whose shape
 * changed (fixtures/state, written by that version).
 */
async function asLegacy(dir: string, app: string) {
  const state = readState(dir);
  const cluster = `${app}-prod`;
  const current = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${app}-prod-web` }))).taskDefinition!;
  const c = current.containerDefinitions![0]!;
  const legacy = (
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        ...(current as RegisterTaskDefinitionCommandInput),
        family: `${app}-prod`,
        containerDefinitions: [
          { ...c, logConfiguration: { ...c.logConfiguration!, options: { ...c.logConfiguration!.options, 'awslogs-stream-prefix': 'ecs' } } },
        ],
      }),
    )
  ).taskDefinition!;
  const svc = (await ecs.send(new DescribeServicesCommand({ cluster, services: [app] }))).services![0]!;
  await ecs.send(new UpdateServiceCommand({ cluster, service: app, taskDefinition: legacy.taskDefinitionArn }));
  await ecs.send(new UntagResourceCommand({ resourceArn: svc.serviceArn, tagKeys: ['deploy-wizard:service'] }));
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: current.taskDefinitionArn }));

  const out = state.steps.service.outputs;
  const img = state.steps['ecr-push'].outputs.images.default;
  const fill: Record<string, string> = {
    app,
    loadBalancerArn: out.loadBalancerArn,
    targetGroupArn: out.services.web.targetGroupArn,
    dnsName: out.dnsName,
    imageTag: img.imageTag,
    imageDigest: img.imageDigest,
    buildArgKey: state.steps['ecr-push'].outputs.buildArgKey,
    healthUrl: state.steps['first-boot'].outputs.url,
  };
  const text = readFileSync(join(ROOT, 'fixtures/state/single-service-v1.steps.json'), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => fill[k]!);
  const old = JSON.parse(text).steps;
  old['task-definition'].outputs.taskDefinitionArn = legacy.taskDefinitionArn;
  old.service.outputs.taskDefinitionArn = legacy.taskDefinitionArn;
  Object.assign(state.steps, old);
  // That version's format: the load balancer was part of the service step.
  state.version = 1;
  delete state.steps['load-balancer'];
  writeFileSync(join(dir, '.deploy-wizard', 'prod.state.json'), JSON.stringify(state, null, 2), { mode: 0o600 });
  return { serviceArn: svc.serviceArn!, legacy: legacy.taskDefinitionArn! };
}

describe('state from a single-service deploy upgrades in place', () => {
  it('the running service is adopted as web: same service, same load balancer and target group, one rolling update to its new family, then nothing', async () => {
    const { dir, app } = makeApp();
    expect((await recordedDeploy(dir)).code).toBe(0);
    const { serviceArn } = await asLegacy(dir, app);

    const upgrade = await recordedDeploy(dir);
    expect(upgrade.code, upgrade.error?.message).toBe(0);
    const made = mutatingCalls(upgrade.names);
    for (const never of ['ECS:CreateService', 'ECS:DeleteService', 'ELBv2:CreateLoadBalancer', 'ELBv2:CreateTargetGroup']) {
      expect(made).not.toContain(never);
    }
    const update = upgrade.calls.find((c) => c.name === 'ECS:UpdateService')!;
    expect(update.input).toMatchObject({ service: app, taskDefinition: expect.stringContaining(`task-definition/${app}-prod-web:`) });

    const state = readState(dir);
    expect(state.steps.service.outputs.services.web).toMatchObject({ serviceName: app, serviceArn });
    // Asked by name: a listing of every load balancer is paginated across all the tests' apps.
    const lbs = (await new ElasticLoadBalancingV2Client({ region: 'us-east-1' }).send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] })))
      .LoadBalancers!;
    expect(lbs).toHaveLength(1);
    expect(lbs[0]!.LoadBalancerArn).toBe(state.steps['load-balancer'].outputs.loadBalancerArn);
    expect(state.steps['load-balancer'].outputs.targetGroups.web).toBe(state.steps.service.outputs.services.web.targetGroupArn);
    expect(state.version).toBe(STATE_VERSION);
    expect(upgrade.names.filter((n) => n === 'ELBv2:CreateLoadBalancer')).toEqual([]);

    const again = await recordedDeploy(dir);
    expect(again.code).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);
  });
});
