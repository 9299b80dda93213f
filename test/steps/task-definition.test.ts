import { describe, expect, it } from 'vitest';
import { ECSClient, DescribeTaskDefinitionCommand, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  ElasticLoadBalancingV2Client,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { readFileSync, writeFileSync } from 'node:fs';
import { makeExampleApp, readState } from '../helpers/cli.js';
import { stepContext } from '../helpers/step-context.js';
import { recordedDeploy } from '../helpers/recorded-deploy.js';
import { StepError } from '../../src/errors.js';
import { render } from '../../src/aws/task-definition.js';

const ecs = (region = 'us-east-1') => new ECSClient({ region });
const elb = (region = 'us-east-1') => new ElasticLoadBalancingV2Client({ region });

describe('task-definition', () => {
  it('registers a task definition with secrets by valueFrom only, the image by digest and the right platform', async () => {
    const { dir, app, secrets } = makeExampleApp('agencio-predict');
    const run = await recordedDeploy(dir, secrets);
    expect(run.code).toBe(0);
    const state = readState(dir);
    const td = (await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: `${app}-prod-web` }))).taskDefinition!;
    const c = td.containerDefinitions![0]!;
    const secretArn = state.steps.secrets.outputs.arn;
    expect(c.secrets!.map((s) => s.name).sort()).toEqual(state.steps.secrets.outputs.keys);
    for (const s of c.secrets!) expect(s.valueFrom).toBe(`${secretArn}:${s.name}::`);
    const values = Object.values(
      JSON.parse((await new SecretsManagerClient({ region: 'us-east-1' }).send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString!),
    ) as string[];
    for (const e of c.environment!) expect(values).not.toContain(e.value);
    expect(c.environment).toEqual(
      expect.arrayContaining([
        { name: 'AWS_REGION', value: 'us-east-1' },
        { name: 'NODE_ENV', value: 'production' },
      ]),
    );
    expect(c.image).toBe(state.steps['ecr-push'].outputs.images.default.imageUri);
    expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(td.runtimePlatform).toEqual({ cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' });
    expect([td.cpu, td.memory, td.networkMode]).toEqual(['1024', '2048', 'awsvpc']);
    expect(td.executionRoleArn).toBe(state.steps['iam-roles'].outputs.executionRoleArn);
    expect(c.logConfiguration?.options?.['awslogs-group']).toBe(`/ecs/${app}-prod`);

    // What was sent to CreateService (emulators do not echo deploymentConfiguration back).
    const create = run.calls.find((x) => x.name === 'ECS:CreateService')!.input;
    expect(create.deploymentConfiguration.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    expect(create.clientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.networkConfiguration.awsvpcConfiguration.securityGroups).toEqual([state.steps.network.outputs.securityGroups.tasks]);
    expect(create.loadBalancers[0]).toMatchObject({ targetGroupArn: state.steps.service.outputs.services.web.targetGroupArn, containerPort: 3000 });

    const lb = (await elb().send(new DescribeLoadBalancersCommand({ Names: [`${app}-prod`] }))).LoadBalancers!;
    expect(lb).toHaveLength(1);
    expect(lb[0]).toMatchObject({ Scheme: 'internet-facing', SecurityGroups: [state.steps.network.outputs.securityGroups.lb] });
    const tg = (await elb().send(new DescribeTargetGroupsCommand({ Names: [`${app}-prod`] }))).TargetGroups![0]!;
    expect(tg).toMatchObject({ TargetType: 'ip', Port: 3000, HealthCheckPath: '/api/health' });
    const listeners = (await elb().send(new DescribeListenersCommand({ LoadBalancerArn: lb[0]!.LoadBalancerArn }))).Listeners!;
    expect(listeners.map((l) => [l.Port, l.DefaultActions![0]!.Type])).toEqual([[80, 'forward']]);

    // A changed environment variable: exactly one new revision, and the service moves to it.
    const cfgPath = `${dir}/deploy-wizard.json`;
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.service.environment.SCHEDULER_ENABLED = 'false';
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const changed = await recordedDeploy(dir, secrets);
    expect(changed.code).toBe(0);
    expect(changed.calls.filter((x) => x.name === 'ECS:RegisterTaskDefinition')).toHaveLength(1);
    expect(changed.calls.find((x) => x.name === 'ECS:UpdateService')?.input).toMatchObject({ taskDefinition: expect.stringMatching(/:2$/) });
    const svc = (await ecs().send(new DescribeServicesCommand({ cluster: `${app}-prod`, services: [app] }))).services![0]!;
    expect(svc.taskDefinition).toMatch(/:2$/);
  });

  it('catches an image built for another architecture before the task definition, with the fix', async () => {
    const { ctx } = stepContext({});
    ctx.output = ((id: string) =>
      ({
        'ecr-push': { images: { default: { imageUri: 'x@sha256:1', architecture: 'arm64' } } },
        'iam-roles': { executionRoleArn: 'arn:aws:iam::123456789012:role/e', taskRoleArn: 'arn:aws:iam::123456789012:role/t' },
      })[id]) as any;
    const err = (() => {
      try {
        render(ctx, ctx.config.services.web!);
      } catch (e) {
        return e as StepError;
      }
    })();
    expect(err).toBeInstanceOf(StepError);
    expect(err!.message).toBe('check image: the pushed image default is linux/arm64 but image.platform is linux/amd64');
    expect(err!.hint).toMatch(/set image.platform to linux\/arm64/);
  });
});

/**
 * ECS as moto cannot play it: a rollout the circuit breaker marks FAILED, and
 * tasks that stop with a non-zero exit code. Everything else (VPC, load
 * balancer, logs) is the real stand-in.
 */
