import { describe, expect, it } from 'vitest';
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { stepContext } from '../../helpers/step-context.js';
import { serviceDescriber } from '../../../src/aws/service-describer.js';

describe('serviceDescriber', () => {
  it('answers twelve services asked for together with two DescribeServices calls (ten a call), each with its own service', async () => {
    const calls: { command: string; input: any }[] = [];
    const { ctx, app } = stepContext({}, { onCall: (c) => calls.push({ command: c.command, input: c.input }) });
    const cluster = `${app}-prod`;
    await ctx.aws.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const td = (
      await ctx.aws.ecs.send(
        new RegisterTaskDefinitionCommand({ family: `${app}-x`, containerDefinitions: [{ name: 'app', image: 'busybox', memory: 128, essential: true }] }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    const names = Array.from({ length: 12 }, (_, i) => `${app}-s${i}`);
    for (const n of names) await ctx.aws.ecs.send(new CreateServiceCommand({ cluster, serviceName: n, taskDefinition: td, desiredCount: 0 }));
    calls.length = 0;

    const describe = serviceDescriber(ctx.aws.ecs, cluster);
    const found = await Promise.all([...names, `${app}-missing`].map((n) => describe(n)));
    expect(found.slice(0, 12).map((s) => s?.serviceName)).toEqual(names);
    expect(found[12]).toBeUndefined();
    const described = calls.filter((c) => c.command === 'DescribeServices');
    expect(described.map((c) => c.input.services.length)).toEqual([10, 3]);

    // Asked apart (one poll after another), each is its own call.
    calls.length = 0;
    await describe(names[0]!);
    await describe(names[1]!);
    expect(calls.filter((c) => c.command === 'DescribeServices')).toHaveLength(2);
  });

  it('a failed call fails every request that shared it', async () => {
    const boom = Object.assign(new Error('not authorized to perform: ecs:DescribeServices'), { name: 'AccessDeniedException' });
    const describe = serviceDescriber({ send: async () => Promise.reject(boom) } as never, 'c');
    const results = await Promise.allSettled([describe('a'), describe('b')]);
    expect(results.map((r) => (r.status === 'rejected' ? r.reason : r.value))).toEqual([boom, boom]);
  });
});
