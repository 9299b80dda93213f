import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { KEY, terminal } from '../helpers/terminal.js';

describe('ci github on a real terminal', () => {
  it('with the state on this disk, offers to move it to S3: the bucket, the config lines and the push, then the role and workflow', async () => {
    const { dir, app } = makeApp();
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    const local = readState(dir);
    const t = terminal(['ci', 'github', '--repo', 'acme/shop'], dir);
    await t.waitFor('Create an S3 state bucket');
    t.type(KEY.enter);
    expect(await t.exited, t.screen()).toBe(0);
    const bucket = 'deploy-wizard-state-123456789012-us-east-1';
    expect(JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8')).state).toEqual({ backend: 's3', bucket, prefix: '' });
    const remote = JSON.parse(
      await (
        await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(new GetObjectCommand({ Bucket: bucket, Key: `${app}/prod.state.json` }))
      ).Body!.transformToString(),
    );
    expect(remote.steps).toEqual(local.steps);
    expect(readdirSync(join(dir, '.deploy-wizard')).some((f) => f.startsWith('prod.state.json.pushed-'))).toBe(true);
    expect(existsSync(join(dir, '.github/workflows/deploy-wizard-prod.yml'))).toBe(true);
    expect(t.screen()).toContain(`role/${app}-prod-deploy`);
  }, 180_000);
});
