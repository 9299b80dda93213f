import { describe, expect, it } from 'vitest';
import { DeleteServiceCommand, ECSClient, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { GetQueueUrlCommand, PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { statusCommand } from '../../src/commands/status.js';
import { exitCodeOf } from '../../src/errors.js';
import type { Io } from '../../src/options.js';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { MUTATING } from '../helpers/step-context.js';

/** `status --json` in-process, recording every AWS call it makes. */
async function status(dir: string) {
  const calls: string[] = [];
  let stdout = '';
  const io: Io = {
    cwd: dir,
    stdin: process.stdin,
    stdout: { write: (s: string) => ((stdout += s), true) } as any,
    stderr: { write: () => true } as any,
    isTTY: false,
    env: { ...process.env },
    signal: new AbortController().signal,
    argv: ['status'],
    onCall: (c) => calls.push(`${c.service}:${c.command}`),
  };
  const code = await statusCommand({ env: 'prod', configPath: 'deploy-wizard.json', nonInteractive: true, yes: false, json: true, verbose: false }, io).catch(
    exitCodeOf,
  );
  return { code, doc: stdout ? JSON.parse(stdout) : undefined, calls };
}

describe('status', () => {
  it('shows the last deploy, every service live and the schedules, with read calls only; exit 1 with the reason when degraded', async () => {
    const { dir, app } = makeApp(() => {}, 'whole-app');
    const never = await status(dir);
    expect(never.code).toBe(1);
    expect(never.doc.problems[0]).toMatch(/^not deployed yet/);

    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    const ok = await status(dir);
    expect(ok.calls.filter((c) => MUTATING.test(c.split(':')[1]!))).toEqual([]);
    expect(ok.code, JSON.stringify(ok.doc.problems)).toBe(0);
    expect(ok.doc).toMatchObject({ type: 'status', healthy: true, app, env: 'prod', lastDeploy: { outcome: 'done' } });
    expect(ok.doc.services.map((s: any) => [s.name, s.kind, s.rollout, s.revision])).toEqual([
      ['web', 'web', 'COMPLETED', 1],
      ['api', 'web', 'COMPLETED', 1],
      ['worker', 'worker', 'COMPLETED', 1],
    ]);
    for (const s of ok.doc.services) expect(s.running).toBeGreaterThanOrEqual(s.desired);
    expect(ok.doc.services[0].image).toMatch(/^ctx-/);
    expect(ok.doc.schedules).toEqual([expect.objectContaining({ name: 'nightly-digest', service: 'worker', nextRun: expect.stringMatching(/T\d\d:00:00/) })]);
    expect(ok.doc.steps.every((s: any) => s.status === 'done')).toBe(true);

    // A run Scheduler could not start: it puts the event in the dead-letter queue with these attributes
    // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html); moto's Scheduler runs nothing, so the test does.
    const sqs = new SQSClient({ region: 'us-east-1' });
    const QueueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${app}-prod-schedules-dlq` }))).QueueUrl!;
    const attr = (v: string) => ({ DataType: 'String', StringValue: v });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{}',
        MessageAttributes: {
          SCHEDULE_ARN: attr(`arn:aws:scheduler:us-east-1:123456789012:schedule/${app}-prod/${app}-prod-nightly-digest`),
          ERROR_CODE: attr('AccessDeniedException'),
          ERROR_MESSAGE: attr('not authorized to perform: ecs:TagResource'),
          RETRY_ATTEMPTS: attr('2'),
        },
      }),
    );
    const dead = await status(dir);
    expect(dead.code).toBe(1);
    expect(dead.doc.schedules[0].deadLettered).toEqual({ count: 1, error: 'AccessDeniedException: not authorized to perform: ecs:TagResource' });
    expect(dead.doc.problems).toEqual([expect.stringContaining('schedule nightly-digest: 1 run(s) could not start (AccessDeniedException')]);
    // The look leaves the message where it was.
    expect((await status(dir)).doc.schedules[0].deadLettered.count).toBe(1);
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));

    // A run of the schedule (started here as Scheduler would: RunTask of the schedule's family), then ended
    // (moto reports a stopped task's container as exit code 0).
    const ecs = new ECSClient({ region: 'us-east-1' });
    const sched = readState(dir).steps.schedules.outputs.schedules['nightly-digest'];
    const net = readState(dir).steps.network.outputs;
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: `${app}-prod`,
        taskDefinition: sched.taskDefinitionArn,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: net.subnetIds, securityGroups: [net.securityGroups.tasks] } },
      }),
    );
    expect((await status(dir)).doc.schedules[0].lastRun).toMatchObject({ outcome: 'running' });
    await ecs.send(new StopTaskCommand({ cluster: `${app}-prod`, task: run.tasks![0]!.taskArn, reason: 'Essential container in task exited' }));
    const stopped = await status(dir);
    expect(stopped.doc.schedules[0].lastRun).toMatchObject({ outcome: 'succeeded' });
    expect(stopped.code).toBe(0);

    // The worker's ECS service deleted by hand: degraded, and status says which service and why.
    await new ECSClient({ region: 'us-east-1' }).send(new DeleteServiceCommand({ cluster: `${app}-prod`, service: `${app}-worker`, force: true }));
    const degraded = await status(dir);
    expect(degraded.code).toBe(1);
    expect(degraded.doc.healthy).toBe(false);
    expect(degraded.doc.problems).toEqual([`worker: no ECS service ${app}-worker in cluster ${app}-prod`]);
    expect(degraded.doc.services[2]).toMatchObject({ name: 'worker', rollout: 'missing', running: 0 });
    const text = await runCli(['status'], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`Degraded:\n  - worker: no ECS service ${app}-worker`);
    expect(text.stdout).toMatch(/nightly-digest {2}cron\(0 2 \* \* \? \*\)/);
  }, 240_000);
});
