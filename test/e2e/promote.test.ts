import { describe, expect, it } from 'vitest';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { stepStatuses } from '../helpers/events.js';

const ecs = new ECSClient({ region: 'us-east-1' });

describe('deploy --images-from: promote what another env runs', () => {
  it("runs staging's exact image in prod, copied by digest with no build; again, nothing to copy; bad names stop before any call", async () => {
    // Bucket names are the config's, not the env's: a second env of it would need a buckets.prefix of its own.
    const { dir, app } = makeApp((c) => delete c.buckets);
    expectOk(await runCli(['deploy', '--non-interactive', '--env', 'staging'], { cwd: dir }));
    const staged = readState(dir, 'staging').steps['ecr-push'].outputs.images.default;

    const promoted = await runCli(['deploy', '--non-interactive', '--images-from', 'staging'], { cwd: dir });
    expectOk(promoted);
    const said = promoted.stdout + promoted.stderr;
    expect(said).toContain(`copying staging's image ${app}-staging@${staged.imageDigest.slice(0, 19)} to ${app}-prod:${staged.imageTag} (no build)`);
    expect(said).not.toMatch(/building .*linux\/amd64/);
    const state = readState(dir);
    const img = state.steps['ecr-push'].outputs.images.default;
    expect(img).toMatchObject({ repositoryName: `${app}-prod`, imageDigest: staged.imageDigest, imageTag: staged.imageTag });
    // The task definition runs it by that digest, from prod's own repository.
    const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: state.steps['task-definition'].outputs.services.web.taskDefinitionArn })))
      .taskDefinition!;
    expect(td.containerDefinitions![0]!.image).toBe(`${img.repositoryUri}@${staged.imageDigest}`);
    expect(img.repositoryUri).not.toBe(staged.repositoryUri);

    // Again: the image is there already; nothing is copied or built.
    const again = await runCli(['deploy', '--non-interactive', '--images-from', 'staging', '--json'], { cwd: dir });
    expectOk(again);
    expect(stepStatuses(again.stdout)).toEqual(['unchanged']);

    const self = await runCli(['deploy', '--non-interactive', '--images-from', 'prod'], { cwd: dir });
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('--images-from: prod is the env being deployed');
    const none = await runCli(['deploy', '--non-interactive', '--images-from', 'qa'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--images-from: qa has no deployed default image');
  });
});
