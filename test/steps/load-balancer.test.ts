import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../helpers/self-signed.js';
import {
  CreateLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, UploadServerCertificateCommand } from '@aws-sdk/client-iam';
import { MUTATING } from '../helpers/step-context.js';
import { stepContext } from '../helpers/step-context.js';
import { registerTaskDefinition } from '../helpers/step-context.js';
import { network } from '../../steps/network/apply.js';
import { service } from '../../steps/service/apply.js';
import { loadBalancer } from '../../steps/load-balancer/apply.js';
import { elbName } from '../../src/aws/names.js';
import { vpcWith } from '../helpers/vpc.js';

const elb = (region = 'us-east-1') => new ElasticLoadBalancingV2Client({ region });

describe('load balancer: listeners, routes and adoption', () => {
  it('with a certificate: HTTPS on 443 with a TLS 1.2+ policy, 80 redirects, the URL is https; a re-run changes nothing', async () => {
    const calls: string[] = [];
    // A real self-signed certificate, uploaded where the load balancer can find it (IAM server certificates work like ACM ones here).
    const dir = mkdtempSync(join(tmpdir(), 'dw-cert-'));
    selfSignedCert({ cn: 'app.example.com', keyPath: join(dir, 'key.pem'), certPath: join(dir, 'cert.pem'), days: 1 });
    const cert = (
      await new IAMClient({ region: 'us-east-1' }).send(
        new UploadServerCertificateCommand({
          ServerCertificateName: `dw-${Date.now()}`,
          CertificateBody: readFileSync(join(dir, 'cert.pem'), 'utf8'),
          PrivateKey: readFileSync(join(dir, 'key.pem'), 'utf8'),
        }),
      )
    ).ServerCertificateMetadata!.Arn!;
    const { ctx } = stepContext({ loadBalancer: { certificateArn: cert, idleTimeoutSeconds: 300 } }, { onCall: (c) => calls.push(c.command) });
    const net = await network.apply(ctx);
    ctx.output = ((id: string) => ({ network: net })[id]) as any;
    const out = await loadBalancer.apply(ctx);
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
    await loadBalancer.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
  });
});

describe('networking that passes on moto but would fail on AWS is refused before anything is created', () => {
  it('the load balancer gets one subnet per AZ, and a network change reaches the running service', async () => {
    const { vpc, ids } = await vpcWith([
      { az: 'us-east-1a', public: true },
      { az: 'us-east-1a', public: true },
      { az: 'us-east-1b', public: true },
    ]);
    const calls: { command: string; input: any }[] = [];
    const { ctx, app } = stepContext({ network: { vpcId: vpc, subnetIds: ids } }, { onCall: (c) => calls.push({ command: c.command, input: c.input }) });
    const net = await network.apply(ctx);
    expect(net.loadBalancerSubnetIds).toEqual([ids[0], ids[2]]);
    const tdOut = await registerTaskDefinition(ctx, app);
    let netOut = net;
    let lbOut: unknown;
    ctx.output = ((id: string) => ({ network: netOut, 'task-definition': tdOut, 'load-balancer': lbOut })[id]) as any;
    lbOut = await loadBalancer.apply(ctx);
    await service.apply(ctx);
    expect(calls.find((c) => c.command === 'CreateLoadBalancer')!.input.Subnets).toEqual([ids[0], ids[2]]);

    // Two of the three subnets now: the service is updated with them.
    ctx.config.network = { vpc: 'default', vpcId: vpc, subnetIds: [ids[0]!, ids[2]!] };
    netOut = await network.apply(ctx);
    calls.length = 0;
    lbOut = await loadBalancer.apply(ctx);
    await service.apply(ctx);
    const update = calls.find((c) => c.command === 'UpdateService');
    expect(update?.input.networkConfiguration.awsvpcConfiguration.subnets).toEqual([ids[0], ids[2]]);
  });

  it('a load balancer with our name that is not ours is never adopted', async () => {
    const { ctx, app } = stepContext({});
    const net = await network.apply(ctx);
    await new ElasticLoadBalancingV2Client({ region: 'us-east-1' }).send(
      new CreateLoadBalancerCommand({ Name: elbName(app, 'prod'), Subnets: net.loadBalancerSubnetIds, Type: 'application' }),
    );
    ctx.output = ((id: string) =>
      ({
        network: net,
        'task-definition': {
          services: {
            web: {
              family: 'x',
              taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/x:1',
              revision: 1,
              containerName: 'x',
              streamPrefix: 'ecs',
            },
          },
          logGroup: 'x',
        },
      })[id]) as any;
    await expect(loadBalancer.apply(ctx)).rejects.toThrow(`adopt load balancer: ${elbName(app, 'prod')} exists but was not created by deploy-wizard`);
    const lbs = (await new ElasticLoadBalancingV2Client({ region: 'us-east-1' }).send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] })))
      .LoadBalancers!;
    expect(lbs).toHaveLength(1);
  });

  it('an app named internal-… gets a load balancer name AWS accepts', () => {
    expect(elbName('internal-tools', 'prod')).toBe('dw-internal-tools-prod');
    expect(elbName('internal-' + 'x'.repeat(23), 'production').length).toBeLessThanOrEqual(32);
    expect(elbName('internal-' + 'x'.repeat(23), 'production')).not.toMatch(/^internal-/);
  });
});
