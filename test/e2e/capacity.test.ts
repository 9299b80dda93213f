import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { makeApp, readState } from '../helpers/cli.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';
import { parseConfig } from '../../src/config/load-config.js';
import { manifest as serviceManifest } from '../../steps/service/manifest.js';

const ecs = new ECSClient({ region: 'us-east-1' });

describe('capacity (Fargate Spot)', () => {
  it('a worker on a FARGATE/FARGATE_SPOT strategy: both providers on the cluster, weights changed in place, back to on-demand when removed; a launch-type service is refused', async () => {
    const { dir, app } = makeApp((c) => {
      c.services = {
        web: { ...c.service, routes: ['/*'] },
        worker: { cpu: 256, memory: 512, command: ['/bin/busybox', 'sleep', '3600'], capacity: { spot: 3, onDemand: 1, base: 1 } },
      };
      delete c.service;
      c.schedules = { nightly: { service: 'worker', cron: 'cron(0 3 * * ? *)', command: ['/bin/busybox', 'true'] } };
    });
    const first = await recordedDeploy(dir);
    expect(first.code, first.stderr).toBe(0);
    // What was sent (moto does not echo capacityProviderStrategy back).
    const creates = first.calls.filter((c) => c.name === 'ECS:CreateService').map((c) => c.input);
    const worker = creates.find((i) => i.serviceName === `${app}-worker`)!;
    expect(worker.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
    ]);
    expect(worker.launchType).toBeUndefined();
    expect(creates.find((i) => i.serviceName === app)!.launchType).toBe('FARGATE');
    const cluster = (await ecs.send(new DescribeClustersCommand({ clusters: [`${app}-prod`] }))).clusters![0]!;
    expect(cluster.capacityProviders).toEqual(['FARGATE', 'FARGATE_SPOT']);
    expect(readState(dir).steps.service.outputs.services.worker.capacity).toBe('FARGATE:1:1,FARGATE_SPOT:3:0');
    // Its schedule runs where it does: the same strategy, no launch type.
    const scheduled = first.calls.find((c) => c.name === 'Scheduler:CreateSchedule')!.input.Target.EcsParameters;
    expect(scheduled.CapacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
    ]);
    expect(scheduled.LaunchType).toBeUndefined();

    const again = await recordedDeploy(dir);
    expect(again.code, again.stderr).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);

    const path = join(dir, 'deploy-wizard.json');
    const edit = (f: (c: any) => void) => {
      const c = JSON.parse(readFileSync(path, 'utf8'));
      f(c);
      writeFileSync(path, JSON.stringify(c));
    };
    edit((c) => (c.services.worker.capacity.spot = 2));
    const changed = await recordedDeploy(dir);
    expect(changed.code, changed.stderr).toBe(0);
    const update = changed.calls.find((c) => c.name === 'ECS:UpdateService')!.input;
    expect(update).toMatchObject({
      service: `${app}-worker`,
      forceNewDeployment: true,
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE', weight: 1, base: 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: 2, base: 0 },
      ],
    });

    // Removed: ECS does not take a Fargate-provider service back to the launch type, so it goes all on-demand.
    edit((c) => delete c.services.worker.capacity);
    const removed = await recordedDeploy(dir);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.calls.find((c) => c.name === 'ECS:UpdateService')!.input.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE', weight: 1, base: 0 },
    ]);
    const quiet = await recordedDeploy(dir);
    expect(mutatingCalls(quiet.names)).toEqual([]);

    // The web service runs on the launch type: Spot for it is refused before anything changes.
    edit((c) => (c.services.web.capacity = { spot: 1 }));
    const refused = await recordedDeploy(dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr + String(refused.error?.message) + JSON.stringify((refused.error as any)?.problems ?? [])).toContain(
      `services.web.capacity: ${app} runs on the Fargate launch type`,
    );
    expect(mutatingCalls(refused.names)).toEqual([]);
  });

  it('prices the tasks the weights put on Spot at the assumed discount', () => {
    const config = parseConfig(
      JSON.stringify({
        app: 'shop',
        region: 'us-east-1',
        image: {},
        services: { worker: { cpu: 1024, memory: 2048, desiredCount: 5, capacity: { spot: 3, onDemand: 1, base: 1 } } },
      }),
      'test',
      'prod',
    );
    const [line] = serviceManifest.cost!(config);
    const onDemand = (1 * 0.04048 + 2 * 0.004445) * 730;
    // 1 base task on-demand, then 4 split 1:3: 2 on-demand, 3 on Spot at 30% of the price.
    expect(line!.monthly).toBeCloseTo(Math.round(onDemand * (2 + 3 * 0.3) * 100) / 100, 1);
    expect(line!.size).toContain('60% on Fargate Spot (assumed 70% cheaper)');
  });
});
