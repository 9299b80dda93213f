import { describe, expect, it } from 'vitest';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ECSClient, ListServicesCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { makeApp, readState, runCli, standinLogs } from '../helpers/cli.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';
import { killPoints } from '../helpers/kill-points.js';
import { elbName, targetGroupName } from '../../src/aws/names.js';

const region = { region: 'us-east-1' };

/** Everything of the whole-app fixture that could be made twice, counted from moto's own state. */
async function census(app: string) {
  const elb = new ElasticLoadBalancingV2Client(region);
  const lbs = (await elb.send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] }))).LoadBalancers ?? [];
  const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbs[0]!.LoadBalancerArn }))).Listeners ?? [];
  const rules = ((await elb.send(new DescribeRulesCommand({ ListenerArn: listeners[0]!.ListenerArn }))).Rules ?? []).filter((r) => !r.IsDefault);
  const tgs = (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbs[0]!.LoadBalancerArn }))).TargetGroups ?? [];
  const ecs = new ECSClient(region);
  const services = (await ecs.send(new ListServicesCommand({ cluster: `${app}-prod` }))).serviceArns ?? [];
  const revisions: Record<string, number> = {};
  for (const s of ['web', 'api', 'worker'])
    revisions[s] = ((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `${app}-prod-${s}` }))).taskDefinitionArns ?? []).length;
  const repos = ((await new ECRClient(region).send(new DescribeRepositoriesCommand({}))).repositories ?? []).filter((r) =>
    r.repositoryName!.startsWith(`${app}-`),
  );
  const schedules = (await new SchedulerClient(region).send(new ListSchedulesCommand({ GroupName: `${app}-prod` }))).Schedules ?? [];
  const aas = new ApplicationAutoScalingClient(region);
  const id = `service/${app}-prod/${app}-api`;
  const targets = (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [id] }))).ScalableTargets ?? [];
  const policies = (await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: id }))).ScalingPolicies ?? [];
  return {
    loadBalancers: lbs.length,
    listeners: listeners.length,
    rules: rules.length,
    targetGroups: tgs.map((t) => t.TargetGroupName).sort(),
    services: services.length,
    revisions,
    repositories: repos.length,
    schedules: schedules.length,
    scalableTargets: targets.length,
    scalingPolicies: policies.length,
  };
}

const once = (app: string) => ({
  loadBalancers: 1,
  listeners: 1,
  rules: 1,
  targetGroups: [targetGroupName({ app, env: 'prod' }, 'web'), targetGroupName({ app, env: 'prod' }, 'api')].sort(),
  services: 3,
  revisions: { web: 1, api: 1, worker: 1 },
  repositories: 2,
  schedules: 1,
  scalableTargets: 1,
  scalingPolicies: 1,
});

describe('kill at mutating calls of a whole app (two images, two web services, a worker, a schedule, autoscaling)', () => {
  it('after SIGKILL right after a mutating call, a re-run completes with one of everything', async () => {
    const probe = makeApp(() => {}, 'whole-app');
    const recorded = await recordedDeploy(probe.dir);
    expect(recorded.code).toBe(0);
    const total = mutatingCalls(recorded.names).length;
    expect(await census(probe.app)).toEqual(once(probe.app));
    // Every point with FAULTS=all; otherwise ten spread over the run, the service and schedule calls among them.
    const points = killPoints(total, 10);
    const covered: string[] = [];
    for (const point of points) {
      const { dir, app } = makeApp(() => {}, 'whole-app');
      const killed = await runCli(['deploy', '--non-interactive', '--verbose'], { cwd: dir, env: { DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: String(point) } });
      expect(killed.signal, `point ${point}: ${killed.stderr.slice(-2000)}`).toBe('SIGKILL');
      const last = killed.stderr
        .split('\n')
        .filter((l) => /^aws \S+ \S+$/.test(l))
        .pop();
      covered.push(`${point}: ${last?.replace(/^aws /, '') ?? '?'}`);
      const rerun = await runCli(['deploy', '--non-interactive'], { cwd: dir });
      if (rerun.code !== 0) throw new Error(`point ${point} (${last}): re-run exit ${rerun.code}\n${rerun.stderr}\n${standinLogs()}`);
      expect(
        Object.values(readState(dir).steps).every((s: any) => s.status === 'done'),
        `point ${point}`,
      ).toBe(true);
      expect(await census(app), `point ${point} (${last})`).toEqual(once(app));
    }
    console.log(`whole-app kill points: ${points.length} of ${total} mutating calls\n  ${covered.join('\n  ')}`);
  }, 1_800_000);
});
