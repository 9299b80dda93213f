import { describe, expect, it } from 'vitest';
import { ECSClient, DescribeTaskDefinitionCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  ElasticLoadBalancingV2Client,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { freePortSync } from '../helpers/free-port.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, UploadServerCertificateCommand } from '@aws-sdk/client-iam';
import { makeApp, makeExampleApp, readState, runCli, standinLogs } from '../helpers/cli.js';
import { stepContext, MUTATING } from '../helpers/step-context.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
import { exitCodeOf, StepError } from '../../src/errors.js';
import { network } from '../../steps/network.js';
import { service } from '../../steps/service.js';
import { migrations } from '../../steps/migrations.js';
import { render } from '../../steps/task-definition.js';

const ecs = (region = 'us-east-1') => new ECSClient({ region });
const elb = (region = 'us-east-1') => new ElasticLoadBalancingV2Client({ region });

function expectOk(r: { code: number | null; stderr: string; stdout: string }) {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stderr}\n${r.stdout}\n${standinLogs()}`);
}

describe('the whole pipeline', () => {
  it.each(['agencio-predict', 'arbiter-ai', 'espejo', 'postmagiq'])(
    '%s deploys through first-boot, then again with no mutating call and the same revision',
    async (example) => {
      const { dir, app, secrets, config } = makeExampleApp(example);
      const first = await runCli(['--non-interactive'], { cwd: dir, env: secrets });
      expectOk(first);
      const state = readState(dir);
      const expected = ['network', 'ecr-push', 's3-buckets', 'secrets', 'iam-roles', 'task-definition', 'service', 'first-boot'].filter(
        (id) => id !== 's3-buckets' || config.buckets,
      );
      for (const id of expected) expect(state.steps[id]?.status, id).toBe('done');
      if (config.migrations)
        expect(state.steps.migrations.outputs).toMatchObject({ exitCode: 0, ranFor: state.steps['task-definition'].outputs.taskDefinitionArn });
      expect(state.steps['first-boot'].outputs.checks.every((c: any) => c.ok)).toBe(true);
      expect(first.stdout).toContain('URL         http://');
      expect(first.stdout).toContain(`Secret      ${app}/prod`);
      expect(first.stdout).toMatch(/aws logs tail \/ecs\/.* --follow/);

      const again = await recordedDeploy(dir, secrets);
      expect(again.code).toBe(0);
      expect(mutatingCalls(again.names)).toEqual([]);
      expect(again.calls.map((c) => c.name)).not.toContain('ECS:RunTask');
      expect(again.events.filter((e) => e.step !== 'deploy').every((e) => e.status === 'unchanged')).toBe(true);
      const td = await ecs(config.region).send(new DescribeTaskDefinitionCommand({ taskDefinition: `${app}-prod` }));
      expect(td.taskDefinition!.revision).toBe(1);
      expect(readState(dir).steps['task-definition'].outputs.revision).toBe(1);
    },
  );

  it('registers a task definition with secrets by valueFrom only, the image by digest and the right platform', async () => {
    const { dir, app, secrets } = makeExampleApp('agencio-predict');
    const run = await recordedDeploy(dir, secrets);
    expect(run.code).toBe(0);
    const state = readState(dir);
    const td = (await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: `${app}-prod` }))).taskDefinition!;
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
    expect(c.image).toBe(state.steps['ecr-push'].outputs.imageUri);
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
    expect(create.loadBalancers[0]).toMatchObject({ targetGroupArn: state.steps.service.outputs.targetGroupArn, containerPort: 3000 });

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

  it('with a certificate: HTTPS on 443 with a TLS 1.2+ policy, 80 redirects, the URL is https; a re-run changes nothing', async () => {
    const calls: string[] = [];
    // A real self-signed certificate, uploaded where the load balancer can find it (IAM server certificates work like ACM ones here).
    const dir = mkdtempSync(join(tmpdir(), 'dw-cert-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=app.example.com',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    const cert = (
      await new IAMClient({ region: 'us-east-1' }).send(
        new UploadServerCertificateCommand({
          ServerCertificateName: `dw-${Date.now()}`,
          CertificateBody: readFileSync(join(dir, 'cert.pem'), 'utf8'),
          PrivateKey: readFileSync(join(dir, 'key.pem'), 'utf8'),
        }),
      )
    ).ServerCertificateMetadata!.Arn!;
    const { ctx, app } = stepContext({ loadBalancer: { certificateArn: cert, idleTimeoutSeconds: 300 } }, { onCall: (c) => calls.push(c.command) });
    const net = await network.apply(ctx);
    const td = (
      await ctx.aws.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: `${app}-prod`,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: app, image: 'x', memoryReservation: 512, portMappings: [{ containerPort: 8080 }] }],
        }),
      )
    ).taskDefinition!;
    const tdOut = { family: td.family, taskDefinitionArn: td.taskDefinitionArn, revision: td.revision, containerName: app, logGroup: `/ecs/${app}-prod` };
    ctx.output = ((id: string) => ({ network: net, 'task-definition': tdOut })[id]) as any;
    const out = await service.apply(ctx);
    expect(out.url).toMatch(/^https:\/\//);
    const listeners = (await elb().send(new DescribeListenersCommand({ LoadBalancerArn: out.loadBalancerArn }))).Listeners!.sort((a, b) => a.Port! - b.Port!);
    expect(listeners.map((l) => [l.Port, l.Protocol, l.DefaultActions![0]!.Type])).toEqual([
      [80, 'HTTP', 'redirect'],
      [443, 'HTTPS', 'forward'],
    ]);
    expect(listeners[0]!.DefaultActions![0]!.RedirectConfig).toMatchObject({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' });
    expect(listeners[1]!.SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(listeners[1]!.Certificates![0]!.CertificateArn).toBe(cert);
    calls.length = 0;
    await service.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
  });

  it('catches an image built for another architecture before the task definition, with the fix', async () => {
    const { ctx } = stepContext({});
    ctx.output = ((id: string) =>
      ({
        'ecr-push': { imageUri: 'x@sha256:1', architecture: 'arm64' },
        'iam-roles': { executionRoleArn: 'arn:aws:iam::123456789012:role/e', taskRoleArn: 'arn:aws:iam::123456789012:role/t' },
      })[id]) as any;
    const err = (() => {
      try {
        render(ctx);
      } catch (e) {
        return e as StepError;
      }
    })();
    expect(err).toBeInstanceOf(StepError);
    expect(err!.message).toBe('check image: the pushed image is linux/arm64 but image.platform is linux/amd64');
    expect(err!.hint).toMatch(/set image.platform to linux\/arm64/);
  });

  it('fails first-boot at its deadline with the checks and the diagnosis when the app never answers', async () => {
    const { dir } = makeApp((c) => (c.validation = { path: '/health', expectStatus: 200, timeoutSeconds: 5 }));
    const started = Date.now();
    const r = await runCli(['--non-interactive'], { cwd: dir, env: { DEPLOY_WIZARD_HEALTH_URL: `http://127.0.0.1:${freePortSync()}` } });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.stderr).toMatch(/probe health: http:\/\/127\.0\.0\.1:\d+\/health did not answer as expected within 5s: no answer \(ECONNREFUSED\)/);
    expect(r.stderr).toMatch(/✖ GET http:\/\/127\.0\.0\.1:\d+\/health/);
    expect(r.stderr).toMatch(/What ECS says:\nrollout: COMPLETED/);
    expect(readState(dir).steps['first-boot'].status).toBe('failed');
    expect(readState(dir).steps.service.status).toBe('done');
  });
});

/**
 * ECS as moto cannot play it: a rollout the circuit breaker marks FAILED, and
 * tasks that stop with a non-zero exit code. Everything else (VPC, load
 * balancer, logs) is the real stand-in.
 */
function fakeEcs(opts: { td: string; app: string; failRollout?: boolean; taskExit?: number }) {
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
        case 'DescribeClusters':
          return { clusters: [{ clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/c', status: 'ACTIVE', tags }] };
        case 'DescribeServices':
          return {
            services: [
              {
                serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/c/app',
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
              },
            ],
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
function withFakeEcs(ctx: { aws: any }, fake: unknown) {
  ctx.aws = new Proxy(ctx.aws, { get: (target, prop) => (prop === 'ecs' ? fake : target[prop]) });
}

describe('failures that only a fake ECS can produce', () => {
  async function context(logLines: string[]) {
    const { ctx, app } = stepContext({});
    const net = await network.apply(ctx);
    const td = {
      family: `${app}-prod`,
      taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${app}-prod:1`,
      revision: 1,
      containerName: 'app',
      logGroup: `/ecs/${app}-prod`,
    };
    ctx.output = ((id: string) => ({ network: net, 'task-definition': td })[id]) as any;
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

  it('a FAILED rollout exits 1 within the deadline, with the reason, the stopped task exit code and its last log lines', async () => {
    const { ctx, td, elapsed } = await context(['booting', 'Error: DATABASE_URL is not reachable']);
    const fake = fakeEcs({ td: td.taskDefinitionArn, app: ctx.app, failRollout: true });
    withFakeEcs(ctx, fake);
    const err = await service.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(exitCodeOf(err)).toBe(1);
    expect(err.message).toBe('wait for service ' + ctx.app + ': rollout FAILED: ECS deployment circuit breaker: tasks failed to start.');
    expect(err.hint).toContain('task 0123456789abcdef: Essential container in task exited; app exit 1');
    expect(err.hint).toContain('Error: DATABASE_URL is not reachable');
    expect(elapsed()).toBeLessThan(30 * 60_000);
  });

  it('a migration that exits non-zero fails the step with the stopped reason and its last log lines', async () => {
    const { ctx, td } = await context(['Running upgrade 041 -> 042', 'sqlalchemy.exc.ProgrammingError: relation "users" does not exist']);
    ctx.config.migrations = { command: ['alembic', 'upgrade', 'head'] };
    const fake = fakeEcs({ td: td.taskDefinitionArn, app: ctx.app, taskExit: 3 });
    withFakeEcs(ctx, fake);
    const err = await migrations.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toBe('run migrations: the task exited with 3: Essential container in task exited');
    expect(err.hint).toContain('relation "users" does not exist');
    expect(fake.calls).toContain('RunTask');
  });
});
