import { describe, expect, it } from 'vitest';
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client, DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, UploadServerCertificateCommand } from '@aws-sdk/client-iam';
import { stepContext, MUTATING } from '../helpers/step-context.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { exitCodeOf, StepError } from '../../src/errors.js';
import { network } from '../../steps/network.js';
import { service } from '../../steps/service.js';

const elb = (region = 'us-east-1') => new ElasticLoadBalancingV2Client({ region });

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

describe('service: load balancer, listeners and the ECS service', () => {
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
});

/**
 * ECS as moto cannot play it: a rollout the circuit breaker marks FAILED, and
 * tasks that stop with a non-zero exit code. Everything else (VPC, load
 * balancer, logs) is the real stand-in.
 */

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
});
