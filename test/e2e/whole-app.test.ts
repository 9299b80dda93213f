import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  CreateRuleCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueueTagsCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand, ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';
import { elbName } from '../../src/aws/names.js';

const region = { region: 'us-east-1' };
const elb = new ElasticLoadBalancingV2Client(region);
const ecs = new ECSClient(region);
const policyOf = async (role: string) =>
  JSON.parse(decodeURIComponent((await new IAMClient(region).send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'deploy-wizard' }))).PolicyDocument!));

describe('a whole app: two images, two web services on one load balancer, a worker, a schedule', () => {
  it('deploys end to end, as moto itself records it, and a re-run makes no mutating call', async () => {
    const { dir, app } = makeApp(() => {}, 'whole-app');
    const first = await recordedDeploy(dir);
    expect(first.code, `${first.error?.message} ${(first.error as any)?.problems ?? ''} ${(first.error as any)?.hint ?? ''}`).toBe(0);
    const state = readState(dir);
    const cluster = `${app}-prod`;

    // Two images, each built once (the worker shares the api image) into its own repository.
    const repos = (await new ECRClient(region).send(new DescribeRepositoriesCommand({}))).repositories!.filter((r) => r.repositoryName!.startsWith(`${app}-`));
    expect(repos.map((r) => r.repositoryName).sort()).toEqual([`${app}-prod-api`, `${app}-prod-web`]);
    expect(first.names.filter((n) => n === 'ECR:CreateRepository')).toHaveLength(2);

    // One load balancer: the default action forwards to web, one rule sends /api/* to api.
    // One load balancer for the app: asked by name, and never created twice.
    const lbs = (await elb.send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] }))).LoadBalancers!;
    expect(lbs).toHaveLength(1);
    expect(first.names.filter((n) => n === 'ELBv2:CreateLoadBalancer')).toHaveLength(1);
    const tgs = (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbs[0]!.LoadBalancerArn }))).TargetGroups!;
    const tgOf = (s: string) => state.steps.service.outputs.services[s].targetGroupArn;
    expect(tgs.map((t) => t.TargetGroupArn).sort()).toEqual([tgOf('api'), tgOf('web')].sort());
    expect(tgs.find((t) => t.TargetGroupArn === tgOf('api'))!.HealthCheckPath).toBe('/api/health');
    const listener = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbs[0]!.LoadBalancerArn }))).Listeners!;
    expect(listener).toHaveLength(1);
    expect(listener[0]!.DefaultActions![0]).toMatchObject({ Type: 'forward', TargetGroupArn: tgOf('web') });
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener[0]!.ListenerArn }))).Rules!.filter((r) => !r.IsDefault);
    expect(rules.map((r) => [r.Priority, r.Conditions![0]!.PathPatternConfig?.Values ?? r.Conditions![0]!.Values, r.Actions![0]!.TargetGroupArn])).toEqual([
      ['1', ['/api/*'], tgOf('api')],
    ]);

    // Three ECS services: the worker has no load balancer and runs its own command from its own family.
    const svcs = (await ecs.send(new DescribeServicesCommand({ cluster, services: [app, `${app}-api`, `${app}-worker`] }))).services!;
    const byName = Object.fromEntries(svcs.map((s) => [s.serviceName, s]));
    expect(byName[app]!.loadBalancers![0]).toMatchObject({ targetGroupArn: tgOf('web'), containerPort: 8080 });
    expect(byName[`${app}-api`]!.loadBalancers![0]).toMatchObject({ targetGroupArn: tgOf('api') });
    expect(byName[`${app}-worker`]!.loadBalancers ?? []).toEqual([]);
    const workerTd = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: byName[`${app}-worker`]!.taskDefinition! }))).taskDefinition!;
    expect(workerTd.family).toBe(`${app}-prod-worker`);
    const c = workerTd.containerDefinitions![0]!;
    expect(c.command).toEqual(['/bin/busybox', 'sh', '-c', 'while true; do sleep 60; done']);
    expect(c.portMappings ?? []).toEqual([]);
    expect(c.environment).toEqual(
      expect.arrayContaining([
        { name: 'LOG_FORMAT', value: 'json' },
        { name: 'QUEUE', value: 'default' },
      ]),
    );
    expect(c.logConfiguration!.options!['awslogs-stream-prefix']).toBe('worker');
    expect(c.image).toBe(state.steps['ecr-push'].outputs.images.api.imageUri);

    // The schedule runs its own task definition: the worker's, with its command and log stream prefix, as the scheduler role.
    const sch = new SchedulerClient(region);
    const schedule = await sch.send(new GetScheduleCommand({ Name: `${app}-prod-nightly-digest`, GroupName: `${app}-prod` }));
    expect(schedule.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(schedule.ScheduleExpressionTimezone).toBe('Europe/Paris');
    const schedTd = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: schedule.Target!.EcsParameters!.TaskDefinitionArn! }))).taskDefinition!;
    expect(schedTd.family).toBe(`${app}-prod--schedule-nightly-digest`);
    const sc = schedTd.containerDefinitions![0]!;
    expect(sc.command).toEqual(['/bin/busybox', 'echo', 'digest sent']);
    expect(sc.logConfiguration!.options!['awslogs-stream-prefix']).toBe('schedule.nightly-digest');
    expect([sc.image, sc.environment, schedTd.taskRoleArn, schedTd.cpu]).toEqual([c.image, c.environment, workerTd.taskRoleArn, workerTd.cpu]);
    expect(schedule.Target!.Input).toBeUndefined();
    expect(schedule.Target!.RoleArn).toBe(state.steps['iam-roles'].outputs.schedulerRoleArn);
    expect(schedule.Target!.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 2 });
    // Runs it could not start after the retries go to an encrypted, tagged queue of the app's.
    const dlqArn = `arn:aws:sqs:us-east-1:123456789012:${app}-prod-schedules-dlq`;
    expect(schedule.Target!.DeadLetterConfig).toEqual({ Arn: dlqArn });
    const sqs = new SQSClient(region);
    const dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${app}-prod-schedules-dlq` }))).QueueUrl!;
    const dlqAttrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['All'] }))).Attributes!;
    expect([dlqAttrs.QueueArn, dlqAttrs.SqsManagedSseEnabled]).toEqual([dlqArn, 'true']);
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: dlqUrl }))).Tags).toMatchObject({ 'deploy-wizard:app': app, 'deploy-wizard:env': 'prod' });
    const scheduler = await policyOf(`${app}-prod-scheduler`);
    // ECS authorizes the tags Scheduler puts on the tasks it starts (EnableECSManagedTags, PropagateTags) as ecs:TagResource.
    expect(scheduler.Statement.find((s: any) => s.Action.includes('ecs:TagResource'))).toMatchObject({
      Resource: `arn:aws:ecs:us-east-1:123456789012:task/${app}-prod/*`,
      Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    });
    expect(scheduler.Statement.find((s: any) => s.Action.includes('sqs:SendMessage'))).toMatchObject({ Resource: dlqArn });
    const runTask = scheduler.Statement.find((s: any) => s.Action.includes('ecs:RunTask'));
    expect(runTask.Resource).toEqual([`arn:aws:ecs:us-east-1:123456789012:task-definition/${app}-prod--schedule-nightly-digest:*`]);
    const passRole = scheduler.Statement.find((s: any) => s.Action.includes('iam:PassRole'));
    // Only the roles the scheduled worker runs with: the execution role and the worker's own task role.
    expect(passRole.Resource.sort()).toEqual([
      `arn:aws:iam::123456789012:role/${app}-prod-execution`,
      `arn:aws:iam::123456789012:role/${app}-prod-worker-task`,
    ]);

    // The worker's own permissions are on its own task role (with the app's), not on the others'.
    expect(workerTd.taskRoleArn).toBe(`arn:aws:iam::123456789012:role/${app}-prod-worker-task`);
    const workerRole = await policyOf(`${app}-prod-worker-task`);
    expect(workerRole.Statement.find((x: any) => x.Sid === 'ServicePermissions1')).toMatchObject({
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
      Resource: ['arn:aws:sqs:us-east-1:123456789012:whole-app-jobs'],
    });
    expect(workerRole.Statement.find((x: any) => x.Sid === 'AppPermissions1')).toBeDefined();
    const webTd = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: byName[app]!.taskDefinition! }))).taskDefinition!;
    expect(webTd.taskRoleArn).toBe(`arn:aws:iam::123456789012:role/${app}-prod-task`);

    // Autoscaling on the api between 1 and 3 on CPU.
    const aas = new ApplicationAutoScalingClient(region);
    const target = (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${cluster}/${app}-api`] })))
      .ScalableTargets!;
    expect(target.map((t) => [t.MinCapacity, t.MaxCapacity])).toEqual([[1, 3]]);
    const policies = (await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: `service/${cluster}/${app}-api` })))
      .ScalingPolicies!;
    expect(policies.map((p) => [p.PolicyType, p.TargetTrackingScalingPolicyConfiguration?.TargetValue])).toEqual([['TargetTrackingScaling', 60]]);

    // The config's own permission is on the task role, as written; the wizard adds no wildcard.
    const task = await policyOf(`${app}-prod-task`);
    expect(JSON.stringify(task)).not.toContain('sqs:');
    expect(task.Statement.find((s: any) => s.Sid === 'AppPermissions1')).toMatchObject({
      Action: ['bedrock:InvokeModel'],
      Resource: ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0'],
    });

    // First boot asked both web services and checked the worker.
    const checks = state.steps['first-boot'].outputs.checks.map((x: any) => x.name);
    expect(checks).toEqual(expect.arrayContaining(['worker running', 'web rollout', 'api rollout']));
    expect(state.steps['first-boot'].outputs.probes.map((p: any) => new URL(p.url).pathname)).toEqual(['/health', '/api/health']);

    const again = await recordedDeploy(dir);
    expect(again.code).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);
  });

  it('removing a service and its schedule is refused without --yes, before anything changes; with --yes it is deleted and its family deregistered', async () => {
    const { dir, app, config } = makeApp(() => {}, 'whole-app');
    expect((await recordedDeploy(dir)).code).toBe(0);
    delete config.services.worker;
    config.schedules = {};
    writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(config, null, 2));

    const refused = await recordedDeploy(dir);
    expect(refused.code).toBe(2);
    expect(mutatingCalls(refused.names)).toEqual([]);
    // The plan lists the roles only they used: the worker's own task role and the scheduler's.
    const plan = await runCli(['plan', '--json'], { cwd: dir });
    expect(plan.code, plan.stderr).toBe(0);
    const roles = JSON.parse(plan.stdout)
      .plans.find((p: any) => p.step === 'iam-roles')
      .items.filter((i: any) => i.action === 'delete');
    expect(roles.map((i: any) => i.resource).sort()).toEqual([`IAM role ${app}-prod-scheduler`, `IAM role ${app}-prod-worker-task`]);

    const removed = await recordedDeploy(dir, {}, { yes: true });
    expect(removed.code).toBe(0);
    expect(removed.names).toEqual(expect.arrayContaining(['ECS:DeleteService', 'ECS:DeregisterTaskDefinition', 'Scheduler:DeleteSchedule']));
    const worker = (await ecs.send(new DescribeServicesCommand({ cluster: `${app}-prod`, services: [`${app}-worker`] }))).services ?? [];
    expect(worker.filter((s) => s.status === 'ACTIVE')).toEqual([]);
    const active = (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `${app}-prod-worker`, status: 'ACTIVE' }))).taskDefinitionArns ?? [];
    expect(active).toEqual([]);
    const left = (await new SchedulerClient(region).send(new ListSchedulesCommand({ GroupName: `${app}-prod` }))).Schedules ?? [];
    expect(left).toEqual([]);
    const schedFamily = `${app}-prod--schedule-nightly-digest`;
    expect((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: schedFamily, status: 'ACTIVE' }))).taskDefinitionArns ?? []).toEqual([]);
    // The last schedule gone, its empty dead-letter queue goes too.
    const dlq = await new SQSClient(region).send(new GetQueueUrlCommand({ QueueName: `${app}-prod-schedules-dlq` })).catch((e) => e.name);
    expect(dlq).toMatch(/QueueDoesNotExist|NonExistentQueue/);
    // The others kept running, untouched.
    expect(readState(dir).steps.service.outputs.services.api.serviceName).toBe(`${app}-api`);
    // Their roles went after the pipeline, once nothing ran with them; the app's own stay.
    const iam = new IAMClient(region);
    for (const gone of [`${app}-prod-worker-task`, `${app}-prod-scheduler`])
      expect(await iam.send(new GetRoleCommand({ RoleName: gone })).catch((e) => e.name), gone).toMatch(/^NoSuchEntity/);
    expect((await iam.send(new GetRoleCommand({ RoleName: `${app}-prod-task` }))).Role).toBeDefined();
    expect(readState(dir).steps['iam-roles'].outputs.schedulerRoleName).toBeUndefined();

    const again = await recordedDeploy(dir);
    expect(mutatingCalls(again.names)).toEqual([]);
  });

  it('removing the last web service takes the load balancer, its listeners and target groups away, and the worker goes on', async () => {
    const { dir, app, config } = makeApp(() => {}, 'whole-app');
    expect((await recordedDeploy(dir)).code).toBe(0);
    const elb = new ElasticLoadBalancingV2Client(region);
    const lbName = readState(dir).steps['load-balancer'].outputs.loadBalancerArn;
    delete config.services.web;
    delete config.services.api;
    delete config.validation;
    config.images = { api: config.images.api };
    config.services.worker.image = 'api';
    writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(config, null, 2));
    expect((await recordedDeploy(dir)).code).toBe(2);
    const removed = await recordedDeploy(dir, {}, { yes: true });
    expect(removed.code, removed.error?.message).toBe(0);
    expect(removed.names).toEqual(expect.arrayContaining(['ELBv2:DeleteLoadBalancer', 'ELBv2:DeleteTargetGroup', 'ECS:DeleteService']));
    const lbs = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbName] })).catch((e) => e.name);
    expect(lbs).toBe('LoadBalancerNotFoundException');
    const tgs = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
    expect(tgs.filter((t) => t.TargetGroupName!.startsWith(`${app}-`))).toEqual([]);
    expect(readState(dir).steps['load-balancer']).toBeUndefined();
    const again = await recordedDeploy(dir);
    expect(again.code, again.error?.message).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);
  });

  it('renaming a route, turning autoscaling off and moving a web service to a worker are ordinary re-deploys that converge', async () => {
    const { dir, app, config } = makeApp(() => {}, 'whole-app');
    expect((await recordedDeploy(dir)).code).toBe(0);
    const cluster = `${app}-prod`;
    const write = () => writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(config, null, 2));
    const listenerRules = async () => {
      const lb = (await elb.send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] }))).LoadBalancers![0]!;
      const l = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners![0]!;
      const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }))).Rules!.filter((r) => !r.IsDefault);
      return rules.map((r) => [r.Priority, (r.Conditions![0]!.PathPatternConfig?.Values ?? r.Conditions![0]!.Values)![0]]);
    };
    const aas = new ApplicationAutoScalingClient(region);
    const scalable = async () =>
      (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${cluster}/${app}-api`] }))).ScalableTargets!;

    // A renamed and an added route; autoscaling off, with a fixed count.
    config.services.api.routes = ['/v1/*', '/api/*'];
    delete config.services.api.autoscaling;
    config.services.api.desiredCount = 2;
    write();
    const changed = await recordedDeploy(dir);
    expect(changed.code, changed.error?.message).toBe(0);
    expect(await listenerRules()).toEqual([
      ['1', '/v1/*'],
      ['2', '/api/*'],
    ]);
    expect(await scalable()).toEqual([]);
    const api = (await ecs.send(new DescribeServicesCommand({ cluster, services: [`${app}-api`] }))).services![0]!;
    expect(api.desiredCount).toBe(2);
    expect(mutatingCalls((await recordedDeploy(dir)).names)).toEqual([]);

    // api becomes a worker: off the load balancer, its rules and target group gone, the same ECS service.
    const tgArn = readState(dir).steps.service.outputs.services.api.targetGroupArn;
    delete config.services.api.port;
    delete config.services.api.routes;
    delete config.services.api.healthCheckPath;
    write();
    const moved = await recordedDeploy(dir);
    expect(moved.code, moved.error?.message).toBe(0);
    expect(moved.names).not.toContain('ECS:CreateService');
    const after = (await ecs.send(new DescribeServicesCommand({ cluster, services: [`${app}-api`] }))).services![0]!;
    expect(after.serviceArn).toBe(api.serviceArn);
    expect(after.loadBalancers ?? []).toEqual([]);
    expect(await listenerRules()).toEqual([]);
    expect(moved.names).toContain('ELBv2:DeleteTargetGroup');
    await expect(elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn] }))).rejects.toThrow(/not found/i);
    expect(readState(dir).steps.service.outputs.services.api.kind).toBe('worker');
    expect(mutatingCalls((await recordedDeploy(dir)).names)).toEqual([]);
  });

  it('a listener rule added by hand is never changed or deleted: above ours it stays, in the way of ours the step stops and says what to do', async () => {
    const { dir, app, config } = makeApp(() => {}, 'whole-app');
    expect((await recordedDeploy(dir)).code).toBe(0);
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] }))).LoadBalancers![0]!;
    const listener = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners![0]!;
    const tg = readState(dir).steps.service.outputs.services.web.targetGroupArn;
    const manual = (
      await elb.send(
        new CreateRuleCommand({
          ListenerArn: listener.ListenerArn,
          Priority: 40,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/legacy/*'] } }],
          Actions: [{ Type: 'forward', TargetGroupArn: tg }],
        }),
      )
    ).Rules![0]!;
    config.services.api.routes = ['/v2/*'];
    // The stand-in app answers /api/health only: first-boot asks that, whatever the route.
    config.services.api.validation = { path: '/api/health' };
    writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(config, null, 2));
    expect((await recordedDeploy(dir)).code).toBe(0);
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!.filter((r) => !r.IsDefault);
    expect(rules.map((r) => r.Priority).sort()).toEqual(['1', '40']);
    expect(rules.find((r) => r.Priority === '40')!.RuleArn).toBe(manual.RuleArn);

    // A second route would take priority 2; a hand-made rule sits there.
    await elb.send(
      new CreateRuleCommand({
        ListenerArn: listener.ListenerArn,
        Priority: 2,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/ops/*'] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: tg }],
      }),
    );
    config.services.api.routes = ['/v2/*', '/v3/*'];
    writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(config, null, 2));
    const blocked = await recordedDeploy(dir);
    expect(blocked.code).toBe(1);
    expect(blocked.error?.message).toContain('the listener rule at priority 2 was not created by deploy-wizard');
    expect(blocked.names).not.toContain('ELBv2:DeleteRule');
    expect(blocked.names).not.toContain('ELBv2:ModifyRule');
  });
});
