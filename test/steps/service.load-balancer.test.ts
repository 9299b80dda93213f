import { describe, expect, it } from 'vitest';
import { CreateLoadBalancerCommand, DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { stepContext } from '../helpers/step-context.js';
import { registerTaskDefinition } from '../helpers/step-context.js';
import { network } from '../../steps/network.js';
import { service, elbName } from '../../steps/service.js';
import { vpcWith } from '../helpers/vpc.js';

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
    ctx.output = ((id: string) => ({ network: netOut, 'task-definition': tdOut })[id]) as any;
    await service.apply(ctx);
    expect(calls.find((c) => c.command === 'CreateLoadBalancer')!.input.Subnets).toEqual([ids[0], ids[2]]);

    // Two of the three subnets now: the service is updated with them.
    ctx.config.network = { vpc: 'default', vpcId: vpc, subnetIds: [ids[0]!, ids[2]!] };
    netOut = await network.apply(ctx);
    calls.length = 0;
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
    await expect(service.apply(ctx)).rejects.toThrow(`adopt load balancer: ${elbName(app, 'prod')} exists but was not created by deploy-wizard`);
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
