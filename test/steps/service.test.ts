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
});
