import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { makeApp, runCli } from '../helpers/cli.js';
import { findLeaks } from '../helpers/leaks.js';

const sm = () => new SecretsManagerClient({ region: 'us-east-1' });
const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');

describe('secret values never leak through parse errors', () => {
  it('an app secret holding a plain string fails deploy, secrets list and secrets set naming the secret, with no slice of the value anywhere', async () => {
    const { dir, app } = makeApp((c) => (c.secrets = { API_TOKEN: { prompt: 'API token' } }));
    const value = 'plainTextTokenZ9y8x7w6v5u4t3s2r1';
    await sm().send(
      new CreateSecretCommand({
        Name: `${app}/prod`,
        SecretString: value,
        Tags: [
          { Key: 'deploy-wizard:app', Value: app },
          { Key: 'deploy-wizard:env', Value: 'prod' },
        ],
      }),
    );
    const deploy = await runCli(['deploy', '--non-interactive', '--json'], { cwd: dir, env: { API_TOKEN: 'asked-value-0123456789' } });
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(`read secret: ${app}/prod does not hold a JSON object (its value is not shown)`);
    const list = await runCli(['secrets', 'list', '--json'], { cwd: dir });
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('does not hold a JSON object');
    const set = await runCli(['secrets', 'set', 'API_TOKEN', '--non-interactive'], { cwd: dir });
    const leaks = findLeaks([value], {
      deployStdout: deploy.stdout,
      deployStderr: deploy.stderr,
      listStdout: list.stdout,
      listStderr: list.stderr,
      setStdout: set.stdout,
      setStderr: set.stderr,
      state: read(join(dir, '.deploy-wizard/prod.state.json')),
      bak: read(join(dir, '.deploy-wizard/prod.state.json.bak')),
    });
    expect(leaks).toEqual([]);
  });
});
