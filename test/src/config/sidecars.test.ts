import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { configProblems } from '../../helpers/config-problems.js';

const web = (sidecars: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  service: undefined,
  services: { api: { port: 3000, cpu: 512, memory: 1024, routes: ['/*'], sidecars, ...extra } },
});

describe('sidecars in the config', () => {
  it('normalizes a sidecar: the service image, 128 MiB reserved, essential, the service environment under its own', () => {
    const config = parseConfig(
      JSON.stringify({
        app: 'shop',
        region: 'us-east-1',
        image: {},
        environment: { A: '1' },
        ...web({ sidekiq: { command: ['bundle', 'exec', 'sidekiq'], environment: { B: '2' } } }),
      }),
      'test',
      'prod',
    );
    expect(config.services.api!.sidecars).toEqual([
      { name: 'sidekiq', image: 'default', command: ['bundle', 'exec', 'sidekiq'], memory: 128, essential: true, environment: { A: '1', B: '2' } },
    ]);
  });

  it('names the key: a task too small for them all, an unknown image, a container it cannot depend on, HEALTHY without a health check', () => {
    expect(configProblems(web({ sidekiq: { memory: 512 }, chroma: { memory: 448, cpu: 768 } }))).toBe(
      [
        'services.api.memory: 1024 MiB does not fit the task: sidekiq 512 MiB, chroma 448 MiB and 768 CPU leave 64 MiB for api, which needs at least 128; raise memory (and cpu to match)',
        'services.api.cpu: 512 CPU units do not fit the task: the sidecars reserve 768 (sidekiq 512 MiB, chroma 448 MiB and 768 CPU); raise cpu',
      ].join('\n'),
    );
    expect(configProblems(web({ sidekiq: { image: 'worker', dependsOn: { redis: 'START', api: 'HEALTHY' } } }))).toBe(
      [
        'services.api.sidecars.sidekiq.image: no image "worker"; images are default',
        'services.api.sidecars.sidekiq.dependsOn.redis: not a container of this task; name the service (api) or another sidecar (none)',
        'services.api.sidecars.sidekiq.dependsOn.api: HEALTHY needs a container health check on api (services.api.containerHealthCheck)',
      ].join('\n'),
    );
    expect(configProblems(web({ api: {} }))).toContain("services.api.sidecars.api: a sidecar cannot have its service's name");
  });
});
