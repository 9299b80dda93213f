import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { loadConfig, parseConfig, type LoadedConfig } from './config/load-config.js';
import { estimateCost, type CostEstimate } from './pipeline/estimate-cost.js';
import type { ConfigInput } from './config/schema.js';
import { createAwsClients, type AwsClients } from './aws/clients.js';
import { callerAccount } from './aws/caller-account.js';
import { clientOptionsFor } from './aws/client-options.js';
import { connectDocker } from './docker/connect.js';
import { InputError } from './errors.js';
import { enabledManifests, loadAllSteps, loadPreviewSteps, loadSteps, previewManifests } from '../steps/index.js';
export { previewSharedSteps, previewManifests } from '../steps/index.js';
import type { StepManifest } from './pipeline/manifest.js';
import type { Step } from './pipeline/step.js';
import { previewEnv, type PreviewOf } from './preview/preview-of.js';
import type { Config } from './config/schema.js';
import type { StateFile } from './state/state-file.js';
import { checkIdentity } from './state/state-store.js';
import type { CommonOptions, Io } from './options.js';
import { existsSync } from 'node:fs';
import { siteDirProblem } from './site/site-dir.js';
import { resolve } from 'node:path';

export interface Session {
  loaded: LoadedConfig;
  region: string;
  aws: AwsClients;
  docker?: Docker;
  /** The steps this config asks for (only their modules are loaded). */
  steps: Step[];
  /** Their manifests: what each is, makes and needs, without running it (the CI role's policy). */
  manifests: StepManifest[];
  /** Every step, enabled or not: destroy removes what an earlier config created too. */
  allSteps: () => Promise<Step[]>;
  account: string;
  /** Set when the session runs a preview: the config is the preview's, derived from the parent's (src/preview/). */
  preview?: PreviewOf;
}

/** Every check that needs no AWS call: files the config points at, and Docker when a step builds images. */
export async function preflight(loaded: LoadedConfig, io: Io, steps: Step[]): Promise<Docker | undefined> {
  const problems: string[] = [];
  for (const [imageName, image] of Object.entries(loaded.config.images)) {
    const key = imageName === 'default' && Object.keys(loaded.config.images).length === 1 ? 'image' : `images.${imageName}`;
    const context = resolve(loaded.dir, image.context);
    const dockerfile = resolve(loaded.dir, image.dockerfile);
    if (!existsSync(context)) problems.push(`${key}.context: ${context} does not exist`);
    if (!existsSync(dockerfile)) problems.push(`${key}.dockerfile: ${dockerfile} does not exist`);
    else if (!dockerfile.startsWith(context + '/'))
      problems.push(`${key}.dockerfile: ${image.dockerfile} is outside ${key}.context (${image.context}); Docker only sees files inside the context`);
    for (const [name, spec] of Object.entries(image.buildArgs)) {
      if (typeof spec === 'string') continue;
      if (spec.env in loaded.config.secrets) {
        problems.push(
          `${key}.buildArgs.${name}: reads ${spec.env}, which is an app secret; build args are kept in the image's history, so pass secrets at run time (secrets.${spec.env}) instead`,
        );
      } else if (io.env[spec.env] === undefined && !spec.optional) {
        problems.push(`${key}.buildArgs.${name}: the environment variable ${spec.env} is not set; set it, or add "optional": true to build without it`);
      }
    }
  }
  const site = loaded.config.site && siteDirProblem(loaded.dir, loaded.config.site);
  if (site) problems.push(site);
  if (problems.length)
    throw new InputError(`check config: ${problems.length} problem${problems.length > 1 ? 's' : ''} before building`, problems, {
      hint: 'Nothing has been created.',
    });
  if (steps.some((s) => s.id === 'ecr-push')) return connectDocker(io.env.DOCKER_HOST);
  return undefined;
}

/** Loads config, runs preflight, makes clients and resolves the account: everything before the lock. */
export async function openSession(opts: CommonOptions, io: Io, needDocker = true, preloaded?: LoadedConfig): Promise<Session> {
  const loaded = preloaded ?? (await loadConfig(resolve(io.cwd, opts.configPath), opts.env));
  const steps = await loadSteps(loaded.config);
  const docker = needDocker ? await preflight(loaded, io, steps) : undefined;
  const region = opts.region ?? loaded.config.region;
  const aws = createAwsClients(clientOptionsFor(opts, io, region));
  const account = await callerAccount(aws);
  return { loaded, region, aws, docker, steps, manifests: enabledManifests(loaded.config), allSteps: loadAllSteps, account };
}

/** Makes sure .deploy-wizard/ is in the app's .gitignore: state never belongs in git. */
export async function ignoreStateDir(dir: string): Promise<boolean> {
  const path = join(dir, '.gitignore');
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    /* no .gitignore yet */
  }
  if (text.split('\n').some((l) => ['.deploy-wizard', '.deploy-wizard/', '/.deploy-wizard/', '/.deploy-wizard'].includes(l.trim()))) return false;
  await appendFile(path, `${text && !text.endsWith('\n') ? '\n' : ''}# deploy-wizard state (ids, progress; never secrets)\n.deploy-wizard/\n`);
  return true;
}

/** The monthly estimate for a config that exists only in memory (init shows it as choices are made): from the manifests, no step's code loaded. */
export function estimateConfigCost(input: ConfigInput, env: string): CostEstimate {
  const config = parseConfig(JSON.stringify(input), 'the config being written', env);
  return estimateCost(config, enabledManifests(config));
}

/**
 * The session of a preview (src/preview/): its derived config, only the steps a preview runs (three of them in
 * place of the parent's), in the account and region of the parent's state.
 */
export async function openPreviewSession(
  parentLoaded: LoadedConfig,
  parentState: StateFile,
  opts: CommonOptions,
  io: Io,
  config: Config,
  preview: PreviewOf,
  o: { docker: boolean; teardown: boolean },
): Promise<Session> {
  const loaded = { ...parentLoaded, config, env: previewEnv(preview.parent, preview.name) };
  const steps = await loadPreviewSteps(config, o.teardown);
  const docker = o.docker ? await preflight(loaded, io, steps) : undefined;
  const region = opts.region ?? config.region;
  const aws = createAwsClients(clientOptionsFor(opts, io, region));
  const account = await callerAccount(aws);
  checkIdentity({ ...parentState }, account, region);
  return { loaded, region, aws, docker, steps, manifests: previewManifests(config), allSteps: () => loadPreviewSteps(config, true), account, preview };
}

/** A preview's monthly estimate: its tasks alone (everything else is the parent's). */
export const previewCost = (config: Config): CostEstimate =>
  estimateCost(
    config,
    previewManifests(config).filter((m) => m.id === 'service'),
  );
