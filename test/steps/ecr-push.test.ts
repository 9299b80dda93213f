import { describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { inject } from 'vitest';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, GetLifecyclePolicyCommand, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import { ecrPush } from '../../steps/ecr-push/apply.js';
import { dockerOptions } from '../../src/docker/connect.js';
import { makeApp } from '../helpers/cli.js';
import { stepContext, MUTATING } from '../helpers/step-context.js';

/** The ecr-push step in-process on a copy of the sample app: moto for ECR, podman builds, the registry stores. */
function context(buildEnv: Record<string, string> = { SAMPLE_APP_VERSION: '1.0.0' }) {
  const { dir } = makeApp();
  const calls: string[] = [];
  const t = stepContext(
    { image: { context: '.', dockerfile: 'Dockerfile', buildArgs: { APP_VERSION: { env: 'SAMPLE_APP_VERSION' } } } },
    { onCall: (c) => calls.push(c.command) },
  );
  t.ctx.configDir = dir;
  t.ctx.docker = new Docker(dockerOptions(inject('standins').env.DOCKER_HOST));
  t.ctx.settings = { ...t.ctx.settings, buildEnv, registryOverride: inject('standins').env.DEPLOY_WIZARD_REGISTRY };
  return { ...t, dir, calls };
}

describe('ecr-push', () => {
  it('creates the repository (immutable tags, scan on push, lifecycle, our tags), builds and pushes; the same content again builds nothing and changes nothing', async () => {
    const { ctx, app, calls, logs } = context();
    const out = await ecrPush.apply(ctx);
    const repo = (await ctx.aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`${app}-prod`] }))).repositories![0]!;
    expect(repo.imageTagMutability).toBe('IMMUTABLE');
    expect(repo.imageScanningConfiguration?.scanOnPush).toBe(true);
    expect(
      JSON.parse((await ctx.aws.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: repo.repositoryName }))).lifecyclePolicyText!).rules[0].selection
        .countNumber,
    ).toBe(20);
    const tags = (await ctx.aws.ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }))).tags!;
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: 'deploy-wizard:app', Value: app },
        { Key: 'deploy-wizard:env', Value: 'prod' },
      ]),
    );
    expect(Object.keys(out.images)).toEqual(['default']);
    const img = out.images.default!;
    expect(img).toMatchObject({
      repositoryName: `${app}-prod`,
      imageTag: expect.stringMatching(/^ctx-[0-9a-f]{24}$/),
      imageDigest: expect.stringMatching(/^sha256:/),
      architecture: 'amd64',
    });
    expect(img.imageUri).toBe(`${repo.repositoryUri}@${img.imageDigest}`);
    expect(logs.some((l) => l.includes('building'))).toBe(true);

    // The same content, a fresh run: found in the registry, so no build, no push, no mutating call.
    calls.length = 0;
    logs.length = 0;
    // A new context object (nothing cached from the first run) that has the first run's outputs, as the state gives them.
    const second = await ecrPush.apply({ ...ctx, previous: () => out });
    expect(
      logs.some((l) => l.includes('already in the registry; skipping build and push')),
      logs.join('\n'),
    ).toBe(true);
    expect(second.images.default!.imageTag).toBe(img.imageTag);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
  });

  it('a build arg value read from the environment changes the tag, but the tag never holds a hash anyone could match without the key', async () => {
    const a = context({ SAMPLE_APP_VERSION: '1.0.0' });
    const b = context({ SAMPLE_APP_VERSION: '2.0.0' });
    b.ctx.configDir = a.dir;
    type Inputs = { images: Record<string, { tag: string }> };
    const tagA = ((await ecrPush.inputs(a.ctx)) as Inputs).images.default!;
    const tagB = ((await ecrPush.inputs(b.ctx)) as Inputs).images.default!;
    expect(tagA.tag).not.toBe(tagB.tag);
    const out = await ecrPush.apply(a.ctx);
    expect(out.buildArgKey).toMatch(/^[0-9a-f]{64}$/);
    // The key is kept in the step's outputs: the next run with the same value gets the same tag.
    const next = context({ SAMPLE_APP_VERSION: '1.0.0' });
    next.ctx.configDir = a.dir;
    next.ctx.app = a.ctx.app;
    next.ctx.previous = () => out;
    expect(((await ecrPush.inputs(next.ctx)) as Inputs).images.default!.tag).toBe(out.images.default!.imageTag);
  });

  it('never adopts a repository of that name that is not ours', async () => {
    const { ctx, app } = context();
    await ctx.aws.ecr.send(new CreateRepositoryCommand({ repositoryName: `${app}-prod` }));
    await expect(ecrPush.apply(ctx)).rejects.toThrow(`adopt repository: ECR repository ${app}-prod exists but is not tagged as deploy-wizard's`);
  });
});
