import { describe, expect, it } from 'vitest';
import { DeleteServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { statusCommand } from '../../src/commands/status.js';
import { exitCodeOf } from '../../src/errors.js';
import type { Io } from '../../src/options.js';
import { makeApp, runCli } from '../helpers/cli.js';
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
