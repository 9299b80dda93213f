import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECSClient, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';

const ecs = new ECSClient({ region: 'us-east-1' });
const logs = new CloudWatchLogsClient({ region: 'us-east-1' });

describe('sidecars', () => {
  it("a second container in the service's task, with its command, reservation, order and log stream; converges when removed", async () => {
    const { dir, app } = makeApp((c) => {
      c.services = {
        web: {
          ...c.service,
          routes: ['/*'],
          containerHealthCheck: { command: ['CMD-SHELL', 'wget -q -O - http://127.0.0.1:8080/health'] },
          sidecars: {
            sidekiq: {
              command: ['sh', '-c', 'while true; do echo working; sleep 5; done'],
              memory: 192,
              environment: { QUEUE: 'default' },
              dependsOn: { web: 'HEALTHY' },
            },
          },
        },
      };
      delete c.service;
      c.secrets = { SESSION_KEY: { generate: 'hex-32' } };
    });
    const first = await recordedDeploy(dir);
    expect(first.code, first.stderr).toBe(0);
    const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${app}-prod-web` }))).taskDefinition!;
    const [main, side] = td.containerDefinitions!;
    expect(td.containerDefinitions).toHaveLength(2);
    expect(main).toMatchObject({ name: app, essential: true, memoryReservation: 512 - 192 });
    expect(side).toMatchObject({
      name: 'sidekiq',
      image: main!.image,
      essential: true,
      memoryReservation: 192,
      command: ['sh', '-c', 'while true; do echo working; sleep 5; done'],
      dependsOn: [{ containerName: app, condition: 'HEALTHY' }],
    });
    // Its own stream under the service's prefix, the service's secrets and environment with its own over them.
    expect(side!.logConfiguration!.options).toMatchObject({ 'awslogs-stream-prefix': 'web' });
    expect(side!.secrets!.map((s) => s.name)).toEqual(['SESSION_KEY']);
    expect(side!.environment).toEqual(
      expect.arrayContaining([
        { name: 'QUEUE', value: 'default' },
        { name: 'LOG_FORMAT', value: 'json' },
      ]),
    );

    const again = await recordedDeploy(dir);
    expect(again.code, again.stderr).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);

    // logs shows the sidecar's lines as web/sidekiq.
    const group = `/ecs/${app}-prod`;
    const t = Date.now() - 30_000;
    for (const [stream, message, at] of [
      [`web/${app}/task-1`, 'GET /health 200', t],
      [`web/sidekiq/task-1`, 'working', t + 1000],
    ] as const) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).catch(() => undefined);
      await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: [{ timestamp: at, message }] }));
    }
    const out = await runCli(['logs', 'web', '--since', '5m'], { cwd: dir });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^web {9}\| \S+ GET \/health 200$/),
      expect.stringMatching(/^web\/sidekiq \| \S+ working$/),
    ]);

    // Removing it is an ordinary change: a new revision with one container, the whole task's memory to the service's.
    const path = join(dir, 'deploy-wizard.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    delete config.services.web.sidecars;
    writeFileSync(path, JSON.stringify(config));
    const removed = await recordedDeploy(dir);
    expect(removed.code, removed.stderr).toBe(0);
    const after = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${app}-prod-web` }))).taskDefinition!;
    expect(after.revision).toBe(td.revision! + 1);
    expect(after.containerDefinitions!.map((c) => [c.name, c.memoryReservation])).toEqual([[app, 512]]);
    expect(readState(dir).steps['task-definition'].outputs.services.web.taskDefinitionArn).toBe(after.taskDefinitionArn);
  });
});
