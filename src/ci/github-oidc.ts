import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListOpenIDConnectProvidersCommand,
  UpdateAssumeRolePolicyCommand,
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  DeleteRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { StateError } from '../errors.js';
import type { RepoIdentity } from './github-repo.js';
import { canonicalJson } from '../canonical-json.js';
import { isError, unlessNotFound } from '../aws/not-found.js';
import { deleteManagedPolicy, ensureManagedPolicy } from '../aws/managed-policy.js';

// GitHub Actions' OIDC tokens, trusted by one role that only one repository's
// branch (or GitHub environment) may assume, for the sts.amazonaws.com
// audience that aws-actions/configure-aws-credentials asks for.

export const GITHUB_ISSUER = 'token.actions.githubusercontent.com';
export const AUDIENCE = 'sts.amazonaws.com';
/** The inline policy versions before managed policies wrote; removed once those are attached. */
const LEGACY_INLINE = 'deploy-wizard-deploy';

/** The token's `sub` for a push to the branch, or for any job that runs in the GitHub environment. */
export const githubSubject = (repo: string, t: { branch: string; githubEnv?: string; pullRequest?: boolean }) =>
  t.pullRequest ? `repo:${repo}:pull_request` : t.githubEnv ? `repo:${repo}:environment:${t.githubEnv}` : `repo:${repo}:ref:refs/heads/${t.branch}`;

/**
 * Every `sub` the repository's tokens may carry for this branch or
 * environment: the name-based form, and with the ids known the immutable one
 * (`repo:OWNER@ID/NAME@ID:...`), which repositories created or renamed since
 * 2026-07-15 send.
 */
export function githubSubjects(repo: RepoIdentity, t: { branch: string; githubEnv?: string; pullRequest?: boolean }): string[] {
  const out = [githubSubject(`${repo.owner}/${repo.name}`, t)];
  if (repo.ownerId !== undefined && repo.repoId !== undefined) out.push(githubSubject(`${repo.owner}@${repo.ownerId}/${repo.name}@${repo.repoId}`, t));
  return out;
}

export function trustPolicy(providerArn: string, subjects: string | string[]) {
  const all = [subjects].flat();
  const subject = all.length === 1 ? all[0]! : all;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${GITHUB_ISSUER}:aud`]: AUDIENCE, [`${GITHUB_ISSUER}:sub`]: subject } },
      },
    ],
  };
}

/**
 * The account's provider for GitHub's issuer: one per account and URL, so an
 * existing one (made by hand, by Terraform, or by another app) is adopted, and
 * the audience added to it if it lacks it. Returns its ARN and what changed.
 */
export async function ensureGithubProvider(iam: IAMClient, account: string, partition: string, tags: { Key: string; Value: string }[]) {
  const arn = `arn:${partition}:iam::${account}:oidc-provider/${GITHUB_ISSUER}`;
  const list = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  const found = (list.OpenIDConnectProviderList ?? []).find((p) => p.Arn?.endsWith(`:oidc-provider/${GITHUB_ISSUER}`));
  if (!found) {
    try {
      // No thumbprint: IAM verifies GitHub's certificate against its trusted CAs.
      await iam.send(new CreateOpenIDConnectProviderCommand({ Url: `https://${GITHUB_ISSUER}`, ClientIDList: [AUDIENCE], Tags: tags }));
      return { arn, changed: 'created' as const };
    } catch (e) {
      // Another run made it between our list and our create: adopt it.
      if (!isError(e, 'EntityAlreadyExistsException', 'EntityAlreadyExists')) throw e;
    }
  }
  const provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: found?.Arn ?? arn }));
  if (!(provider.ClientIDList ?? []).includes(AUDIENCE)) {
    await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: found?.Arn ?? arn, ClientID: AUDIENCE }));
    return { arn: found?.Arn ?? arn, changed: 'audience added' as const };
  }
  return { arn: found?.Arn ?? arn, changed: undefined };
}

const decode = (doc: string | undefined) => (doc ? (JSON.parse(decodeURIComponent(doc)) as unknown) : undefined);

/**
 * The deploy role: created, or adopted when it carries this app's tags (a
 * role of that name without them belongs to someone else and is refused).
 * Its permissions are customer managed policies `<role>-1`…`<role>-N`, each
 * converged only where it differs and attached; ones of a larger earlier
 * config are detached and deleted, and the inline policy earlier versions
 * wrote is removed once they are in place (a role's inline policies share
 * one 10,240-character limit; managed ones have 6,144 each).
 */
export async function ensureDeployRole(
  iam: IAMClient,
  o: {
    name: string;
    account: string;
    partition: string;
    trust: object;
    policies: object[];
    tags: { Key: string; Value: string }[];
    description: string;
  },
): Promise<{ arn: string; changed: string[] }> {
  const changed: string[] = [];
  let role = (await unlessNotFound(iam.send(new GetRoleCommand({ RoleName: o.name })), 'NoSuchEntityException', 'NoSuchEntity'))?.Role;
  if (!role) {
    role = (
      await iam.send(
        new CreateRoleCommand({
          RoleName: o.name,
          AssumeRolePolicyDocument: JSON.stringify(o.trust),
          Description: o.description,
          MaxSessionDuration: 7200,
          Tags: o.tags,
        }),
      )
    ).Role!;
    changed.push('created');
  } else {
    const theirs = role.Tags ?? [];
    if (!o.tags.every((t) => theirs.some((x) => x.Key === t.Key && x.Value === t.Value)))
      throw new StateError(`ci github: a role named ${o.name} exists without this app's deploy-wizard tags; it is not ours to change`, {
        hint: 'Rename or delete that role, or deploy this app under another --env.',
      });
    if (canonicalJson(decode(role.AssumeRolePolicyDocument)) !== canonicalJson(o.trust)) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: o.name, PolicyDocument: JSON.stringify(o.trust) }));
      changed.push('trust');
    }
  }
  const arnOf = (i: number) => `arn:${o.partition}:iam::${o.account}:policy/${o.name}-${i}`;
  const attached = new Set(((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: o.name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn!));
  let permissions = false;
  for (const [i, doc] of o.policies.entries()) {
    const arn = arnOf(i + 1);
    const c = await ensureManagedPolicy(iam, {
      arn,
      name: `${o.name}-${i + 1}`,
      doc,
      description: `deploy-wizard: what ${o.name} may do (${i + 1} of ${o.policies.length})`,
      tags: o.tags,
    });
    if (c) permissions = true;
    if (!attached.has(arn)) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: o.name, PolicyArn: arn }));
      permissions = true;
    }
  }
  // Parts a larger config needed: detached, then deleted with their old versions.
  for (const arn of attached) {
    const m = new RegExp(`:policy/${o.name}-(\\d+)$`).exec(arn);
    if (!m || Number(m[1]) <= o.policies.length) continue;
    await iam.send(new DetachRolePolicyCommand({ RoleName: o.name, PolicyArn: arn }));
    await deleteManagedPolicy(iam, arn);
    permissions = true;
  }
  const inline = await unlessNotFound(
    iam.send(new GetRolePolicyCommand({ RoleName: o.name, PolicyName: LEGACY_INLINE })),
    'NoSuchEntityException',
    'NoSuchEntity',
  );
  if (inline) {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: o.name, PolicyName: LEGACY_INLINE }));
    permissions = true;
  }
  if (permissions) changed.push('permissions');
  return { arn: role.Arn!, changed };
}

/** The managed policies' ARNs of a deploy role, in order (for tests and `ci github --list`). */
export const deployPolicyArns = (o: { name: string; account: string; partition: string; count: number }) =>
  Array.from({ length: o.count }, (_, i) => `arn:${o.partition}:iam::${o.account}:policy/${o.name}-${i + 1}`);
