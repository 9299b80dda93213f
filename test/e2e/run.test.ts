import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { startTaskRunner, type TaskRunner } from '../helpers/task-runner.js';

// `run` against the task runner stand-in (test/helpers/task-runner.ts): each RunTask really starts the revision's
// container in podman, its lines reach CloudWatch Logs, and DescribeTasks reports its real exit code.
describe('run', () => {
  let runner: TaskRunner;
  let dir: string;
  let app: string;
  let env: Record<string, string>;
  let ecs: ECSClient;

  beforeAll(async () => {
    const s = inject('standins').env;
    runner = await startTaskRunner({ upstream: s.AWS_ENDPOINT_URL!, dockerHost: s.DOCKER_HOST!, registry: s.DEPLOY_WIZARD_REGISTRY! });
    env = { AWS_ENDPOINT_URL: runner.url };
    ecs = new ECSClient({ region: 'us-east-1', endpoint: runner.url });
    ({ dir, app } = makeApp((c) => {
      c.secrets = { SESSION_KEY: { generate: 'hex-32' } };
      c.service.exec = true;
      // Migrations run in a real container of the web revision, before the service rolls out.
      c.migrations = { command: ['sh', '-c', 'echo "migrating with ${#SESSION_KEY}-char key"'] };
    }));
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir, env }));
  });
  afterAll(async () => {
    await runner?.close();
  });

  const cluster = () => `${app}-prod`;

  it('ran the migrations in a real container with the secret from Secrets Manager', async () => {
    const mig = readState(dir).steps.migrations.outputs;
    const t = runner.tasks.get(mig.taskArn)!;
    expect(t.status).toBe('STOPPED');
    expect(t.exitCode).toBe(0);
    const secret = JSON.parse(
      (await new SecretsManagerClient({ region: 'us-east-1' }).send(new GetSecretValueCommand({ SecretId: `${app}/prod` }))).SecretString!,
    );
    expect(t.env.SESSION_KEY).toBe(secret.SESSION_KEY);
    const logs = await runCli(['logs', '--task', 'migrations', '--since', '10m'], { cwd: dir, env });
    expect(logs.stdout).toContain('migrating with 64-char key');
  });

  it('prints the task lines and exits with the container exit code; secret values show as ****', async () => {
    const r = await runCli(['run', 'web', '--', 'sh', '-c', 'echo hi; echo "key $SESSION_KEY"; exit 3'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^[0-9a-f]{8} \| hi$/);
    expect(lines[1]).toMatch(/^[0-9a-f]{8} \| key \*\*\*\*$/);
    expect(r.stderr).toMatch(/started task [0-9a-f]{8} \(web, \S+:\d+\): sh -c echo hi/);
    expect(r.stderr).toContain('exited 3');
    // What AWS holds: a task of the web revision, started by deploy-wizard-run, with our tags, stopped with exit code 3.
    const arns = (await ecs.send(new ListTasksCommand({ cluster: cluster(), startedBy: 'deploy-wizard-run', desiredStatus: 'STOPPED' }))).taskArns ?? [];
    const running = (await ecs.send(new ListTasksCommand({ cluster: cluster(), startedBy: 'deploy-wizard-run' }))).taskArns ?? [];
    const all = [...arns, ...running];
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: cluster(), tasks: all, include: ['TAGS'] }))).tasks ?? [];
    const mine = tasks.find((t) => t.containers?.[0]?.exitCode === 3)!;
    expect(mine.lastStatus).toBe('STOPPED');
    expect(mine.taskDefinitionArn).toBe(readState(dir).steps['task-definition'].outputs.services.web.taskDefinitionArn);
    expect(mine.tags).toEqual(
      expect.arrayContaining([
        { key: 'deploy-wizard:app', value: app },
        { key: 'deploy-wizard:env', value: 'prod' },
      ]),
    );
    // The run is over: no intent is left behind in the state.
    expect(readState(dir).runs ?? {}).toEqual({});
  });

  it('a command word that is no service runs on the default service; --env adds a variable; a secret name is refused', async () => {
    const r = await runCli(['run', '--env', 'GREETING=hello there', '--', 'sh', '-c', 'echo "$GREETING"'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| hello there\n/);
    const refused = await runCli(['run', '--env', 'SESSION_KEY=x', '--', 'true'], { cwd: dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--env SESSION_KEY: a secret of web');
    const bad = await runCli(['run', '--cpu', '256', '--memory', '4096', '--', 'true'], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cpu/--memory: 4096 MiB does not fit cpu 256');
    const flags = await runCli(['run', 'web', 'sh', '-c', 'true'], { cwd: dir, env });
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('Put -- before your command');
  });

  it('Ctrl-C stops the task and exits 130; --timeout stops it and fails; --detach returns the ARN at once', async () => {
    const started = Date.now();
    const r = await runCli(['run', '--non-interactive', '--', 'sh', '-c', 'echo started; sleep 60; echo never'], {
      cwd: dir,
      env,
      onStdout: (chunk, child) => {
        if (chunk.includes('started')) child.kill('SIGINT');
      },
    });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopped task [0-9a-f]{8}/);
    expect(Date.now() - started).toBeLessThan(45_000);
    const stopped = [...runner.tasks.values()].find((t) => t.command?.join(' ').includes('echo never'))!;
    await stopped.done;
    expect(stopped.stopCode).toBe('UserInitiated');
    expect(stopped.stoppedReason).toContain('interrupted (Ctrl-C)');

    const timed = await runCli(['run', '--timeout', '3s', '--', 'sh', '-c', 'echo waiting; sleep 60'], { cwd: dir, env });
    expect(timed.code).toBe(1);
    expect(timed.stderr).toContain('ran past --timeout 3s and was stopped');

    const detached = await runCli(['run', '--detach', '--', 'sh', '-c', 'sleep 1; echo done'], { cwd: dir, env });
    expect(detached.code, detached.stderr).toBe(0);
    const arn = detached.stdout.trim();
    expect(arn).toMatch(/^arn:aws:ecs:us-east-1:\d{12}:task\//);
    await runner.tasks.get(arn)!.done;
    expect(runner.tasks.get(arn)!.exitCode).toBe(0);
  });

  it('killed right after RunTask, the same command again follows the same task: no second copy', async () => {
    const before = runner.tasks.size;
    const killed = await runCli(['run', '--', 'sh', '-c', 'sleep 2; echo once'], {
      cwd: dir,
      env: { ...env, DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: 'ECS:RunTask' },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(Object.keys(readState(dir).runs ?? {})).toHaveLength(1);
    const again = await runCli(['run', '--', 'sh', '-c', 'sleep 2; echo once'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/once/g)).toHaveLength(1);
    expect(runner.tasks.size).toBe(before + 1);
    expect(runner.replayed).toHaveLength(1);
    expect(readState(dir).runs ?? {}).toEqual({});
  });

  it('exec: the service runs with ECS Exec and a task role of its own with the Session Manager channels; without exec: true, exit 2', async () => {
    // What was sent (moto does not echo enableExecuteCommand): the service was created with it.
    const created = runner.seen.find((r) => r.action === 'CreateService')!;
    expect(JSON.parse(created.body).enableExecuteCommand).toBe(true);
    const state = readState(dir);
    const role = `${app}-prod-web-task`;
    expect(state.steps['iam-roles'].outputs.serviceTaskRoleArns.web).toMatch(new RegExp(`:role/${role}$`));
    const iam = new IAMClient({ region: 'us-east-1' });
    const [policy] = (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames!;
    const doc = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policy }))).PolicyDocument!));
    const channels = doc.Statement.find((x: any) => x.Sid === 'EcsExecChannels');
    expect(channels.Action).toEqual([
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ]);
    expect(channels.Resource).toBe('*');
    expect(doc.Statement.find((x: any) => x.Sid === 'EcsExecLogs').Resource).toMatch(new RegExp(`:log-group:/ecs/${app}-prod:\\*$`));
    // The shared task role has none of it.
    const shared = `${app}-prod-task`;
    const [sp] = (await iam.send(new ListRolePoliciesCommand({ RoleName: shared }))).PolicyNames!;
    expect(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: shared, PolicyName: sp }))).PolicyDocument!)).not.toContain('ssmmessages');

    // A second deploy changes nothing: no mutating call.
    const from = runner.seen.length;
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir, env }));
    expect(runner.mutatingSince(from)).toEqual([]);

    // No Session Manager plugin on PATH: the line to run, and how to get the plugin. moto starts no service tasks and
    // ignores ListTasks' serviceName, so a task of the web revision started by `run` stands in for one of the service's.
    const live = await runCli(['run', '--detach', '--', 'sh', '-c', 'sleep 20'], { cwd: dir, env });
    const liveArn = live.stdout.trim();
    await expect.poll(() => runner.tasks.get(liveArn)?.status, { timeout: 10_000 }).toBe('RUNNING');
    // status lists it: the command, since when, and who started it.
    const status = await runCli(['status'], { cwd: dir, env });
    expect(status.stdout).toMatch(
      new RegExp(`One-off tasks running\\n  ${liveArn.split('/').pop()!.slice(0, 8)}  sh -c sleep 20  since \\S+Z  by arn:aws:\\S+`),
    );
    const noPlugin = await runCli(['exec', 'web', '--', 'rails', 'console'], { cwd: dir, env: { ...env, PATH: '/usr/bin:/bin' } });
    expect(noPlugin.code).toBe(1);
    expect(noPlugin.stdout.trim()).toBe(
      `aws ecs execute-command --region us-east-1 --cluster ${app}-prod --task ${liveArn} --container ${app} --interactive --command "rails console"`,
    );
    expect(noPlugin.stderr).toContain("AWS's Session Manager plugin is not installed");
    expect(noPlugin.stderr).toContain('session-manager-working-with-install-plugin.html');

    // With the plugin on PATH: ExecuteCommand's session goes to it, as the AWS CLI hands it over (the session, the
    // region, StartSession, the profile, the target ecs:<cluster>_<task id>_<runtime id>, the endpoint).
    const bin = mkdtempSync(join(tmpdir(), 'dw-ssm-'));
    writeFileSync(join(bin, 'session-manager-plugin'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${join(bin, 'args')}\nexit 0\n`, {
      mode: 0o755,
    });
    const opened = await runCli(['exec', 'web', '--', 'rails', 'console'], { cwd: dir, env: { ...env, PATH: `${bin}:/usr/bin:/bin` } });
    expect(opened.code, opened.stderr).toBe(0);
    expect(runner.execs.at(-1)).toMatchObject({ cluster: `${app}-prod`, task: liveArn, container: app, command: 'rails console', interactive: true });
    const args = readFileSync(join(bin, 'args'), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(args[0]!)).toEqual({
      SessionId: expect.stringMatching(/^ecs-execute-command-/),
      StreamUrl: expect.stringMatching(/^wss:/),
      TokenValue: expect.any(String),
    });
    expect(args.slice(1, 4)).toEqual(['us-east-1', 'StartSession', '']);
    expect(JSON.parse(args[4]!)).toEqual({ Target: `ecs:${app}-prod_${liveArn.split('/').pop()}_${runner.tasks.get(liveArn)!.handle!.id}` });
    expect(args[5]).toBe('https://ecs.us-east-1.amazonaws.com');

    const path = join(dir, 'deploy-wizard.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    delete config.service.exec;
    writeFileSync(path, JSON.stringify(config));
    const refused = await runCli(['exec', 'web'], { cwd: dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('service.exec: set it to true');
    // Back as it was, for the tests after this one.
    config.service.exec = true;
    writeFileSync(path, JSON.stringify(config));
  });

  it('migrations: --skip-migrations rolls out without them and the next deploy migrates what it skipped; "always" runs on every deploy', async () => {
    const path = join(dir, 'deploy-wizard.json');
    const edit = (f: (c: any) => void) => {
      const c = JSON.parse(readFileSync(path, 'utf8'));
      f(c);
      writeFileSync(path, JSON.stringify(c));
    };
    const runTasksDuring = async (args: string[]) => {
      const from = runner.seen.length;
      expectOk(await runCli(['deploy', '--non-interactive', ...args], { cwd: dir, env }));
      return runner.seen.slice(from).filter((r) => r.action === 'RunTask').length;
    };
    edit((c) => (c.service.environment.LOG_FORMAT = 'text'));
    expect(await runTasksDuring(['--skip-migrations'])).toBe(0);
    const td = () => readState(dir).steps['task-definition'].outputs.services.web.taskDefinitionArn;
    expect(readState(dir).steps.migrations.outputs.skippedFor).toBe(td());
    expect(readState(dir).steps.migrations.outputs.ranFor).not.toBe(td());
    expect(await runTasksDuring([])).toBe(1);
    expect(readState(dir).steps.migrations.outputs.ranFor).toBe(td());
    expect(await runTasksDuring([])).toBe(0);
    edit((c) => (c.migrations.when = 'always'));
    expect(await runTasksDuring([])).toBe(1);
    expect(await runTasksDuring([])).toBe(1);
  });
});
