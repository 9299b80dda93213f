import { iamActionsFor } from './iam-action.js';
import { InputError } from '../errors.js';
import { MANAGED_POLICY_LIMIT } from '../aws/managed-policy.js';
import type { Config } from '../config/schema.js';
import { boundaryArn, repositoryName } from '../aws/names.js';
import type { Grant, ManifestResource, StepManifest, Where } from '../pipeline/manifest.js';

// What the CI deploy role may do: the grants of each enabled step's manifest
// (the calls its code makes, turned into IAM actions), on the resources the
// manifests name. Nothing here knows a step or a resource name: a grant names
// kinds of resources ("repository", "task-role"), and the manifests say which
// ARNs those are for this app and env, built by the same functions the steps
// name their resources with. Services whose resources have generated ids
// (EC2, ELB, RDS, ElastiCache, Cognito, ACM, CloudFront, WAF, KMS) and calls
// that take no resource (ecs:RegisterTaskDefinition) are scoped by action.

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyWhere extends Where {
  /** The S3 state this deploy reads and writes. */
  state: { bucket: string; prefix: string };
  /** The deploy role itself: never writable by itself. */
  deployRoleName: string;
  /** ci github --promote-from: the env whose state and images this role may read (never write). */
  promoteFrom?: string;
}

/** The preview role's env is a pattern (`<parent>--*`): its conditions compare with StringLike. */
const match = (env: string) => (env.includes('*') ? 'StringLike' : 'StringEquals');

/** Every resource the given manifests name for this app and env. */
export function manifestResources(config: Config, manifests: readonly StepManifest[], w: Where): ManifestResource[] {
  return manifests.flatMap((m) => m.resources?.(w, config) ?? []);
}

/** A grant's resources and the condition it carries, from the resources its kinds name. */
function resolve(g: Grant, resources: readonly ManifestResource[], w: Where): { arns: string[]; condition?: PolicyStatement['Condition'] } {
  if (g.on === '*') return { arns: ['*'], ...(g.condition ? { condition: g.condition } : {}) };
  const hit = resources.filter((r) => g.on.includes(r.kind));
  const tagged = hit.filter((r) => r.taggedOnly);
  // A pattern wider than this env's names is granted only on resources carrying its tags; never mixed with exact names.
  if (tagged.length && tagged.length !== hit.length) throw new Error(`deploy policy: grant ${g.sid} mixes tag-guarded and exact resources`);
  const condition = g.boundary
    ? { StringEquals: { 'iam:PermissionsBoundary': boundaryArn(w) } }
    : tagged.length
      ? { [match(w.env)]: { 'aws:ResourceTag/deploy-wizard:app': w.app, 'aws:ResourceTag/deploy-wizard:env': w.env } }
      : g.condition;
  return { arns: [...new Set(hit.map((r) => r.arn))], ...(condition ? { condition } : {}) };
}

/**
 * The deploy role's permissions for this config, as the managed policies
 * attached to it: the grants of its enabled steps' manifests, the state object, and
 * Denies that keep the role from rewriting itself or the boundary.
 * Statements with the same resources and condition are merged.
 */
export function deployPolicies(config: Config, enabled: readonly StepManifest[], w: PolicyWhere, more: readonly PolicyStatement[] = []) {
  const out: PolicyStatement[] = [];
  const add = (sid: string, actions: string[], resources: string[], condition?: PolicyStatement['Condition']) => {
    if (!actions.length || !resources.length) return;
    const key = JSON.stringify([resources, condition ?? null]);
    const same = out.find((s) => s.Effect === 'Allow' && JSON.stringify([[s.Resource].flat(), s.Condition ?? null]) === key);
    if (same) same.Action = [...new Set([...same.Action, ...actions])].sort();
    else
      out.push({
        Sid: sid,
        Effect: 'Allow',
        Action: [...new Set(actions)].sort(),
        Resource: resources.length === 1 ? resources[0]! : resources,
        ...(condition ? { Condition: condition } : {}),
      });
  };
  const resources = manifestResources(config, enabled, w);
  for (const m of enabled)
    for (const g of m.grants) {
      const { arns, condition } = resolve(g, resources, w);
      add(g.sid, [...(g.calls ?? []).flatMap(iamActionsFor), ...(g.actions ?? [])], arns, condition);
    }
  const stateBase = `${w.state.prefix}${w.app}/${w.env}`;
  add(
    'StateObject',
    ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
    [`arn:${w.partition}:s3:::${w.state.bucket}/${stateBase}.state.json`, `arn:${w.partition}:s3:::${w.state.bucket}/${stateBase}.lock`],
  );
  // Without ListBucket, S3 answers 403 instead of 404 for a key that does not exist yet (the first CI
  // deploy's state and lock): https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions".
  add('StateListing', ['s3:ListBucket'], [`arn:${w.partition}:s3:::${w.state.bucket}`], {
    [match(w.env)]: { 's3:prefix': [`${stateBase}.state.json`, `${stateBase}.lock`] },
  });
  if (w.promoteFrom) {
    // deploy --images-from: the source env's state (which images it runs) and its images, read only.
    add('PromoteFromState', ['s3:GetObject'], [`arn:${w.partition}:s3:::${w.state.bucket}/${w.state.prefix}${w.app}/${w.promoteFrom}.state.json`]);
    add(
      'PromoteFromImages',
      ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      Object.keys(config.images).map(
        (name) => `arn:${w.partition}:ecr:${w.region}:${w.account}:repository/${repositoryName({ app: w.app, env: w.promoteFrom!, config }, name)}`,
      ),
    );
  }
  const denies: PolicyStatement[] = [
    {
      Sid: 'NeverItself',
      Effect: 'Deny',
      Action: ['iam:*'],
      Resource: `arn:${w.partition}:iam::${w.account}:role/${w.deployRoleName}`,
    },
    {
      // The boundary bounds every role this one writes, and the deploy policies bound this one:
      // never changed, removed or replaced from CI.
      Sid: 'NeverTheBoundary',
      Effect: 'Deny',
      Action: [
        'iam:CreatePolicy',
        'iam:CreatePolicyVersion',
        'iam:DeletePolicy',
        'iam:DeletePolicyVersion',
        'iam:SetDefaultPolicyVersion',
        'iam:DeleteRolePermissionsBoundary',
      ],
      Resource: [boundaryArn(w), `arn:${w.partition}:iam::${w.account}:policy/${w.deployRoleName}-*`, `arn:${w.partition}:iam::${w.account}:role/*`],
    },
  ];
  let chunks = splitPolicy([...denies, ...more, ...out]);
  if (chunks.length > MAX_DEPLOY_POLICIES) {
    compact(out);
    chunks = splitPolicy([...denies, ...more, ...out]);
  }
  if (chunks.length > MAX_DEPLOY_POLICIES)
    throw new InputError(
      `ci github: the deploy role's permissions for this config need ${chunks.length} managed policies of IAM's ${MANAGED_POLICY_LIMIT} characters, even compacted; at most ${MAX_DEPLOY_POLICIES} are used`,
      ['the config names more resources than the deploy role can hold'],
      { hint: 'Split the app across two configs or envs, or name fewer buckets, schedules or services with permissions of their own.' },
    );
  return chunks;
}

/** The deploy role's permissions as one document (what the policies attached to it add up to). */
export function deployPolicy(config: Config, enabled: readonly StepManifest[], w: PolicyWhere) {
  return { Version: '2012-10-17' as const, Statement: deployPolicies(config, enabled, w).flatMap((d) => d.Statement) };
}

/** How many managed policies the deploy role's permissions may take (IAM attaches at most 10 to a role by default). */
export const MAX_DEPLOY_POLICIES = 4;

/**
 * Statements packed into documents of at most IAM's managed policy size
 * (whitespace does not count, and JSON.stringify writes none); a statement
 * too big alone is split by its resources, or by its actions.
 */
function splitPolicy(statements: PolicyStatement[]): { Version: '2012-10-17'; Statement: PolicyStatement[] }[] {
  const room = MANAGED_POLICY_LIMIT - 40; // the document's own {"Version":...,"Statement":[]}
  const pieces: PolicyStatement[] = [];
  const cut = (s: PolicyStatement) => {
    const resources = [s.Resource].flat();
    if (JSON.stringify(s).length <= room || (resources.length < 2 && s.Action.length < 2)) return void pieces.push(s);
    // By its resources; one resource (the actions on "*") by its actions: the same grants either way.
    if (resources.length >= 2) {
      const half = Math.ceil(resources.length / 2);
      cut({ ...s, Sid: `${s.Sid}A`, Resource: resources.slice(0, half) });
      cut({ ...s, Sid: `${s.Sid}B`, Resource: resources.slice(half) });
    } else {
      const half = Math.ceil(s.Action.length / 2);
      cut({ ...s, Sid: `${s.Sid}A`, Action: s.Action.slice(0, half) });
      cut({ ...s, Sid: `${s.Sid}B`, Action: s.Action.slice(half) });
    }
  };
  statements.forEach(cut);
  const docs: PolicyStatement[][] = [];
  for (const s of pieces) {
    const size = JSON.stringify(s).length + 1;
    const fits = docs.find((d) => JSON.stringify(d).length + size <= room);
    if (fits) fits.push(s);
    else docs.push([s]);
  }
  return docs.map((Statement) => ({ Version: '2012-10-17' as const, Statement }));
}

/**
 * For an app too big for the policies otherwise: the read-only actions of
 * statements on "*" become one Describe*, List* and Get* per service. Reads
 * widen a little, writes stay exactly as listed.
 */
function compact(out: PolicyStatement[]): void {
  for (const s of out) {
    if (s.Resource !== '*') continue;
    s.Action = [...new Set(s.Action.map((a) => a.replace(/^([a-z0-9-]+):(Describe|List|Get)[A-Za-z0-9]+$/, '$1:$2*')))].sort();
  }
}

/** Request context for condition keys ("iam:PassedToService", "s3:prefix", "aws:ResourceTag/k"...), as IAM would see it. */
export type RequestContext = Record<string, string | undefined>;

const globMatch = (pattern: string, value: string, caseInsensitive = false) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    caseInsensitive ? 'i' : '',
  ).test(value);

/**
 * A condition block as IAM evaluates it for a single-valued key: every operator
 * and every key must match; a key absent from the request fails a positive
 * operator and satisfies a negated one ("If the key that you specify in a policy condition is not present
 * in the request context, the values do not match",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 */
export function conditionHolds(condition: PolicyStatement['Condition'], ctx: RequestContext): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([op, keys]) =>
    Object.entries(keys).every(([key, want]) => {
      const have = ctx[key];
      const wants = [want].flat().map(String);
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
          return have !== undefined && wants.includes(have);
        case 'StringLike':
        case 'ArnLike':
          return have !== undefined && wants.some((x) => globMatch(x, have));
        case 'StringNotEquals':
          return have === undefined || !wants.includes(have);
        case 'StringNotLike':
          return have === undefined || !wants.some((x) => globMatch(x, have));
        case 'Bool':
          return have !== undefined && wants.includes(have);
        case 'Null':
          return wants.includes(String(have === undefined));
        default:
          throw new Error(`conditionHolds: operator ${op} is not evaluated here`);
      }
    }),
  );
}

/**
 * Whether a policy allows `action` on `resource` for a request with `ctx`'s
 * condition keys: an explicit Deny that matches wins, then any Allow that
 * matches (wildcards * and ? as IAM reads them; actions match case-insensitively,
 * resources case-sensitively). With `resource` "*" the question is whether
 * some resource is allowed, so Denies on named resources do not answer it.
 */
export function allows(policy: { Statement: PolicyStatement[] }, action: string, resource = '*', ctx: RequestContext = {}): boolean {
  const hits = (s: PolicyStatement) =>
    s.Action.some((a) => globMatch(a, action, true)) &&
    [s.Resource].flat().some((r) => r === '*' || resource === '*' || globMatch(r, resource)) &&
    conditionHolds(s.Condition, ctx);
  if (policy.Statement.some((s) => s.Effect === 'Deny' && hits(s) && (resource !== '*' || s.Resource === '*'))) return false;
  return policy.Statement.some((s) => s.Effect === 'Allow' && hits(s));
}
