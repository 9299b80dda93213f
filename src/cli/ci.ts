import { str, type Command } from './command.js';

const of = 'ci github';

export const ci: Command = {
  name: 'ci',
  overview: '  ci github       deploy on push from GitHub Actions (OIDC, no stored keys)',
  help: `Usage: deploy-wizard ci github [--repo OWNER/NAME] [--branch main] [flags]

Deploys from GitHub Actions with no stored AWS keys: creates (or adopts)
the account's OIDC provider for GitHub, a role <app>-<env>-deploy that only
that repository's branch (or --github-env) may assume, allowed exactly what a
deploy of this app calls, and writes .github/workflows/deploy-wizard-<env>.yml
(one per --env, none overwriting another's; a deploy-wizard.yml an earlier
version wrote for this env is updated where it is). The state must be in S3
first (deploy-wizard state init, then state push).

  --repo OWNER/NAME   default: the origin remote of this checkout
  --branch NAME       the branch whose pushes deploy (default main)
  --github-env NAME   trust the GitHub environment NAME instead of the branch
  --list              the workflows it has written in this checkout: env, branch, role
  --promote-from ENV  a workflow that runs, on demand, exactly the images ENV runs
                      (deploy --images-from ENV: copied by digest, no build), as
                      the GitHub environment --github-env (default: this env),
                      which can require a reviewer's approval
  --previews          with --env previews.from: the previews' role <app>-<env>-previews,
                      which the repository's pull requests (and its branch, for the
                      nightly prune) may assume, allowed what any preview needs and
                      denied the parent's services, load balancer, database
                      instance and secrets; every preview role carries the boundary
                      <app>-<env>--previews-boundary; and the workflow
                      .github/workflows/deploy-wizard-<env>-previews.yml (up on
                      opened/synchronize/reopened with a comment, down on closed,
                      prune nightly)
  --owner-id N, --repo-id N
                      GitHub's numeric ids of the owner and the repository, for the
                      subject format repositories made since 2026-07-15 send
                      (repo:OWNER@ID/NAME@ID:...); read from GitHub's API by default,
                      with GITHUB_TOKEN or gh auth token for a private repository

The role's permissions are managed policies <app>-<env>-deploy-N; every role
it may make or change must carry the permissions boundary <app>-<env>-boundary,
which this command writes and the deploy role can never change.`,
  flags: {
    repo: { type: 'string', of },
    branch: { type: 'string', of },
    'github-env': { type: 'string', of },
    'owner-id': { type: 'string', of },
    'repo-id': { type: 'string', of },
    list: { type: 'boolean', of },
    'promote-from': { type: 'string', of },
    previews: { type: 'boolean', of },
  },
  check(v) {
    const problems: string[] = [];
    for (const k of ['owner-id', 'repo-id']) {
      const id = str(v, k);
      if (id !== undefined && !/^[1-9]\d{0,18}$/.test(id)) problems.push(`--${k} ${id}: GitHub's numeric id, as the API's owner.id and id of the repository`);
    }
    if ((v['owner-id'] === undefined) !== (v['repo-id'] === undefined))
      problems.push(`--${v['owner-id'] === undefined ? 'owner-id' : 'repo-id'}: needed with --${v['owner-id'] === undefined ? 'repo-id' : 'owner-id'}`);
    const repo = str(v, 'repo');
    if (repo !== undefined && !/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repo)) problems.push(`--repo ${repo}: expected OWNER/NAME, as in github.com/OWNER/NAME`);
    const branch = str(v, 'branch');
    if (branch !== undefined && !/^[A-Za-z0-9._/-]+$/.test(branch)) problems.push(`--branch ${branch}: not a branch name`);
    const from = str(v, 'promote-from');
    if (from !== undefined && !/^[a-z][a-z0-9-]{0,30}$/.test(from)) problems.push(`--promote-from ${from}: not an env name`);
    const env = str(v, 'github-env');
    if (env !== undefined && !/^[A-Za-z0-9._ -]{1,255}$/.test(env)) problems.push(`--github-env ${env}: not a GitHub environment name`);
    return problems;
  },
  options(v) {
    const ownerId = str(v, 'owner-id');
    const repoId = str(v, 'repo-id');
    return {
      ci: {
        repo: str(v, 'repo'),
        branch: str(v, 'branch'),
        githubEnv: str(v, 'github-env'),
        ...(v.list === true ? { list: true } : {}),
        ...(str(v, 'promote-from') ? { promoteFrom: str(v, 'promote-from') } : {}),
        ...(v.previews === true ? { previews: true } : {}),
        ...(ownerId && repoId ? { ownerId: Number(ownerId), repoId: Number(repoId) } : {}),
      },
    };
  },
  run: async (opts, io, rest) => (await import('../commands/ci.js')).ciCommand(opts, io, rest),
};
