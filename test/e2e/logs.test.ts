import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CLI, makeApp, readState, runCli, standinEnv } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { startAwsProxy } from '../helpers/aws-proxy.js';

const SECRET = 'log-secret-token-8c1f2a';
const logs = new CloudWatchLogsClient({ region: 'us-east-1' });

async function put(group: string, stream: string, events: [number, string][]) {
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).catch(() => {});
  await logs.send(
    new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events.map(([timestamp, message]) => ({ timestamp, message })) }),
  );
}

describe('logs', () => {
  it('interleaves the services by time, prefixes each line with its service, redacts secret values, and follows until Ctrl-C', async () => {
    const { dir, app } = makeApp((c) => {
      c.services = { web: { ...c.service, routes: ['/*'] }, worker: { cpu: 256, memory: 512, command: ['/bin/busybox', 'sleep', '3600'] } };
      delete c.service;
      c.secrets = { API_TOKEN: { prompt: 'API token' } };
      c.migrations = { command: ['/bin/busybox', 'true'], service: 'web' };
      c.schedules = { digest: { service: 'worker', command: ['/bin/busybox', 'echo', 'digest sent'], cron: '0 2 * * ? *' } };
    });
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { API_TOKEN: SECRET } }));
    const group = `/ecs/${app}-prod`;
    const t = Date.now() - 60_000;
    await put(group, `web/${app}/task-a`, [
      [t, 'GET /health 200'],
      [t + 2_000, `calling the API with token ${SECRET}`],
    ]);
    await put(group, `worker/${app}/task-b`, [[t + 1_000, 'job 42 done']]);
    // A run of the schedule: its own task definition writes under its own prefix.
    await put(group, `schedule.digest/${app}/task-c`, [[t + 1_500, 'digest sent to 12 users']]);

    const all = await runCli(['logs', '--since', '5m'], { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^web {4}\| \S+Z GET \/health 200$/),
      expect.stringMatching(/^worker \| \S+Z job 42 done$/),
      expect.stringMatching(/^web {4}\| \S+Z calling the API with token \*\*\*\*$/),
    ]);
    expect(all.stdout + all.stderr).not.toContain(SECRET);

    // When the app secret cannot be read (here AccessDenied, as a read-only role gets), nothing is printed unredacted.
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, (r) =>
      r.action === 'GetSecretValue'
        ? { error: 'AccessDeniedException', message: 'not authorized to perform: secretsmanager:GetSecretValue', status: 400 }
        : 'pass',
    );
    try {
      const refused = await runCli(['logs', '--since', '5m'], { cwd: dir, env: { AWS_ENDPOINT_URL: proxy.url } });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain(`the app secret ${app}/prod cannot be read (AccessDeniedException)`);
      expect(refused.stderr).toContain('--no-redact');
      const asked = await runCli(['logs', '--since', '5m', '--no-redact'], { cwd: dir, env: { AWS_ENDPOINT_URL: proxy.url } });
      expect(asked.code, asked.stderr).toBe(0);
      expect(asked.stdout).toContain('job 42 done');
    } finally {
      await proxy.close();
    }

    const worker = await runCli(['logs', 'worker', '--since', '5m'], { cwd: dir });
    expect(worker.stdout.trim().split('\n')).toEqual([expect.stringMatching(/job 42 done$/)]);

    const bad = await runCli(['logs', 'wrker', '--since', 'yesterday'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since yesterday: a duration');
    expect(bad.stderr).toContain('wrker: not a service of this app');

    // The last migration task, by its own stream.
    const mig = readState(dir).steps.migrations.outputs.taskArn.split('/').pop();
    await put(group, `web/${app}/${mig}`, [[t + 500, 'migrated 3 tables']]);
    const migs = await runCli(['logs', '--task', 'migrations', '--since', '5m'], { cwd: dir });
    expect(migs.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^migrations \| \S+Z migrated 3 tables$/)]);

    // A schedule's runs, by its name; they are not the worker's own lines.
    const digest = await runCli(['logs', '--task', 'digest', '--since', '5m'], { cwd: dir });
    expect(digest.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^digest \| \S+Z digest sent to 12 users$/)]);
    const nope = await runCli(['logs', '--task', 'nightly'], { cwd: dir });
    expect(nope.code).toBe(2);
    expect(nope.stderr).toContain('--task nightly: "migrations" (the last migration task) or a schedule (digest)');

    // --follow prints what arrives, and Ctrl-C ends it with exit 0.
    const child = spawn(process.execPath, [CLI, 'logs', '--follow', '--since', '5m'], { cwd: dir, env: standinEnv() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const until = async (text: string) => {
      for (let i = 0; i < 200 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(text);
    };
    await until('job 42 done');
    await put(group, `worker/${app}/task-b`, [[Date.now(), 'job 43 done']]);
    await until('job 43 done');
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
  }, 240_000);
});
