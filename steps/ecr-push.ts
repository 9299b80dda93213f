import { createHash } from 'node:crypto';
import { relative, resolve, sep } from 'node:path';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  type Repository,
} from '@aws-sdk/client-ecr';
import type { StepContext } from '../src/context.js';
import { StepError } from '../src/errors.js';
import { followProgress } from '../src/docker/follow-progress.js';
import { hashContext, listContext } from '../src/docker/build-context.js';
import { imageArchitecture, manifestDigest, registryEndpoint, type RegistryEndpoint } from '../src/docker/registry.js';
import { loadTemplate } from '../src/templates.js';
import { ownedBy, ownershipTags, type Check, type PlanItem, type Step } from './step.js';

export interface EcrPushOutput {
  repositoryName: string;
  repositoryUri: string;
  imageTag: string;
  imageDigest: string;
  /** What task definitions use: the repository URI pinned by digest. */
  imageUri: string;
  /** As the registry reports it, e.g. amd64: checked against the task's runtime platform. */
  architecture?: string;
}

/** Keeps the last 20 images; older ones expire. */
export const LIFECYCLE_POLICY = loadTemplate('ecr/lifecycle-policy.json');

const repositoryName = (ctx: StepContext) => ctx.config.image.repository ?? `${ctx.app}-${ctx.env}`;

type BuildInputs = { contextDir: string; dockerfile: string; buildArgs: Record<string, string> };
// Resolved once per context: inputs(), plan() and apply() all need it, and a missing env var should warn once.
const resolved = new WeakMap<StepContext, BuildInputs>();

/** Context dir, Dockerfile path inside it, and the build args resolved from the environment. */
function buildInputs(ctx: StepContext): BuildInputs {
  const cached = resolved.get(ctx);
  if (cached) return cached;
  const { image } = ctx.config;
  const contextDir = resolve(ctx.configDir, image.context);
  const dockerfile = relative(contextDir, resolve(ctx.configDir, image.dockerfile)).split(sep).join('/');
  const buildArgs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(image.buildArgs)) {
    const value = typeof spec === 'string' ? spec : ctx.settings.buildEnv[spec.env];
    if (value === undefined) {
      ctx.log.warn(`image.buildArgs.${name}: environment variable ${(spec as { env: string }).env} is not set; building without it`);
      continue;
    }
    // Build args are often keys (NEXT_PUBLIC_*, tokens): never print them.
    if (typeof spec !== 'string') ctx.log.secret(value);
    buildArgs[name] = value;
  }
  const out = { contextDir, dockerfile, buildArgs };
  resolved.set(ctx, out);
  return out;
}

/**
 * The image tag is derived from content: the git commit when the context is
 * clean, plus a hash of the context files when it is dirty or not in git, plus
 * a hash of the build settings (Dockerfile, platform, target, build arg
 * values). Same content, same tag, so a re-run finds it in the registry.
 */
async function contentTag(ctx: StepContext, files: string[]): Promise<string> {
  const { contextDir, dockerfile, buildArgs } = buildInputs(ctx);
  const settings = createHash('sha256')
    .update(JSON.stringify([dockerfile, ctx.config.image.platform, ctx.config.image.target ?? '', Object.entries(buildArgs).sort()]))
    .digest('hex')
    .slice(0, 8);
  const head = await ctx.git.head(contextDir);
  if (head && !(await ctx.git.isDirty(contextDir))) return `git-${head.slice(0, 12)}-${settings}`;
  const ctxHash = (await hashContext(contextDir, files)).slice(0, 16);
  return head ? `git-${head.slice(0, 12)}-dirty-${ctxHash}-${settings}` : `ctx-${ctxHash}-${settings}`;
}

async function findRepository(ctx: StepContext, name: string): Promise<Repository | undefined> {
  try {
    const res = await ctx.aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return res.repositories?.[0];
  } catch (e) {
    if ((e as Error).name === 'RepositoryNotFoundException') return undefined;
    throw e;
  }
}

async function isOurs(ctx: StepContext, repo: Repository): Promise<boolean> {
  const { tags } = await ctx.aws.ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }));
  return ownedBy(ctx, tags);
}

function repositoryDrift(repo: Repository): string[] {
  const drift: string[] = [];
  if (repo.imageTagMutability !== 'IMMUTABLE') drift.push('tags IMMUTABLE');
  if (!repo.imageScanningConfiguration?.scanOnPush) drift.push('scan on push');
  return drift;
}

async function lifecycleMatches(ctx: StepContext, name: string): Promise<boolean> {
  try {
    const res = await ctx.aws.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: name }));
    return JSON.stringify(JSON.parse(res.lifecyclePolicyText ?? '{}')) === JSON.stringify(LIFECYCLE_POLICY);
  } catch (e) {
    if ((e as Error).name === 'LifecyclePolicyNotFoundException') return false;
    throw e;
  }
}

async function registryAuth(ctx: StepContext): Promise<{ endpoint: RegistryEndpoint; username: string; password: string }> {
  const res = await ctx.aws.ecr.send(new GetAuthorizationTokenCommand({}));
  const data = res.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) throw new Error('ECR returned no authorization token');
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const username = decoded.slice(0, i);
  const password = decoded.slice(i + 1);
  ctx.log.secret(password);
  ctx.log.secret(data.authorizationToken);
  return { endpoint: registryEndpoint(data.proxyEndpoint, ctx.settings.registryOverride), username, password };
}

async function ensureRepository(ctx: StepContext, name: string): Promise<Repository> {
  let repo = await findRepository(ctx, name);
  if (!repo) {
    ctx.log.info(`creating ECR repository ${name}`);
    try {
      repo = (
        await ctx.aws.ecr.send(
          new CreateRepositoryCommand({
            repositoryName: name,
            imageTagMutability: 'IMMUTABLE',
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfiguration: { encryptionType: 'AES256' },
            tags: ownershipTags(ctx, 'ecr-push'),
          }),
        )
      ).repository;
    } catch (e) {
      // Another run won the race: adopt what it made.
      if ((e as Error).name !== 'RepositoryAlreadyExistsException') throw e;
      repo = await findRepository(ctx, name);
    }
    if (!repo) throw new Error(`ECR repository ${name} was created but cannot be described`);
  } else if (!(await isOurs(ctx, repo))) {
    throw new StepError('ecr-push', `adopt repository: ECR repository ${name} exists but is not tagged as deploy-wizard's for ${ctx.app}/${ctx.env}`, {
      hint: `Set image.repository to another name, or tag the repository with deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
    });
  }
  if (repo.imageTagMutability !== 'IMMUTABLE') {
    await ctx.aws.ecr.send(new PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: 'IMMUTABLE' }));
  }
  if (!repo.imageScanningConfiguration?.scanOnPush) {
    await ctx.aws.ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }));
  }
  if (!(await lifecycleMatches(ctx, name))) {
    await ctx.aws.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: JSON.stringify(LIFECYCLE_POLICY) }));
  }
  return repo;
}

async function buildAndPush(ctx: StepContext, files: string[], ref: string, tag: string, auth: { username: string; password: string; host: string }) {
  const docker = ctx.docker;
  if (!docker) throw new Error('Docker is not connected');
  const { contextDir, dockerfile, buildArgs } = buildInputs(ctx);
  if (!files.includes(dockerfile)) {
    throw new StepError('ecr-push', `build image: ${dockerfile} is not in the build context ${contextDir} (or is excluded by .dockerignore)`, {
      hint: 'Put image.dockerfile inside image.context and make sure .dockerignore does not exclude it.',
    });
  }
  ctx.log.info(`building ${ref}:${tag} (${ctx.config.image.platform})`);
  const recent: string[] = [];
  const keep = (line: string) => {
    for (const l of line.split('\n')) if (l.trim()) recent.push(l.trimEnd());
    recent.splice(0, Math.max(0, recent.length - 30));
  };
  try {
    const stream = await docker.buildImage(
      { context: contextDir, src: files },
      {
        t: `${ref}:${tag}`,
        dockerfile,
        buildargs: buildArgs,
        platform: ctx.config.image.platform,
        ...(ctx.config.image.target ? { target: ctx.config.image.target } : {}),
        labels: { 'deploy-wizard.app': ctx.app, 'deploy-wizard.env': ctx.env },
        abortSignal: ctx.signal,
      },
    );
    await followProgress(docker, stream, (e) => {
      if (e.stream) {
        keep(e.stream);
        const line = e.stream.trim();
        if (line) ctx.log.debug(line);
      }
    });
  } catch (e) {
    throw new StepError('ecr-push', `build image: ${ctx.log.redact((e as Error).message)}`, {
      hint: `Last build output:\n${ctx.log.redact(recent.slice(-15).join('\n'))}\nFix the build, then run the same command again.`,
    });
  }
  ctx.log.info(`pushing ${ref}:${tag}`);
  try {
    const stream = await docker.getImage(ref).push({
      tag,
      authconfig: { username: auth.username, password: auth.password, serveraddress: auth.host },
      abortSignal: ctx.signal,
    });
    await followProgress(docker, stream, (e) => {
      if (e.status) ctx.log.debug(e.status);
    });
  } catch (e) {
    throw new StepError('ecr-push', `push image: ${ctx.log.redact((e as Error).message)}`, {
      hint: 'Check that the registry is reachable and the credentials may push (ecr:InitiateLayerUpload and friends), then run again.',
    });
  }
}

export const ecrPush: Step<EcrPushOutput> = {
  id: 'ecr-push',
  title: 'Build and push the image to ECR',
  dependsOn: [],

  async inputs(ctx) {
    const { contextDir } = buildInputs(ctx);
    return { repository: repositoryName(ctx), tag: await contentTag(ctx, await listContext(contextDir)), registry: ctx.settings.registryOverride ?? '' };
  },

  async plan(ctx) {
    const name = repositoryName(ctx);
    const items: PlanItem[] = [];
    const repo = await findRepository(ctx, name);
    if (!repo) items.push({ action: 'create', resource: `ECR repository ${name}`, detail: 'immutable tags, scan on push, keep last 20 images' });
    else {
      const drift = repositoryDrift(repo);
      if (!(await lifecycleMatches(ctx, name))) drift.push('lifecycle policy');
      items.push({ action: drift.length ? 'update' : 'keep', resource: `ECR repository ${name}`, detail: drift.join(', ') || undefined });
    }
    const { contextDir } = buildInputs(ctx);
    const tag = await contentTag(ctx, await listContext(contextDir));
    let digest: string | undefined;
    if (repo) {
      const auth = await registryAuth(ctx);
      digest = await manifestDigest(auth.endpoint, auth, name, tag, ctx.signal);
    }
    items.push(
      digest
        ? { action: 'keep', resource: `image ${name}:${tag}`, detail: `already pushed (${digest.slice(0, 19)})` }
        : { action: 'create', resource: `image ${name}:${tag}`, detail: 'build and push' },
    );
    return items;
  },

  async apply(ctx) {
    const name = repositoryName(ctx);
    const { contextDir } = buildInputs(ctx);
    const files = await listContext(contextDir);
    const tag = await contentTag(ctx, files);
    const repo = await ensureRepository(ctx, name);
    const auth = await registryAuth(ctx);
    const ref = `${auth.endpoint.host}/${name}`;
    let digest = await manifestDigest(auth.endpoint, auth, name, tag, ctx.signal);
    if (digest) {
      ctx.log.info(`image ${name}:${tag} is already in the registry; skipping build and push`);
    } else {
      await buildAndPush(ctx, files, ref, tag, { ...auth, host: auth.endpoint.host });
      digest = await manifestDigest(auth.endpoint, auth, name, tag, ctx.signal);
      if (!digest) throw new StepError('ecr-push', `push image: the registry does not have ${name}:${tag} after the push reported success`);
    }
    const repositoryUri = repo.repositoryUri ?? ref;
    const architecture = await imageArchitecture(auth.endpoint, auth, name, digest, ctx.signal);
    return { repositoryName: name, repositoryUri, imageTag: tag, imageDigest: digest, imageUri: `${repositoryUri}@${digest}`, architecture };
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    const repo = await findRepository(ctx, out.repositoryName);
    checks.push({ name: `ECR repository ${out.repositoryName}`, ok: !!repo && repositoryDrift(repo).length === 0 });
    if (!repo) return checks;
    const auth = await registryAuth(ctx);
    const digest = await manifestDigest(auth.endpoint, auth, out.repositoryName, out.imageTag, ctx.signal);
    checks.push({ name: `image ${out.imageTag}`, ok: digest === out.imageDigest, detail: digest ?? 'missing from the registry' });
    return checks;
  },
};
