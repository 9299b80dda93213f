import type Docker from 'dockerode';
import { PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import type { StepContext } from '../../src/pipeline/context.js';
import { cacheRepositoryName } from '../../src/aws/names.js';
import { createRepository, findRepository, isOurs, lifecycleMatches } from './repositories.js';
import { followProgress } from '../../src/docker/follow-progress.js';

// A CI runner starts with an empty engine: without a cache every layer is
// rebuilt, the dependency install included, for a one-line change. The image
// already in ECR is the cache, used only where the engine does not hold the
// previous image itself (a laptop's own layer cache is faster and pushes
// nothing more), and never on a first deploy:
// - podman (buildah) reuses layers from cache images it pushed to a
//   repository with --cache-to and finds with --cache-from, keyed by each
//   step's inputs; its Docker API takes both as `cacheto` and `cachefrom`
//   (seen on podman 4.3). They go to `<repository>/build-cache`, apart from
//   the app's images: its tags are cache keys, pushed again when a layer is
//   rebuilt (so mutable), and they must not count against the images the
//   lifecycle keeps for rollbacks.
// - Docker's Engine API builds with the classic builder, whose `cachefrom`
//   takes images the engine holds as cache sources
//   (https://docs.docker.com/reference/api/engine/version/v1.47/#tag/Image/operation/ImageBuild):
//   the previous image is pulled first.

/** Cache images are replaced as layers change; two weeks without a build that used them, they expire. */
export const CACHE_LIFECYCLE = {
  rules: [
    {
      rulePriority: 1,
      description: 'deploy-wizard build cache: layers pushed more than 14 days ago',
      selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
};

const engines = new WeakMap<Docker, Promise<'podman' | 'docker'>>();
/** podman says so in the components of its version. */
export function engineOf(docker: Docker): Promise<'podman' | 'docker'> {
  let p = engines.get(docker);
  if (!p) {
    p = docker.version().then((v) => ((v.Components ?? []).some((c) => /podman/i.test(c.Name)) ? 'podman' : 'docker'));
    engines.set(docker, p);
  }
  return p;
}

async function hasImage(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

/** The cache repository, made or converged; false (and said) when the name is taken by a repository that is not ours. */
async function ensureCacheRepository(ctx: StepContext, name: string): Promise<boolean> {
  const repo = await findRepository(ctx, name);
  if (!repo) await createRepository(ctx, name, 'cache');
  else if (!(await isOurs(ctx, repo))) {
    ctx.log.warn(`ECR repository ${name} exists but is not deploy-wizard's: building without a cache`);
    return false;
  }
  if (!(await lifecycleMatches(ctx, name, CACHE_LIFECYCLE)))
    await ctx.aws.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: JSON.stringify(CACHE_LIFECYCLE) }));
  return true;
}

export interface CacheChoice {
  /** Build options (query parameters) the engine takes. */
  options: Record<string, unknown>;
  /** What the cache is, for the log. */
  from: string;
}

/**
 * How this build finds its cache: none when the engine already holds the previous image (its own layers serve), else
 * the registry's. `ref` is the repository as the registry names it (host/name), `previousTag` the tag the last run
 * pushed, if any.
 */
export async function buildCacheFor(
  ctx: StepContext,
  o: { repository: string; ref: string; previousTag?: string; auth: { username: string; password: string; host: string } },
): Promise<CacheChoice | undefined> {
  // A first deploy has nothing to reuse, and may well be a laptop's: pushing cache layers there would upload the
  // image a second time. The first run on an engine without the previous image fills the cache.
  if (!o.previousTag) return undefined;
  const docker = ctx.docker!;
  const previous = `${o.ref}:${o.previousTag}`;
  if (await hasImage(docker, previous)) return undefined;
  if ((await engineOf(docker)) === 'podman') {
    const name = cacheRepositoryName(o.repository);
    if (!(await ensureCacheRepository(ctx, name))) return undefined;
    const cache = `${o.auth.host}/${name}`;
    // The build is sent the registry's credentials (X-Registry-Config), which buildah uses for the cache too.
    return { options: { cachefrom: cache, cacheto: cache }, from: `layers cached in ${name}` };
  }
  try {
    ctx.log.info(`pulling the previous image ${o.repository}:${o.previousTag} as the build cache (this engine does not hold it)`);
    const authconfig = { username: o.auth.username, password: o.auth.password, serveraddress: o.auth.host };
    const stream = await docker.pull(previous, { authconfig, abortSignal: ctx.signal });
    await followProgress(docker, stream, () => undefined, ctx.signal);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    // Expired by the lifecycle, or the registry refused: the build goes on without a cache.
    ctx.log.warn(`could not pull ${o.repository}:${o.previousTag} (${ctx.log.redact((e as Error).message)}); building without a cache`);
    return undefined;
  }
  return { options: { cachefrom: JSON.stringify([previous]) }, from: `the layers of ${o.repository}:${o.previousTag}` };
}
