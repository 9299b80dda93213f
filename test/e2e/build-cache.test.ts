import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, GetLifecyclePolicyCommand, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import { makeApp, readState } from '../helpers/cli.js';
import { recordedDeploy } from '../helpers/recorded-deploy.js';
import { expectDeployed } from '../helpers/expect-ok.js';
// @ts-expect-error plain JS module shared with the demo script
import { REGISTRY_PASSWORD, pushBaseImage, startEmptyEngine } from '../../scripts/standins.mjs';

const ecr = () => new ECRClient({ region: 'us-east-1' });
const registry = () => inject('standins').env.DEPLOY_WIZARD_REGISTRY;
const authHeader = { Authorization: `Basic ${Buffer.from(`AWS:${REGISTRY_PASSWORD}`).toString('base64')}` };

/** The layer digests of an image in the stand-in registry. */
async function layersOf(repo: string, tag: string): Promise<string[]> {
  const res = await fetch(`http://${registry()}/v2/${repo}/manifests/${tag}`, {
    headers: { ...authHeader, Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  expect(res.status, `${repo}:${tag}`).toBe(200);
  return ((await res.json()) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
}

async function tagsOf(repo: string): Promise<string[]> {
  const res = await fetch(`http://${registry()}/v2/${repo}/tags/list`, { headers: authHeader });
  return res.status === 404 ? [] : (((await res.json()) as { tags: string[] | null }).tags ?? []);
}

const messages = (events: { message?: string }[]) => events.map((e) => e.message ?? '').join('\n');

describe('a CI runner with an empty engine', () => {
  it("builds a one-file change with the dependency layer from ECR's build cache, not again; an engine that holds the previous image uses its own", async () => {
    const base = await pushBaseImage(inject('standins').env);
    const { dir, app } = makeApp();
    // The sample app with a dependency step that leaves a trace of when it ran: a layer rebuilt is a layer with another digest.
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        `FROM ${base}`,
        'RUN ["/bin/sh", "-c", "sleep 1 && date > /deps-installed"]',
        'COPY www/ /www/',
        'EXPOSE 8080',
        'CMD ["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]',
        '',
      ].join('\n'),
    );
    const repo = `${app}-prod`;
    const cacheRepo = `${app}-prod/build-cache`;

    // A first deploy builds as always: nothing to reuse, and no cache is pushed (it may be a laptop's).
    const { env } = inject('standins');
    const one = await recordedDeploy(dir);
    expectDeployed(one);
    expect(messages(one.events)).not.toContain('its cache is');
    expect(await tagsOf(cacheRepo)).toEqual([]);
    const tag1 = readState(dir).steps['ecr-push'].outputs.images.default.imageTag;

    // A CI run on an empty engine: it has no earlier build, so the cache is used and filled as the image is built.
    const first = await startEmptyEngine(env);
    onTestFinished(() => first.stop());
    writeFileSync(join(dir, 'www', 'index.html'), '<h1>changed</h1>\n');
    const two = await recordedDeploy(dir, { DOCKER_HOST: first.dockerHost });
    expectDeployed(two);
    expect(messages(two.events)).toContain(`its cache is layers cached in ${cacheRepo}`);
    expect((await tagsOf(cacheRepo)).length).toBeGreaterThanOrEqual(2);
    const made = (await ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [cacheRepo] }))).repositories![0]!;
    expect(made).toMatchObject({ imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: false } });
    expect((await ecr().send(new ListTagsForResourceCommand({ resourceArn: made.repositoryArn }))).tags).toContainEqual({
      Key: 'deploy-wizard:app',
      Value: app,
    });
    expect(JSON.parse((await ecr().send(new GetLifecyclePolicyCommand({ repositoryName: cacheRepo }))).lifecyclePolicyText!).rules[0].selection).toEqual({
      tagStatus: 'any',
      countType: 'sinceImagePushed',
      countUnit: 'days',
      countNumber: 14,
    });
    const tag2 = readState(dir).steps['ecr-push'].outputs.images.default.imageTag;
    // That engine ran the dependency step itself: its layer is not the first deploy's.
    const [l1, l2] = [await layersOf(repo, tag1), await layersOf(repo, tag2)];
    expect(l2[0]).toBe(l1[0]);
    expect(l2[1]).not.toBe(l1[1]);

    // The next CI run, on another empty engine, with one file changed: the dependency layer comes from the cache.
    await first.stop();
    const second = await startEmptyEngine(env);
    onTestFinished(() => second.stop());
    writeFileSync(join(dir, 'www', 'index.html'), '<h1>changed twice</h1>\n');
    const three = await recordedDeploy(dir, { DOCKER_HOST: second.dockerHost });
    expectDeployed(three);
    const tag3 = readState(dir).steps['ecr-push'].outputs.images.default.imageTag;
    const l3 = await layersOf(repo, tag3);
    // The base and the dependency layer are the same blobs as the last build's; the copied files differ.
    expect(l3.slice(0, 2)).toEqual(l2.slice(0, 2));
    expect(l3[2]).not.toBe(l2[2]);

    // A laptop's engine, which built the previous image itself: its own layers serve, and nothing more is pushed.
    const before = await tagsOf(cacheRepo);
    writeFileSync(join(dir, 'www', 'index.html'), '<h1>changed again</h1>\n');
    const four = await recordedDeploy(dir, { DOCKER_HOST: second.dockerHost });
    expectDeployed(four);
    expect(messages(four.events)).not.toContain('its cache is');
    expect((await tagsOf(cacheRepo)).sort()).toEqual(before.sort());
    const l4 = await layersOf(repo, readState(dir).steps['ecr-push'].outputs.images.default.imageTag);
    expect(l4.slice(0, 2)).toEqual(l2.slice(0, 2));
  });
});
