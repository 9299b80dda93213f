import { createHash, createHmac, randomBytes } from 'node:crypto';
import { join, relative, resolve, sep } from 'node:path';
import { PutImageScanningConfigurationCommand, PutImageTagMutabilityCommand, PutLifecyclePolicyCommand, type Repository } from '@aws-sdk/client-ecr';
import type { StepContext } from '../../src/pipeline/context.js';
import { StepError } from '../../src/errors.js';
import { StalledError, followProgress } from '../../src/docker/follow-progress.js';
import { hashContext, listContext, packContext } from '../../src/docker/build-context.js';
import { canonicalJson } from '../../src/canonical-json.js';
import { STATE_DIR } from '../../src/state/state-paths.js';
import { copyImage, imageArchitecture, manifestDigest } from '../../src/docker/registry.js';
import { loadTemplate } from '../../src/templates.js';
import type { Check, PlanItem } from '../../src/pipeline/step.js';
import { fieldChange } from '../../src/ui/field-change.js';
import { mapLimit } from '../../src/map-limit.js';
import type { ImageSpec } from '../../src/config/schema.js';
import { repositoryName } from '../../src/aws/names.js';
import { ecrRegistryAuth, type RegistryAuth } from '../../src/aws/ecr-registry.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { buildCacheFor } from './build-cache.js';
import { createRepository, findRepository, isOurs, lifecycleMatches } from './repositories.js';
import { sharedOwner } from '../../src/preview/preview-of.js';

export interface ImageOutput {
  repositoryName: string;
  repositoryUri: string;
  imageTag: string;
  imageDigest: string;
  /** What task definitions use: the repository URI pinned by digest. */
  imageUri: string;
  /** As the registry reports it, e.g. amd64: checked against the task's runtime platform. */
  architecture?: string;
}

export interface EcrPushOutput {
  /** By image name (config `images`; the single `image` is "default"). */
  images: Record<string, ImageOutput>;
  /** Keys the build-arg part of the tags (see buildArgKey); present when build args come from the environment. */
  buildArgKey?: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    'ecr-push': EcrPushOutput;
  }
}

/** Keeps the last 20 images; older ones expire. */
export const LIFECYCLE_POLICY = loadTemplate('ecr/lifecycle-policy.json');

/** One image of the config, by name. */
export interface Img {
  name: string;
  spec: ImageSpec;
}

/** The single image keeps the repository it always had (<app>-<env>); each of several gets <app>-<env>-<image>. */
export { repositoryName };

const imagesOf = (ctx: StepContext): Img[] => Object.entries(ctx.config.images).map(([name, spec]) => ({ name, spec }));

// Images build and push this many at a time: enough to overlap one image's
// upload with another's build, few enough for a two-core laptop.
const IMAGE_CONCURRENCY = 2;

type BuildInputs = { contextDir: string; dockerfile: string; buildArgs: Record<string, string>; envArgs: string[]; exclude: string[] };
// Resolved once per context and image: inputs(), plan() and apply() all need it.
const resolved = new WeakMap<StepContext, Map<string, BuildInputs>>();

/** Context dir, Dockerfile path inside it, the build args resolved from the environment, and what the context never holds. */
function buildInputs(ctx: StepContext, img: Img): BuildInputs {
  const perCtx = resolved.get(ctx) ?? new Map<string, BuildInputs>();
  resolved.set(ctx, perCtx);
  const cached = perCtx.get(img.name);
  if (cached) return cached;
  const image = img.spec;
  const contextDir = resolve(ctx.configDir, image.context);
  const dockerfile = relative(contextDir, resolve(ctx.configDir, image.dockerfile)).split(sep).join('/');
  const buildArgs: Record<string, string> = {};
  const envArgs: string[] = [];
  for (const [name, spec] of Object.entries(image.buildArgs)) {
    // A missing required variable was refused before any call (preflight); an optional one is simply not passed.
    const value = typeof spec === 'string' ? spec : ctx.settings.buildEnv[spec.env];
    if (value === undefined) continue;
    if (typeof spec !== 'string') {
      // Build args are often keys (NEXT_PUBLIC_*, tokens): never print them.
      ctx.log.secret(value);
      envArgs.push(name);
    }
    buildArgs[name] = value;
  }
  // The wizard's own directory sits next to the config, usually inside the context.
  const stateDir = relative(contextDir, join(ctx.configDir, STATE_DIR)).split(sep).join('/');
  const exclude = stateDir && !stateDir.startsWith('..') ? [stateDir] : [];
  const out = { contextDir, dockerfile, buildArgs, envArgs, exclude };
  perCtx.set(img.name, out);
  return out;
}

// A key for the build-arg part of the tag, kept in this step's outputs: values
// read from the environment are often tokens, and a plain hash of a short one
// in a tag anyone with registry access can read is a guessable fingerprint.
const argKeys = new WeakMap<StepContext, string>();
function buildArgKey(ctx: StepContext<'ecr-push'>): string {
  let key = argKeys.get(ctx) ?? ctx.previous()?.buildArgKey;
  if (!key) key = randomBytes(32).toString('hex');
  argKeys.set(ctx, key);
  return key;
}

interface Content {
  tag: string;
  files: string[];
  /** Hash of the context files alone: what the packed tar must hash to. */
  contextHash: string;
}

/**
 * The image tag is derived from exactly what Docker is sent: every file of the
 * context after .dockerignore (gitignored or not), less the wizard's own
 * directory, plus the build settings (Dockerfile path, platform, target,
 * build args; values read from the environment enter only as a keyed HMAC).
 * Same content, same tag, so a re-run finds it in the registry and skips the
 * build. Git state plays no part: a commit that changes nothing Docker sees
 * does not rebuild, and a gitignored dist/ that Docker sees does.
 */
// Once per run: the plan and the deploy after it share the run's digest cache,
// so a big context is listed and hashed once, not once per context object.
// (What is finally sent is hashed as it streams and checked against the tag.)
const contents = new WeakMap<object, Map<string, Promise<Content>>>();
function content(ctx: StepContext<'ecr-push'>, img: Img): Promise<Content> {
  const key = ctx.settings.digestCache ?? ctx;
  const perCtx = contents.get(key) ?? new Map<string, Promise<Content>>();
  contents.set(key, perCtx);
  let p = perCtx.get(img.name);
  if (!p) {
    p = (async () => {
      const { contextDir, dockerfile, buildArgs, envArgs, exclude } = buildInputs(ctx, img);
      const files = await listContext(contextDir, { exclude });
      const contextHash = await hashContext(contextDir, files, ctx.settings.digestCache);
      const args = Object.entries(buildArgs)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, envArgs.includes(k) ? `hmac:${createHmac('sha256', buildArgKey(ctx)).update(v).digest('hex')}` : v]);
      const settings = canonicalJson({ dockerfile, platform: img.spec.platform, target: img.spec.target ?? '', args });
      const tag = `ctx-${createHash('sha256').update(settings).update('\0').update(contextHash).digest('hex').slice(0, 24)}`;
      return { tag, files, contextHash };
    })();
    perCtx.set(img.name, p);
  }
  return p;
}

function repositoryDrift(repo: Repository): string[] {
  const drift: string[] = [];
  if (repo.imageTagMutability !== 'IMMUTABLE') drift.push('tags IMMUTABLE');
  if (!repo.imageScanningConfiguration?.scanOnPush) drift.push('scan on push');
  return drift;
}

async function registryAuth(ctx: StepContext): Promise<RegistryAuth> {
  const auth = await ecrRegistryAuth(ctx.aws, ctx.settings.registryOverride);
  ctx.log.secret(auth.password);
  ctx.log.secret(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  return auth;
}

async function ensureRepository(ctx: StepContext, name: string, img: Img): Promise<Repository> {
  let repo = await findRepository(ctx, name);
  // A preview pushes to its parent's repository as it is: the parent makes it and keeps its settings.
  if (ctx.preview) {
    if (!repo || !(await isOurs({ ...ctx, ...sharedOwner(ctx) }, repo)))
      throw new StepError('ecr-push', `find repository: ${name}, ${ctx.preview.parent}'s, ${repo ? "is not tagged as deploy-wizard's" : 'does not exist'}`, {
        hint: `Deploy ${ctx.preview.parent} first (deploy-wizard deploy --env ${ctx.preview.parent}); previews push to its repositories.`,
      });
    return repo;
  }
  if (!repo) {
    repo = await createRepository(ctx, name, 'images');
  } else if (!(await isOurs(ctx, repo))) {
    throw new StepError('ecr-push', `adopt repository: ECR repository ${name} exists but is not tagged as deploy-wizard's for ${ctx.app}/${ctx.env}`, {
      hint: `Set ${img.name === 'default' ? 'image' : `images.${img.name}`}.repository to another name, or tag the repository with deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
    });
  }
  if (repo.imageTagMutability !== 'IMMUTABLE') {
    await ctx.aws.ecr.send(new PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: 'IMMUTABLE' }));
  }
  if (!repo.imageScanningConfiguration?.scanOnPush) {
    await ctx.aws.ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }));
  }
  if (!(await lifecycleMatches(ctx, name, LIFECYCLE_POLICY))) {
    await ctx.aws.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: JSON.stringify(LIFECYCLE_POLICY) }));
  }
  return repo;
}

/** Aborts a Docker request when it goes quiet for `ms`, or when the run is interrupted. */
function stallGuard(ctx: StepContext, ms: number) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new StalledError(ms)), ms);
    timer.unref();
  };
  const onAbort = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  touch();
  return {
    signal: controller.signal,
    touch,
    fail: (e: Error) => controller.abort(e),
    done: () => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    },
  };
}

function stalledHint(img: Img, what: string): string {
  const key = img.name === 'default' ? 'image' : `images.${img.name}`;
  return `${what} sent nothing for ${img.spec.idleTimeoutSeconds}s, so it was stopped rather than left hanging. Check that the Docker engine (DOCKER_HOST) and the registry answer, or raise ${key}.idleTimeoutSeconds for builds with long silent steps, then run the same command again.`;
}

async function buildAndPush(ctx: StepContext, img: Img, c: Content, ref: string, auth: { username: string; password: string; host: string }) {
  const docker = ctx.docker;
  if (!docker) throw new Error('Docker is not connected');
  const { contextDir, dockerfile, buildArgs } = buildInputs(ctx, img);
  if (!c.files.includes(dockerfile)) {
    throw new StepError('ecr-push', `build image: ${dockerfile} is not in the build context ${contextDir} (or is excluded by .dockerignore)`, {
      hint: 'Put image.dockerfile inside image.context and make sure .dockerignore does not exclude it.',
    });
  }
  const idleMs = img.spec.idleTimeoutSeconds * 1000;
  const name = repositoryName(ctx, img.name);
  const cache = await buildCacheFor(ctx, {
    repository: name,
    ref,
    // Not for a preview: the cache repository is the parent's to make.
    previousTag: ctx.preview ? undefined : (ctx as StepContext<'ecr-push'>).previous()?.images?.[img.name]?.imageTag,
    auth,
  });
  ctx.log.info(
    `building ${ref}:${c.tag} (${img.spec.platform}, ${c.files.length} files in the context${cache ? `; the engine has no earlier build, so its cache is ${cache.from}` : ''})`,
  );
  const recent: string[] = [];
  const keep = (line: string) => {
    for (const l of line.split('\n')) if (l.trim()) recent.push(l.trimEnd());
    recent.splice(0, Math.max(0, recent.length - 30));
  };
  const guard = stallGuard(ctx, idleMs);
  // The tar is made here from the same file list the tag was computed from,
  // and hashed as it is sent: what Docker gets is what the tag says.
  const packed = packContext(contextDir, c.files, guard.touch);
  packed.hash.catch((e: Error) => guard.fail(e));
  try {
    const stream = await docker.buildImage(packed.stream as unknown as NodeJS.ReadableStream, {
      t: `${ref}:${c.tag}`,
      dockerfile,
      buildargs: buildArgs,
      platform: img.spec.platform,
      ...(img.spec.target ? { target: img.spec.target } : {}),
      // The registry's credentials for the build's own pulls: a base image in this account's ECR, or the build cache.
      registryconfig: { [auth.host]: { username: auth.username, password: auth.password } },
      ...cache?.options,
      // No labels: nothing read them, they made the same context a different image in every env (so an image
      // could never be promoted by digest), and on podman each one is a layer commit of its own (1.3-1.9 s a build).
      abortSignal: guard.signal,
    });
    await followProgress(
      docker,
      stream,
      (e) => {
        guard.touch();
        if (e.stream) {
          keep(e.stream);
          const line = e.stream.trim();
          if (line) ctx.log.debug(line);
        }
      },
      guard.signal,
    );
    const sent = await packed.hash;
    if (sent !== c.contextHash) {
      throw new StepError('ecr-push', `build image: files in ${contextDir} changed while the image was being built, so ${c.tag} would not match its content`, {
        hint: 'Run the same command again once nothing is writing into the build context (a watcher, a build running beside it).',
      });
    }
  } catch (e) {
    if (e instanceof StepError) throw e;
    const reason = guard.signal.reason instanceof Error && guard.signal.aborted ? guard.signal.reason : (e as Error);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (reason instanceof StalledError || e instanceof StalledError) {
      throw new StepError('ecr-push', `build image: Docker ${(reason as Error).message}`, { hint: stalledHint(img, 'The build') });
    }
    throw new StepError('ecr-push', `build image: ${ctx.log.redact(reason.message)}`, {
      hint: `Last build output:\n${ctx.log.redact(recent.slice(-15).join('\n'))}\nFix the build, then run the same command again.`,
    });
  } finally {
    guard.done();
    packed.stream.destroy();
  }
  ctx.log.info(`pushing ${ref}:${c.tag}`);
  const push = stallGuard(ctx, idleMs);
  try {
    const stream = await docker.getImage(ref).push({
      tag: c.tag,
      authconfig: { username: auth.username, password: auth.password, serveraddress: auth.host },
      abortSignal: push.signal,
    });
    await followProgress(
      docker,
      stream,
      (e) => {
        push.touch();
        if (e.status) ctx.log.debug(e.status);
      },
      push.signal,
    );
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (e instanceof StalledError || push.signal.reason instanceof StalledError) {
      throw new StepError('ecr-push', `push image: the registry push made no progress for ${img.spec.idleTimeoutSeconds}s`, {
        hint: stalledHint(img, 'The push'),
      });
    }
    throw new StepError('ecr-push', `push image: ${ctx.log.redact((e as Error).message)}`, {
      hint: 'Check that the registry is reachable and the credentials may push (ecr:InitiateLayerUpload and friends), then run again.',
    });
  } finally {
    push.done();
  }
}

async function planImage(ctx: StepContext<'ecr-push'>, img: Img, auth: () => Promise<RegistryAuth>): Promise<PlanItem[]> {
  const name = repositoryName(ctx, img.name);
  const items: PlanItem[] = [];
  const from = ctx.settings.promoteFrom;
  if (from) {
    const src = from.images[img.name];
    return [
      {
        action: ctx.previous()?.images?.[img.name]?.imageDigest === src?.imageDigest ? 'keep' : 'update',
        resource: `image ${name}`,
        detail: src ? `${from.env}'s ${src.imageDigest.slice(0, 19)}, copied by digest (no build)` : `${from.env} runs no image ${img.name}`,
      },
    ];
  }
  const repo = await findRepository(ctx, name);
  if (!repo) items.push({ action: 'create', resource: `ECR repository ${name}`, detail: 'immutable tags, scan on push, keep last 20 images' });
  else {
    const drift = repositoryDrift(repo);
    if (!(await lifecycleMatches(ctx, name, LIFECYCLE_POLICY))) drift.push('lifecycle policy');
    items.push({ action: drift.length ? 'update' : 'keep', resource: `ECR repository ${name}`, detail: drift.join(', ') || undefined });
  }
  const { tag } = await content(ctx, img);
  let digest: string | undefined;
  if (repo) {
    const a = await auth();
    digest = await manifestDigest(a.endpoint, a, name, tag, ctx.signal);
  }
  const before = ctx.previous()?.images?.[img.name]?.imageTag;
  const changes = before && before !== tag ? [fieldChange('image', before, tag)!] : undefined;
  items.push(
    digest
      ? { action: 'keep', resource: `image ${name}:${tag}`, detail: `already pushed (${digest.slice(0, 19)})`, ...(changes ? { changes } : {}) }
      : { action: 'create', resource: `image ${name}:${tag}`, detail: 'build and push', ...(changes ? { changes } : {}) },
  );
  return items;
}

/**
 * deploy --images-from: the exact image another env runs, copied into this env's repository by digest (the
 * registry's own API: no build, no Docker), under the source's tag; where this repository already holds that tag
 * for another build (tags are immutable), under the tag with the digest's first characters after it.
 */
async function promoteImage(ctx: StepContext<'ecr-push'>, img: Img, auth: RegistryAuth): Promise<ImageOutput> {
  const from = ctx.settings.promoteFrom!;
  const src = from.images[img.name];
  if (!src)
    throw new StepError('ecr-push', `copy image: ${from.env} runs no image ${img.name}`, {
      hint: `Deploy ${from.env} with this config's images first, or deploy without --images-from to build them here.`,
    });
  const name = repositoryName(ctx, img.name);
  const repo = await ensureRepository(ctx, name, img);
  const ref = `${auth.endpoint.host}/${name}`;
  let tag = src.imageTag;
  const have = await manifestDigest(auth.endpoint, auth, name, tag, ctx.signal);
  if (have && have !== src.imageDigest) tag = `${src.imageTag}-${src.imageDigest.replace(/^sha256:/, '').slice(0, 12)}`;
  let digest = have === src.imageDigest ? have : await manifestDigest(auth.endpoint, auth, name, tag, ctx.signal);
  if (digest === src.imageDigest) ctx.log.info(`image ${name}:${tag} is already ${from.env}'s; nothing to copy`);
  else {
    ctx.log.info(`copying ${from.env}'s image ${src.repositoryName}@${src.imageDigest.slice(0, 19)} to ${name}:${tag} (no build)`);
    digest = await copyImage(auth.endpoint, auth, src.repositoryName, src.imageDigest, name, tag, ctx.signal).catch((e: Error) => {
      throw new StepError('ecr-push', `copy image: ${ctx.log.redact(e.message)}`, {
        hint: `Check that ${from.env}'s image is still in ${src.repositoryName} (the lifecycle keeps the last 20), then run again.`,
      });
    });
  }
  const repositoryUri = repo.repositoryUri ?? ref;
  const architecture = await imageArchitecture(auth.endpoint, auth, name, digest!, ctx.signal);
  return { repositoryName: name, repositoryUri, imageTag: tag, imageDigest: digest!, imageUri: `${repositoryUri}@${digest}`, architecture };
}

async function applyImage(ctx: StepContext<'ecr-push'>, img: Img, auth: RegistryAuth): Promise<ImageOutput> {
  if (ctx.settings.promoteFrom) return promoteImage(ctx, img, auth);
  const name = repositoryName(ctx, img.name);
  const c = await content(ctx, img);
  const { tag } = c;
  const repo = await ensureRepository(ctx, name, img);
  const ref = `${auth.endpoint.host}/${name}`;
  let digest = await manifestDigest(auth.endpoint, auth, name, tag, ctx.signal);
  if (digest) {
    ctx.log.info(`image ${name}:${tag} is already in the registry; skipping build and push`);
  } else {
    await buildAndPush(ctx, img, c, ref, { ...auth, host: auth.endpoint.host });
    digest = await manifestDigest(auth.endpoint, auth, name, tag, ctx.signal);
    if (!digest) throw new StepError('ecr-push', `push image: the registry does not have ${name}:${tag} after the push reported success`);
  }
  const repositoryUri = repo.repositoryUri ?? ref;
  const architecture = await imageArchitecture(auth.endpoint, auth, name, digest, ctx.signal);
  return { repositoryName: name, repositoryUri, imageTag: tag, imageDigest: digest, imageUri: `${repositoryUri}@${digest}`, architecture };
}

/** One registry token per run, asked for only when needed. */
function lazyAuth(ctx: StepContext): () => Promise<RegistryAuth> {
  let p: Promise<RegistryAuth> | undefined;
  return () => (p ??= registryAuth(ctx));
}

export const ecrPush: StepCode<'ecr-push'> = {
  async inputs(ctx) {
    const from = ctx.settings.promoteFrom;
    const images: Record<string, { repository: string; tag: string }> = {};
    for (const img of imagesOf(ctx))
      images[img.name] = {
        repository: repositoryName(ctx, img.name),
        tag: from ? `${from.env}@${from.images[img.name]?.imageDigest ?? '?'}` : (await content(ctx, img)).tag,
      };
    return { images, registry: ctx.settings.registryOverride ?? '' };
  },

  async plan(ctx) {
    const auth = lazyAuth(ctx);
    return (await mapLimit(imagesOf(ctx), IMAGE_CONCURRENCY, (img) => planImage(ctx, img, auth))).flat();
  },

  async apply(ctx) {
    const auth = await registryAuth(ctx);
    const list = imagesOf(ctx);
    const outs = await mapLimit(list, IMAGE_CONCURRENCY, (img) => applyImage(ctx, img, auth));
    const usesEnvArgs = list.some((img) => buildInputs(ctx, img).envArgs.length > 0);
    return {
      images: Object.fromEntries(list.map((img, i) => [img.name, outs[i]!])),
      ...(usesEnvArgs ? { buildArgKey: buildArgKey(ctx) } : {}),
    };
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    const auth = lazyAuth(ctx);
    for (const img of Object.values(out.images ?? {})) {
      const repo = await findRepository(ctx, img.repositoryName);
      checks.push({ name: `ECR repository ${img.repositoryName}`, ok: !!repo && repositoryDrift(repo).length === 0 });
      if (!repo) continue;
      const a = await auth();
      const digest = await manifestDigest(a.endpoint, a, img.repositoryName, img.imageTag, ctx.signal);
      checks.push({ name: `image ${img.repositoryName}:${img.imageTag}`, ok: digest === img.imageDigest, detail: digest ?? 'missing from the registry' });
    }
    if (!out.images) checks.push({ name: 'images', ok: false, detail: 'recorded by an older version' });
    return checks;
  },

  summary(out) {
    const list = Object.entries(out.images);
    return { rows: list.map(([name, img]) => [list.length > 1 ? `Image ${name}` : 'Image', img.imageUri] as [string, string]) };
  },
};
