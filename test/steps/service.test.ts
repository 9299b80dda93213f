import { describe, expect, it } from 'vitest';
import { ElasticLoadBalancingV2Client, DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, UploadServerCertificateCommand } from '@aws-sdk/client-iam';
import { stepContext, MUTATING } from '../helpers/step-context.js';
import { registerTaskDefinition } from '../helpers/step-context.js';
import { exitCodeOf, StepError } from '../../src/errors.js';
import { network } from '../../steps/network.js';
import { parseConfig } from '../../src/config/load-config.js';
import { service } from '../../steps/service.js';
import { context, fakeEcs, withFakeEcs } from '../helpers/fake-ecs.js';

const elb = (region = 'us-east-1') => new ElasticLoadBalancingV2Client({ region });

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
    const tdOut = await registerTaskDefinition(ctx, app);
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

describe('failures that only a fake ECS can produce', () => {
  it('a FAILED rollout exits 1 within the deadline, with the reason, the stopped task exit code and its last log lines', async () => {
    const { ctx, td, elapsed } = await context(['booting', 'Error: DATABASE_URL is not reachable']);
    const fake = fakeEcs({ td: td.taskDefinitionArn, app: ctx.app, failRollout: true });
    withFakeEcs(ctx, fake);
    const err = await service.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(exitCodeOf(err)).toBe(1);
    expect(err.message).toBe('wait for service web: rollout FAILED: ECS deployment circuit breaker: tasks failed to start.');
    expect(err.hint).toContain('task 0123456789abcdef: Essential container in task exited; app exit 1');
    expect(err.hint).toContain('Error: DATABASE_URL is not reachable');
    expect(elapsed()).toBeLessThan(30 * 60_000);
  });

  it('when several services fail their rollout, each is named with its diagnosis, and the error says how many rolled out', async () => {
    const { ctx, td } = await context(['booting', 'Error: cannot reach the queue']);
    ctx.config = parseConfig(
      JSON.stringify({
        app: ctx.app,
        region: 'us-east-1',
        image: {},
        services: { web: { port: 8080, cpu: 256, memory: 512 }, worker: { cpu: 256, memory: 512, command: ['./worker'] } },
      }),
      'test',
      'prod',
    );
    const tds = { services: { web: td, worker: { ...td, family: `${ctx.app}-prod-worker` } }, logGroup: td.logGroup };
    const upstream = ctx.output;
    ctx.output = ((id: string) => (id === 'task-definition' ? tds : upstream(id as never))) as any;
    withFakeEcs(ctx, fakeEcs({ td: td.taskDefinitionArn, app: ctx.app, failRollout: true }));
    const err = await service.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toBe('rollout: web, worker failed (0 of 2 services rolled out)');
    expect(err.hint).toMatch(/^web: wait for service web: rollout FAILED/m);
    expect(err.hint).toMatch(/^worker: wait for service worker: rollout FAILED/m);
    expect(err.hint).toContain('Error: cannot reach the queue');
  });
});
