import { describe, expect, it } from 'vitest';
import { exitCodeOf, StepError } from '../../src/errors.js';
import { parseConfig } from '../../src/config/load-config.js';
import { service } from '../../steps/service/apply.js';
import { context, fakeEcs, withFakeEcs } from '../helpers/fake-ecs.js';

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
