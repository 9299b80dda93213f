import { describe, expect, it } from 'vitest';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { KEY, terminal } from '../helpers/terminal.js';

describe('destroy on a real terminal', () => {
  it('shows what goes and what stays, and goes ahead only once the app name is typed, even with --yes on prod', async () => {
    const { dir, app, config } = makeApp();
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    const t = terminal(['destroy', '--yes'], dir);
    await t.waitFor(`Destroy ${app} (prod)`);
    expect(t.screen()).toContain(`- delete ECS service ${app}`);
    await t.waitFor(`Type the app name (${app})`);
    t.type(`nope${KEY.enter}`);
    await t.waitFor(`type ${app}`);
    expect(readState(dir).steps.service).toBeDefined(); // nothing removed yet
    t.type('\x7f'.repeat(4) + app + KEY.enter);
    expect(await t.exited).toBe(0);
    expect(t.screen()).toContain(`Destroyed ${app} (prod)`);
    const bucket = `${config.buckets.prefix}${config.buckets.names[0]}`;
    expect(
      await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(new HeadBucketCommand({ Bucket: bucket })).then(
        () => 'there',
        () => 'gone',
      ),
    ).toBe('gone');
  }, 180_000);
});
