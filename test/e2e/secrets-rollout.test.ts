import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { CLI, makeApp, readState, runCli, standinEnv } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';

/** web reads every key; worker reads only SIGNING_KEY. */
const twoServices = (c: any) => {
  c.services = {
    web: { ...c.service, routes: ['/*'] },
    worker: { cpu: 256, memory: 512, command: ['/bin/busybox', 'sleep', '3600'], secrets: ['SIGNING_KEY'] },
  };
  delete c.service;
  c.secrets = { API_TOKEN: { prompt: 'API token' }, SIGNING_KEY: { generate: 'hex-32' } };
};

describe('a changed secret reaches the running tasks', () => {
  it('secrets set --no-deploy stores only; the next deploy rolls exactly the services that read the key, once', async () => {
    const { dir } = makeApp(twoServices);
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { API_TOKEN: 'first-token-value' } }));
    const before = readState(dir).steps.service.outputs.services;
    expect(before.web.secretVersion).toMatch(/^[0-9a-f]{16}$/);

    const said = execFileSync(process.execPath, [CLI, 'secrets', 'set', 'API_TOKEN', '--no-deploy'], {
      cwd: dir,
      env: standinEnv(),
      input: 'second-token-value',
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect(said).toBe(''); // the message is on stderr; nothing on stdout
    const deploy = await recordedDeploy(dir);
    expect(deploy.code).toBe(0);
    const updates = deploy.calls.filter((c) => c.name === 'ECS:UpdateService');
    expect(updates.map((c) => [c.input.service.endsWith('-worker') ? 'worker' : 'web', c.input.forceNewDeployment])).toEqual([['web', true]]);
    expect(mutatingCalls(deploy.names)).toEqual(['ECS:UpdateService']);
    expect(readState(dir).steps.service.outputs.services.web.secretVersion).not.toBe(before.web.secretVersion);
    expect(readState(dir).steps.service.outputs.services.worker.secretVersion).toBe(before.worker.secretVersion);

    // Once: the deploy after that has nothing to roll.
    const again = await recordedDeploy(dir);
    expect(mutatingCalls(again.names)).toEqual([]);

    // A new value passed to a deploy (as CI does, in the environment) rolls the same way.
    const fromEnv = await recordedDeploy(dir, { API_TOKEN: 'third-token-value' });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.calls.filter((c) => c.name === 'ECS:UpdateService').map((c) => [c.input.service.endsWith('-worker'), c.input.forceNewDeployment])).toEqual([
      [false, true],
    ]);
  }, 240_000);

  it('secrets set deploys at once and says which services roll; both roll when the key both read changes', async () => {
    const { dir } = makeApp(twoServices);
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { API_TOKEN: 'first-token-value' } }));
    const before = readState(dir).steps.service.outputs.services;
    const r = spawnSync(process.execPath, [CLI, 'secrets', 'set', 'SIGNING_KEY'], {
      cwd: dir,
      env: standinEnv(),
      input: 'rotated-signing-key-value',
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Deploying: web, worker read it and roll to new tasks.');
    expect(r.stdout + r.stderr).not.toContain('rotated-signing-key-value');
    const after = readState(dir).steps.service.outputs.services;
    expect(after.web.secretVersion).not.toBe(before.web.secretVersion);
    expect(after.worker.secretVersion).not.toBe(before.worker.secretVersion);
    expect(mutatingCalls((await recordedDeploy(dir)).names)).toEqual([]);
  }, 240_000);

  it('refuses --no-deploy on any other command', async () => {
    const { dir } = makeApp();
    const r = await runCli(['deploy', '--no-deploy', '--non-interactive'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--no-deploy: a flag of secrets set, not of deploy');
  });
});
