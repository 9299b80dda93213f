import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as clack from '@clack/prompts';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { openSession, previewManifests } from '../session.js';
import { previewConfig } from '../preview/preview-config.js';
import { previewRolePolicies } from '../ci/preview-policy.js';
import { previewWorkflow, previewWorkflowPath } from '../ci/preview-workflow.js';
import { InputError, InterruptedError } from '../errors.js';
import { systemClock } from '../clock.js';
import { partitionOf } from '../config/regions.js';
import { previewsBoundaryEnv, roleName } from '../aws/names.js';
import { ownVersion } from '../version.js';
import { describeAwsError } from '../aws/describe-error.js';
import { resolveStateLocation } from '../state/state-location.js';
import { deployPolicies } from '../ci/deploy-policy.js';
import { boundaryPolicy, ensureBoundary } from '../aws/app-roles.js';
import { ensureDeployRole, ensureGithubProvider, githubSubjects, trustPolicy } from '../ci/github-oidc.js';
import { environmentHasBranchRule, githubAccess, resolveGithubRepo } from '../ci/github-repo.js';
import { ciInputs, githubWorkflow, LEGACY_WORKFLOW_PATH, readWorkflowHeader, workflowPathFor } from '../ci/github-workflow.js';
import { initStateBucket, stateConfigLines, statePush } from '../state/shared-state.js';
import { LocalStateBackend } from '../state/state-backend.js';
import type { CommonOptions, Io } from '../options.js';

/**
 * `ci github`: the account's OIDC provider for GitHub, a deploy role only the
 * repository's branch may assume with exactly the permissions a deploy of
 * this app uses, and the workflow that deploys on push. Safe to run again:
 * everything is found and adopted, and changed only where it differs.
 */
export async function ciCommand(opts: CommonOptions, io: Io, rest: string[]): Promise<number> {
  if (rest[0] !== 'github' || rest.length > 1)
    throw new InputError(
      rest[0] ? `ci: unknown target "${rest.join(' ')}"` : 'ci: missing the target',
      ['usage: deploy-wizard ci github [--repo OWNER/NAME] [--branch main]'],
      {
        hint: 'GitHub Actions is the CI deploy-wizard writes a workflow for; for any other CI see "Deploy from CI" in the README.',
      },
    );
  if (opts.ci?.list) return listWorkflows(opts, io);
  const interactive = io.isTTY && !opts.nonInteractive && !opts.json;
  const configPath = resolve(io.cwd, opts.configPath);
  let loaded = await loadConfig(configPath, opts.env);
  const app = loaded.config.app;
  const gitRoot = gitTopLevel(loaded.dir) ?? loaded.dir;
  // A promotion runs as a GitHub environment (default: the env's own name), whose reviewers can hold it for approval;
  // the role then trusts that environment's token, not a branch's.
  const f = opts.ci?.promoteFrom ? { ...opts.ci, githubEnv: opts.ci.githubEnv ?? opts.env } : (opts.ci ?? {});
  const problems: string[] = [];
  if (f.promoteFrom === opts.env)
    problems.push(`--promote-from ${f.promoteFrom}: that is the env this workflow deploys; name the env whose images to run here`);
  let repo = f.repo ?? originRepo(loaded.dir);
  if (!repo && interactive) {
    const v = await clack.text({ message: 'GitHub repository (OWNER/NAME)', validate: (x) => (x && /^[\w.-]+\/[\w.-]+$/.test(x) ? undefined : 'OWNER/NAME') });
    if (clack.isCancel(v)) throw new InterruptedError('ci github: cancelled', 'Nothing was changed.');
    repo = v;
  }
  if (!repo) problems.push('--repo: needed (the origin remote of this checkout is not a GitHub repository)');
  const branch = f.branch ?? 'main';
  // --previews: the previews' role and workflow, for the env the previews hang off.
  const pv = !!f.previews;
  if (pv && !loaded.config.previews)
    problems.push('--previews: this config has no previews; add "previews": { "from": "staging", "domain": "preview.example.com" }');
  else if (pv && loaded.config.previews!.from !== opts.env)
    problems.push(`--env ${opts.env}: the previews' parent is previews.from, ${loaded.config.previews!.from}; run with --env ${loaded.config.previews!.from}`);
  if (pv && f.promoteFrom) problems.push('--previews and --promote-from: one workflow at a time');

  // A CI runner starts from a fresh checkout: the state must be where it can read it, which the committed config says.
  if (resolveStateLocation(loaded.config.state, undefined, undefined).backend === 'local') {
    if (!interactive) {
      problems.push(
        `state: ${opts.configPath} keeps the state on this disk, where a CI runner cannot see it; run deploy-wizard state init, add the "state" lines it prints, then deploy-wizard state push`,
      );
    } else {
      const ok = await clack.confirm({
        message: `The state of ${opts.env} is on this disk, where CI cannot see it. Create an S3 state bucket, point ${opts.configPath} at it and move the state there?`,
      });
      if (clack.isCancel(ok) || !ok) throw new InterruptedError('ci github: the state must be in S3 first', 'Run deploy-wizard state init, then state push.');
      loaded = await moveStateToS3(loaded, opts, io);
    }
  }
  if (problems.length) throw new InputError('ci github: cannot set up the deploy yet', problems, { hint: 'Nothing has been created.' });

  // The repository as GitHub knows it (canonical casing, numeric ids for the immutable subject format), before anything is made.
  const access = githubAccess(io.env);
  const identity = await resolveGithubRepo(repo!, access, { ownerId: f.ownerId, repoId: f.repoId });
  // The previews' role: the repository's pull requests, and its branch, whose scheduled runs prune.
  const subjects = pv
    ? [...githubSubjects(identity, { branch, pullRequest: true }), ...githubSubjects(identity, { branch })]
    : githubSubjects(identity, { branch, githubEnv: f.githubEnv });
  const warnings: string[] = [];
  if (identity.unknownBecause)
    warnings.push(
      `The role trusts only ${subjects[0]}: ${identity.unknownBecause}. Repositories created or renamed since 2026-07-15 send repo:OWNER@ID/NAME@ID:… instead; run again with GITHUB_TOKEN set (or gh auth login), or with --owner-id and --repo-id.`,
    );
  if (f.githubEnv && (await environmentHasBranchRule(identity, f.githubEnv, access)) === false)
    warnings.push(
      `The GitHub environment "${f.githubEnv}" has no deployment branch rule, so a workflow on any branch that names it can assume the role: add one in the repository's Settings → Environments → ${f.githubEnv} → Deployment branches and tags.`,
    );

  const session = await openSession(opts, io, false, loaded);
  const loc = resolveStateLocation(loaded.config.state, undefined, undefined);
  if (loc.backend !== 's3') throw new Error('unreachable: the state is in S3 by now');
  const partition = partitionOf(session.region);
  const name = roleName(app, opts.env, pv ? 'previews' : 'deploy');
  const tags = [
    { Key: 'deploy-wizard:app', Value: app },
    { Key: 'deploy-wizard:env', Value: opts.env },
    { Key: 'deploy-wizard:step', Value: 'ci' },
  ];
  const previewCfg = pv ? previewConfig(loaded.config, { bucketPrefix: 'previews/*/' }) : undefined;
  const base = { app, account: session.account, region: session.region, partition, state: { bucket: loc.bucket, prefix: loc.prefix }, deployRoleName: name };
  const policies = previewCfg
    ? previewRolePolicies(previewCfg, previewManifests(previewCfg), { ...base, parent: opts.env })
    : deployPolicies(loaded.config, session.manifests, { ...base, env: opts.env, ...(f.promoteFrom ? { promoteFrom: f.promoteFrom } : {}) });
  // Every preview's roles carry one boundary of their own, written here (and never by the previews' role).
  const roleWhere = previewCfg
    ? {
        app,
        env: `${opts.env}--*`,
        account: session.account,
        region: session.region,
        config: previewCfg,
        preview: { name: '*', parent: opts.env, bucketPrefix: 'previews/*/' },
      }
    : { app, env: opts.env, account: session.account, region: session.region, config: loaded.config };
  let provider: Awaited<ReturnType<typeof ensureGithubProvider>>;
  let role: Awaited<ReturnType<typeof ensureDeployRole>>;
  let boundary: Awaited<ReturnType<typeof ensureBoundary>>;
  try {
    provider = await ensureGithubProvider(session.aws.iam, session.account, partition, [{ Key: 'deploy-wizard:managed-by', Value: 'deploy-wizard' }]);
    // The app roles' boundary first: the deploy role may only make roles that carry it, and may never write it.
    boundary = await ensureBoundary(session.aws.iam, roleWhere, boundaryPolicy(roleWhere), [
      { Key: 'deploy-wizard:app', Value: app },
      { Key: 'deploy-wizard:env', Value: pv ? previewsBoundaryEnv(opts.env) : opts.env },
      { Key: 'deploy-wizard:step', Value: 'iam-roles' },
    ]);
    role = await ensureDeployRole(session.aws.iam, {
      name,
      account: session.account,
      partition,
      trust: trustPolicy(provider.arn, subjects),
      policies,
      tags,
      description: pv
        ? `deploy-wizard: GitHub Actions previews of ${app} on ${opts.env} from ${repo}'s pull requests`
        : `deploy-wizard: GitHub Actions deploys of ${app} (${opts.env}) from ${repo}`,
    });
  } catch (e) {
    throw describeAwsError(e, 'ci github: set up the deploy role');
  }

  const legacy = join(gitRoot, LEGACY_WORKFLOW_PATH);
  const workflowRel = pv ? previewWorkflowPath(opts.env) : workflowPathFor(existsSync(legacy) ? await readFile(legacy, 'utf8') : undefined, app, opts.env);
  const workflowFile = join(gitRoot, workflowRel);
  const configRel = relative(gitRoot, loaded.path) || 'deploy-wizard.json';
  const version = ownVersion();
  const text = pv
    ? previewWorkflow(previewCfg!, { app, parent: opts.env, region: session.region, roleArn: role.arn, branch, version, configPath: configRel })
    : githubWorkflow(loaded.config, {
        app,
        env: opts.env,
        region: session.region,
        roleArn: role.arn,
        branch,
        githubEnv: f.githubEnv,
        ...(f.promoteFrom ? { promoteFrom: f.promoteFrom } : {}),
        version,
        configPath: configRel,
      });
  const before = existsSync(workflowFile) ? await readFile(workflowFile, 'utf8') : undefined;
  let workflow: 'created' | 'updated' | 'unchanged' = 'unchanged';
  if (before !== text) {
    await mkdir(dirname(workflowFile), { recursive: true });
    // A workflow someone edited is kept beside it (GitHub runs only .yml and .yaml files).
    if (before !== undefined) await rename(workflowFile, `${workflowFile}.bak`);
    await writeFile(workflowFile, text);
    workflow = before === undefined ? 'created' : 'updated';
  }

  const { secrets, variables } = ciInputs(loaded.config);
  const lines = [
    `OIDC provider ${provider.arn}: ${provider.changed ?? 'adopted, unchanged'}`,
    `Permissions boundary ${boundary.arn}: ${boundary.changed ?? 'unchanged'}; every role the deploy role makes or changes must carry it`,
    `${pv ? 'Previews role' : 'Deploy role'} ${role.arn}: ${role.changed.length ? role.changed.join(', ') : 'adopted, unchanged'}; assumable only by ${subjects.join(' or ')}`,
    `Workflow ${relative(io.cwd, workflowFile) || workflowFile}: ${workflow}${workflow === 'updated' ? ` (the previous one is kept as ${basename(workflowFile)}.bak)` : ''}`,
    ...(secrets.length ? [`Set the repository secrets it reads: ${secrets.map((s) => `gh secret set ${s}`).join('; ')}`] : []),
    ...(variables.length ? [`Set the build args it reads, as repository secrets too: ${variables.map((v) => `gh secret set ${v}`).join('; ')}`] : []),
    `Then commit ${workflowRel} and ${relative(gitRoot, loaded.path)} and push to ${branch}.`,
  ];
  for (const w of warnings) io.stderr.write(`Warning: ${w}\n`);
  if (opts.json) {
    io.stdout.write(
      JSON.stringify({
        step: 'ci',
        status: 'done',
        message: `GitHub Actions deploys ${app} (${opts.env}) from ${repo}`,
        provider: provider.arn,
        role: role.arn,
        workflow: workflowFile,
        secrets,
        variables,
        timestamp: systemClock.now().toISOString(),
      }) + '\n',
    );
  } else io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** The interactive offer: state init, the config's "state" lines written, then state push. Returns the config as reloaded. */
async function moveStateToS3(loaded: LoadedConfig, opts: CommonOptions, io: Io): Promise<LoadedConfig> {
  const { bucket, prefix } = await initStateBucket(loaded, opts, io);
  const raw = JSON.parse(readFileSync(loaded.path, 'utf8')) as Record<string, unknown>;
  raw.state = { backend: 's3', bucket, prefix };
  await writeFile(loaded.path, JSON.stringify(raw, null, 2) + '\n');
  io.stderr.write(`Added ${stateConfigLines(bucket, prefix)} to ${opts.configPath}.\n`);
  const reloaded = await loadConfig(loaded.path, opts.env);
  if (existsSync(new LocalStateBackend(loaded.dir, opts.env).where)) await statePush(reloaded, { ...opts, stateBackend: undefined }, io);
  return reloaded;
}

function gitTopLevel(dir: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

/** OWNER/NAME of the origin remote when it is on github.com (https or ssh). */
function originRepo(dir: string): string | undefined {
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return /github\.com[:/]([\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(url)?.[1];
  } catch {
    return undefined;
  }
}

/** `ci github --list`: the workflows this command wrote in this checkout, read from their first lines (no AWS call). */
async function listWorkflows(opts: CommonOptions, io: Io): Promise<number> {
  const loaded = await loadConfig(resolve(io.cwd, opts.configPath), opts.env);
  const dir = join(gitTopLevel(loaded.dir) ?? loaded.dir, '.github/workflows');
  const files = existsSync(dir) ? (await readdir(dir)).filter((f) => /^deploy-wizard(-[a-z0-9-]+)?\.yml$/.test(f)).sort() : [];
  const rows: { file: string; app: string; env: string; branch: string; role: string; promoteFrom?: string }[] = [];
  for (const file of files) {
    const h = readWorkflowHeader(await readFile(join(dir, file), 'utf8'));
    if (h) rows.push({ file: `.github/workflows/${file}`, ...h });
  }
  if (opts.json) {
    io.stdout.write(
      `${JSON.stringify({ step: 'ci', status: 'done', message: rows.map((r) => `${r.env} ${r.promoteFrom ? `from:${r.promoteFrom}` : r.branch} ${r.role} ${r.file}`).join('; '), timestamp: new Date().toISOString() })}\n`,
    );
    return 0;
  }
  if (!rows.length) {
    io.stdout.write('No deploy-wizard workflows in this checkout; deploy-wizard ci github --env NAME writes one.\n');
    return 0;
  }
  const w = Math.max(...rows.map((r) => r.env.length), 3);
  for (const r of rows)
    io.stdout.write(
      `${r.env.padEnd(w)}  ${r.promoteFrom ? `on demand, ${r.promoteFrom}'s images` : `on push to ${r.branch}`}  role ${r.role}  ${r.file}${r.app !== loaded.config.app ? `  (app ${r.app})` : ''}\n`,
    );
  return 0;
}
