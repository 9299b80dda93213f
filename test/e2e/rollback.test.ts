import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';

const ecs = new ECSClient({ region: 'us-east-1' });
const liveRevision = async (app: string) =>
  (await ecs.send(new DescribeServicesCommand({ cluster: `${app}-prod`, services: [app] }))).services?.[0]?.taskDefinition?.split(':').pop();

describe('rollback', () => {
  it('puts the service on the previous revision and waits for it; status shows it; the next deploy says it rolls forward, then does', async () => {
    const { dir, app } = makeApp();
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    // A second release: a changed variable registers revision 2.
    const path = join(dir, 'deploy-wizard.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.service.environment.LOG_FORMAT = 'text';
    writeFileSync(path, JSON.stringify(config));
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    expect(await liveRevision(app)).toBe('2');

    const back = await runCli(['rollback', '--non-interactive', '--json'], { cwd: dir });
    expectOk(back);
    const events = back.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ step: 'rollback', status: 'done', message: expect.stringContaining(`web: ${app}-prod-web:2 → ${app}-prod-web:1`) });
    expect(events.some((e) => /first boot: \d+ check\(s\) passed/.test(e.message))).toBe(true);
    expect(await liveRevision(app)).toBe('1');
    expect(readState(dir).rollbacks).toEqual({ web: expect.objectContaining({ family: `${app}-prod-web`, from: 2, to: 1 }) });

    const status = await runCli(['status', '--json'], { cwd: dir });
    const doc = JSON.parse(status.stdout);
    expect(doc.services[0]).toMatchObject({ name: 'web', revision: 1, deployedRevision: 2, rolledBack: { from: 2, to: 1 } });
    expect((await runCli(['status'], { cwd: dir })).stdout).toContain('rev 1 (rolled back from 2 at ');

    // Nothing older than revision 1: exit 2, nothing changed.
    const none = await runCli(['rollback', '--non-interactive'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('web: no active revision older than 1 to go back to');
    expect(await liveRevision(app)).toBe('1');

    const forward = await recordedDeploy(dir);
    expect(forward.code, forward.error?.message).toBe(0);
    expect(forward.events.find((e) => e.status === 'warning' && /after a rollback/.test(e.message))?.message).toBe(
      `web runs ${app}-prod-web:1 after a rollback (it ran 2); this deploy rolls it forward to the config's revision.`,
    );
    expect(mutatingCalls(forward.names)).toEqual(['ECS:UpdateService']);
    expect(forward.calls.find((c) => c.name === 'ECS:UpdateService')!.input.taskDefinition).toMatch(/:2$/);
    expect(await liveRevision(app)).toBe('2');
    expect(readState(dir).rollbacks).toBeUndefined();
    expect(mutatingCalls((await recordedDeploy(dir)).names)).toEqual([]);

    // --to names a revision; one that is not active is refused.
    const to = await runCli(['rollback', 'web', '--to', '7', '--non-interactive'], { cwd: dir });
    expect(to.code).toBe(2);
    expect(to.stderr).toContain('web: revision 7 is not an active revision (active: 1, 2)');
    expectOk(await runCli(['rollback', 'web', '--to', '1', '--non-interactive'], { cwd: dir }));
    expect(await liveRevision(app)).toBe('1');

    // A revision whose image the registry no longer has (expired by the repository's lifecycle rule): refused, nothing changed.
    const rev2 = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${app}-prod-web:2` }))).taskDefinition!;
    const c = rev2.containerDefinitions![0]!;
    const expired = `${c.image!.split('@')[0]}@sha256:${'0'.repeat(64)}`;
    const rev3 = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: rev2.family,
        containerDefinitions: [{ ...c, image: expired }],
        requiresCompatibilities: rev2.requiresCompatibilities,
        networkMode: rev2.networkMode,
        cpu: rev2.cpu,
        memory: rev2.memory,
        executionRoleArn: rev2.executionRoleArn,
        taskRoleArn: rev2.taskRoleArn,
      }),
    );
    const gone = await runCli(['rollback', 'web', '--to', String(rev3.taskDefinition!.revision), '--non-interactive'], { cwd: dir });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`web: revision ${rev3.taskDefinition!.revision}'s image ${expired} is no longer in the registry`);
    expect(await liveRevision(app)).toBe('1');
  }, 300_000);

  it('refuses a service not in the config, a --to that is not a number, and --to on another command, before any AWS call', async () => {
    const { dir } = makeApp();
    const unknown = await runCli(['rollback', 'wbe'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('SERVICE: one of web; did you mean web?');
    const bad = await runCli(['rollback', '--to', 'latest'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--to latest: a task definition revision number');
    const elsewhere = await runCli(['deploy', '--to', '3'], { cwd: dir });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('--to: a flag of rollback, not of deploy');
    expect(readState(dir)).toBeUndefined();
  }, 60_000);
});
