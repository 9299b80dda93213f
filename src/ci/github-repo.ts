import { execFileSync } from 'node:child_process';

// What GitHub says of a repository: its canonical OWNER/NAME casing (IAM's
// StringEquals on the token's sub is case-sensitive) and the numeric ids of
// the owner and the repository, which the immutable subject format embeds:
// repositories created or renamed on or after 2026-07-15 (and older ones
// whose admins opt in) get `repo:OWNER@ID/NAME@ID:...` instead of
// `repo:OWNER/NAME:...` (GitHub's changelog of 2026-04-23, "immutable
// subject claims for GitHub Actions OIDC tokens").

export interface RepoIdentity {
  owner: string;
  name: string;
  ownerId?: number;
  repoId?: number;
  /** Why the ids are unknown, when they are. */
  unknownBecause?: string;
}

export interface GithubAccess {
  /** GitHub's REST API root: DEPLOY_WIZARD_GITHUB_API (a stand-in in tests), else api.github.com. */
  apiUrl: string;
  token?: string;
}

/** The API and a token: GITHUB_TOKEN or GH_TOKEN, else `gh auth token` when the GitHub CLI is installed and signed in. */
export function githubAccess(env: NodeJS.ProcessEnv): GithubAccess {
  const apiUrl = (env.DEPLOY_WIZARD_GITHUB_API ?? 'https://api.github.com').replace(/\/+$/, '');
  let token = env.GITHUB_TOKEN || env.GH_TOKEN || undefined;
  if (!token && !env.DEPLOY_WIZARD_GITHUB_API) {
    try {
      token =
        execFileSync('gh', ['auth', 'token'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 })
          .toString()
          .trim() || undefined;
    } catch {
      /* no gh, or not signed in: public repositories answer without a token */
    }
  }
  return { apiUrl, token };
}

async function get(access: GithubAccess, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${access.apiUrl}${path}`, {
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'deploy-wizard',
      ...(access.token ? { authorization: `Bearer ${access.token}` } : {}),
    },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
}

/**
 * The repository as GitHub knows it. Ids given as flags win; otherwise they
 * are read from the API. When neither works the name is kept as typed and
 * `unknownBecause` says why, so the caller can warn.
 */
export async function resolveGithubRepo(repo: string, access: GithubAccess, given: { ownerId?: number; repoId?: number } = {}): Promise<RepoIdentity> {
  const [owner, name] = repo.split('/') as [string, string];
  if (given.ownerId !== undefined && given.repoId !== undefined) return { owner, name, ownerId: given.ownerId, repoId: given.repoId };
  let r;
  try {
    r = await get(access, `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`);
  } catch (e) {
    return { owner, name, unknownBecause: `GitHub's API did not answer (${(e as Error).message})` };
  }
  if (r.status !== 200)
    return {
      owner,
      name,
      unknownBecause:
        r.status === 404
          ? `GitHub answered 404 for ${repo}${access.token ? '' : ' (a private repository needs GITHUB_TOKEN or gh auth login)'}`
          : `GitHub answered ${r.status}`,
    };
  const b = r.body as { id?: number; name?: string; owner?: { login?: string; id?: number } };
  return { owner: b.owner?.login ?? owner, name: b.name ?? name, ownerId: b.owner?.id, repoId: b.id };
}

/**
 * Whether a GitHub environment limits which branches may deploy to it:
 * undefined when that cannot be told (no answer), false when it has no
 * deployment branch rule (or does not exist yet: GitHub creates it on first
 * use, with none).
 */
export async function environmentHasBranchRule(repo: RepoIdentity, environment: string, access: GithubAccess): Promise<boolean | undefined> {
  try {
    const r = await get(access, `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}/environments/${encodeURIComponent(environment)}`);
    if (r.status === 404) return false;
    if (r.status !== 200) return undefined;
    return !!(r.body as { deployment_branch_policy?: unknown }).deployment_branch_policy;
  } catch {
    return undefined;
  }
}
