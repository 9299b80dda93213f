import type { IAMClient } from '@aws-sdk/client-iam';
import type { Config } from '../config/schema.js';
import { partitionOf } from '../config/regions.js';
import { permissionStatement } from '../config/services-schema.js';
import { hasOwnTaskRole, type ServiceSpec } from '../config/normalize.js';
import { mountStatement } from './efs-policy.js';
import { canonicalJson } from '../canonical-json.js';
import { renderPolicy, type PolicyDocument, type PolicyVars } from '../render-policy.js';
import { StepError } from '../errors.js';
import {
  appDbSecretName,
  appSecretName,
  previewsAdminSecretName,
  chatbotRoleName,
  boundaryPolicyName,
  proxyRoleName,
  rdsMasterSecretName,
  repositoryName,
  roleName,
  scheduleDlqArn,
  scheduleFamilyName,
  serviceRoleName,
  boundaryArn,
} from './names.js';
import { isError } from './not-found.js';
import { ensureManagedPolicy, MANAGED_POLICY_LIMIT } from './managed-policy.js';

// The roles the wizard makes for an app (execution, task, one per service with
// permissions of its own, the scheduler's) and the permissions boundary they
// all carry. The boundary is what makes delegating role management to the CI
// role safe: whatever policy the CI role writes on these roles, they can never
// do more than the boundary, and the CI role may only create or change roles
// that carry it (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
// "Delegating responsibility to others using permissions boundaries").

export interface RoleWhere {
  app: string;
  env: string;
  preview?: { name: string; parent: string; bucketPrefix: string };
  account: string;
  region: string;
  config: Config;
}

export interface RoleSpec {
  /** execution, task, scheduler, the RDS Proxy's, or the service whose own task role this is. */
  kind: 'execution' | 'task' | 'scheduler' | 'rds-proxy' | 'chatbot' | { service: string };
  name: string;
  trust: PolicyDocument;
  inline: PolicyDocument;
  description: string;
}

/** Everything the policies are rendered from: ARNs of this app's own resources only. */
export function policyVars(
  where: { account: string; config: Config; env: string; app?: string; region?: string; preview?: { bucketPrefix: string } },
  up: { secretArn?: string; bucketNames?: string[]; userPoolArn?: string; dbSetupSecretArns?: string[] },
): PolicyVars {
  const w = { ...where, app: where.app ?? where.config.app, region: where.region ?? where.config.region };
  const partition = partitionOf(w.region);
  return {
    accountId: w.account,
    partition,
    region: w.region,
    repositoryArns: Object.keys(w.config.images).map(
      (name) => `arn:${partition}:ecr:${w.region}:${w.account}:repository/${repositoryName({ app: w.app, env: w.env, config: w.config }, name)}`,
    ),
    logGroup: `/ecs/${w.app}-${w.env}`,
    secretArn: up.secretArn,
    // The one-off database setup task reads the master and application-role credentials.
    dbSetupSecretArns: up.dbSetupSecretArns ?? [],
    kmsKeyArn: undefined, // the app secret uses the AWS managed key; a customer key would be granted here
    bucketArns: (up.bucketNames ?? []).map((b) => `arn:${partition}:s3:::${b}`),
    // A preview's objects live under its prefix of the parent's buckets (previews/NAME/), and it reaches no others.
    bucketObjectArns: (up.bucketNames ?? []).map((b) => `arn:${partition}:s3:::${b}/${where.preview?.bucketPrefix ?? ''}*`),
    userPoolArn: up.userPoolArn,
    // Admin actions (create, disable, reset users) only when the config asks for them.
    userPoolAdminArn: w.config.auth?.cognito?.adminActions ? up.userPoolArn : undefined,
  };
}

/**
 * What ECS Exec needs of the task role (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html,
 * "IAM permissions required for ECS Exec"): the four Session Manager channel actions, which IAM cannot scope to a
 * resource, and, since the task's awslogs group is where a session is logged, that group's streams (DescribeLogGroups
 * has no resource either).
 */
export function execStatements(vars: PolicyVars): PolicyDocument['Statement'] {
  const group = `arn:${vars.partition}:logs:${vars.region}:${vars.accountId}:log-group:${vars.logGroup}`;
  return [
    {
      Sid: 'EcsExecChannels',
      Effect: 'Allow',
      Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
      Resource: '*',
    },
    { Sid: 'EcsExecLogGroups', Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: '*' },
    { Sid: 'EcsExecLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], Resource: `${group}:*` },
  ];
}

/**
 * The app's EFS file system, as a service's task role names it: its ARN and each volume's access point (the
 * efs step's outputs), or, for the boundary, which is written before any of them exists, any file system that
 * carries this app's and env's tags.
 */
export type VolumeGrants = { fileSystemArn: string; accessPointArns: Record<string, string> } | { anyTagged: true };

/** The statement that lets a service mount its volumes, and no other volume. */
function volumeStatement(w: RoleWhere, svc: ServiceSpec, v: VolumeGrants, partition: string): PolicyDocument['Statement'][number] | undefined {
  if (!svc.mounts?.length) return undefined;
  const write = svc.mounts.some((m) => !m.readOnly);
  if ('anyTagged' in v)
    return {
      Sid: 'Volumes',
      Effect: 'Allow',
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Resource: `arn:${partition}:elasticfilesystem:${w.region}:${w.account}:file-system/*`,
      Condition: { StringEquals: { 'aws:ResourceTag/deploy-wizard:app': w.app, 'aws:ResourceTag/deploy-wizard:env': w.env } },
    };
  const aps = [...new Set(svc.mounts.map((m) => v.accessPointArns[m.volume]).filter((a): a is string => !!a))];
  return aps.length ? mountStatement(v.fileSystemArn, aps, write) : undefined;
}

/** The roles of this config, their trust and inline policies, rendered from `vars`. */
export function roleSpecs(w: RoleWhere, vars: PolicyVars, proxy: { secretArns?: string[] } = {}, volumes?: VolumeGrants): RoleSpec[] {
  const { app, env, config } = w;
  const trust = renderPolicy('ecs-tasks-trust', vars);
  const task = renderPolicy('task-policy', vars);
  // A preview lists only its own prefix of the parent's buckets (s3:prefix is the ListBucket request's prefix:
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html).
  const prefix = w.preview?.bucketPrefix;
  const list = prefix ? task.Statement.find((st) => st.Sid === 'ListAppBuckets') : undefined;
  if (list) list.Condition = { StringLike: { 's3:prefix': [prefix!, `${prefix}*`] } };
  // The config's own statements, after the wizard's: checked at load (named actions, ARN resources).
  config.permissions.forEach((p, i) => task.Statement.push(permissionStatement(p, `AppPermissions${i + 1}`)));
  const out: RoleSpec[] = [
    {
      kind: 'execution',
      name: roleName(app, env, 'execution'),
      trust,
      inline: renderPolicy('execution-policy', vars),
      description: `deploy-wizard: ECS execution role for ${app} (${env}): pull the image, write logs, read the app secret`,
    },
    {
      kind: 'task',
      name: roleName(app, env, 'task'),
      trust,
      inline: task,
      description: `deploy-wizard: ECS task role for ${app} (${env}): this app's buckets, secret and user pool only`,
    },
  ];
  // A service with permissions of its own gets its own task role: the shared statements and its extras.
  for (const svc of Object.values(config.services)) {
    if (!hasOwnTaskRole(svc)) continue;
    const own = { Version: task.Version, Statement: [...task.Statement] };
    (svc.permissions ?? []).forEach((p, i) => own.Statement.push(permissionStatement(p, `ServicePermissions${i + 1}`)));
    if (svc.exec) own.Statement.push(...execStatements(vars));
    const mount = volumes && volumeStatement(w, svc, volumes, String(vars.partition));
    if (mount) own.Statement.push(mount);
    out.push({
      kind: { service: svc.name },
      name: serviceRoleName(w, svc.name),
      trust,
      inline: own,
      description: `deploy-wizard: ECS task role for ${app} (${env}) service ${svc.name}: the app's task role and its own permissions${svc.exec ? ', ECS Exec' : ''}${svc.mounts?.length ? ', its volumes' : ''}`,
    });
  }
  const scheduled = [...new Set(Object.values(config.schedules).map((s) => s.service))].sort();
  if (scheduled.length) {
    const arn = (name: string) => `arn:${vars.partition}:iam::${w.account}:role/${name}`;
    // The roles its tasks run with: the execution role and each scheduled service's task role.
    const taskRoles = [
      ...new Set(scheduled.map((s) => (config.services[s] && hasOwnTaskRole(config.services[s]) ? serviceRoleName(w, s) : roleName(app, env, 'task')))),
    ];
    out.push({
      kind: 'scheduler',
      name: roleName(app, env, 'scheduler'),
      trust: renderPolicy('scheduler-trust', vars),
      inline: renderPolicy('scheduler-policy', {
        ...vars,
        // Any revision of the schedules' own families, and nothing else.
        scheduledFamilyArns: Object.keys(config.schedules)
          .sort()
          .map((k) => `arn:${vars.partition}:ecs:${vars.region}:${w.account}:task-definition/${scheduleFamilyName(w, k)}:*`),
        clusterArn: `arn:${vars.partition}:ecs:${vars.region}:${w.account}:cluster/${app}-${env}`,
        // EventBridge Scheduler starts tasks with EnableECSManagedTags and PropagateTags, which ECS authorizes as
        // ecs:TagResource with ecs:CreateAction RunTask (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
        clusterName: `${app}-${env}`,
        dlqArn: scheduleDlqArn({ app, env, account: w.account, region: w.region }),
        passRoleArns: [arn(roleName(app, env, 'execution')), ...taskRoles.map(arn)],
      }),
      description: `deploy-wizard: EventBridge Scheduler role for ${app} (${env}): run the scheduled tasks of ${scheduled.join(', ')}`,
    });
  }
  // The RDS Proxy's role (database.proxy): made by the rds-proxy step, which alone knows the secrets' ARNs; the
  // boundary covers it with their name patterns.
  if (proxy.secretArns?.length)
    out.push({
      kind: 'rds-proxy',
      name: proxyRoleName(w),
      trust: renderPolicy('rds-proxy-trust', vars),
      inline: renderPolicy('rds-proxy-policy', { ...vars, proxySecretArns: proxy.secretArns }),
      description: `deploy-wizard: RDS Proxy role for ${app} (${env}): read the database credentials it connects with`,
    });
  return out;
}

/**
 * The role AWS Chatbot assumes to post the alarms to Slack (alarms.slack): read CloudWatch, as the "Notification
 * permissions" template of the Chatbot administrator guide grants
 * (https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html), and nothing else. Made by
 * the alarms step, which alone uses it.
 */
export function chatbotRoleSpec(w: Pick<RoleWhere, 'app' | 'env'>, vars: PolicyVars): RoleSpec {
  return {
    kind: 'chatbot',
    name: chatbotRoleName(w),
    trust: renderPolicy('chatbot-trust', vars),
    inline: renderPolicy('chatbot-policy', vars),
    description: `deploy-wizard: AWS Chatbot role for ${w.app} (${w.env}): read CloudWatch to post the alarms to Slack`,
  };
}

/** Actions no role of the wizard's may ever have, whatever policy is put on it: identity, tokens, the organization. */
export const OUTSIDE_BOUNDARY = /^(iam|sts|organizations):/i;

/**
 * The boundary: the union of every statement the app's roles can have, with
 * the resources whose ids AWS generates written as the name patterns the
 * wizard gives them (the app secret `<app>/<env>-??????`, the database's
 * `<app>/<env>/*`; a user pool's id is random, so any pool of the account and
 * region). Only the config decides it, so `ci github` (an administrator) can
 * write it before any CI run, and a CI run can check it without changing it.
 * Nothing of IAM, STS or Organizations is in it, except the scheduler's
 * iam:PassRole of the app's own roles to ECS tasks.
 */
export function boundaryPolicy(w: RoleWhere): PolicyDocument {
  const partition = partitionOf(w.region);
  const secret = (rest: string) => `arn:${partition}:secretsmanager:${w.region}:${w.account}:secret:${appSecretName(w)}${rest}`;
  const c = w.config;
  const vars = policyVars(w, {
    secretArn: secret('-??????'),
    // A preview's database task signs in as the previews' role, whose secret is the previews' too (never the master's).
    dbSetupSecretArns: c.database
      ? [
          secret('/*'),
          ...(w.preview ? [`arn:${partition}:secretsmanager:${w.region}:${w.account}:secret:${previewsAdminSecretName(w.app, w.preview.parent)}-??????`] : []),
        ]
      : [],
    bucketNames: c.buckets ? c.buckets.names.map((n) => `${c.buckets!.prefix}${n}`) : [],
    userPoolArn: c.auth?.cognito ? `arn:${partition}:cognito-idp:${w.region}:${w.account}:userpool/*` : undefined,
  });
  const seen = new Map<string, { Effect: string; Action: string[]; Resource: unknown; Condition?: unknown }>();
  // The proxy's two credentials by their names; Secrets Manager adds "-" and six characters.
  const named = (name: string) => `arn:${partition}:secretsmanager:${w.region}:${w.account}:secret:${name}-??????`;
  const proxy = c.database?.proxy ? { secretArns: [rdsMasterSecretName(w), appDbSecretName(w)].map(named) } : {};
  const specs = [...roleSpecs(w, vars, proxy, { anyTagged: true }), ...(c.alarms?.slack ? [chatbotRoleSpec(w, vars)] : [])];
  for (const spec of specs) {
    for (const s of spec.inline.Statement) {
      const actions = [s.Action].flat() as string[];
      const kept = actions.filter((a) => !OUTSIDE_BOUNDARY.test(a) || (a === 'iam:PassRole' && s.Condition));
      if (!kept.length) continue;
      const resource = [s.Resource].flat().sort();
      const key = canonicalJson([resource, s.Condition ?? null]);
      const same = seen.get(key);
      if (same) same.Action = [...new Set([...same.Action, ...kept])].sort();
      else
        seen.set(key, {
          Effect: 'Allow',
          Action: [...new Set(kept)].sort(),
          Resource: resource.length === 1 ? resource[0] : resource,
          ...(s.Condition ? { Condition: s.Condition } : {}),
        });
    }
  }
  return { Version: '2012-10-17', Statement: [...seen.values()].map((s, i) => ({ Sid: `Boundary${i + 1}`, ...s })) };
}

/**
 * The boundary policy, created or converged (src/aws/managed-policy.ts). A run
 * that may not write it (the CI role) and finds it different stops with what
 * to run instead.
 */
export async function ensureBoundary(
  iam: IAMClient,
  w: Pick<RoleWhere, 'app' | 'env' | 'account' | 'region'>,
  doc: PolicyDocument,
  tags: { Key: string; Value: string }[],
): Promise<{ arn: string; changed?: 'created' | 'updated' }> {
  const arn = boundaryArn(w);
  const text = JSON.stringify(doc);
  if (text.length > MANAGED_POLICY_LIMIT)
    throw new StepError('iam-roles', `permissions boundary: ${boundaryPolicyName(w)} would be ${text.length} characters, over IAM's ${MANAGED_POLICY_LIMIT}`, {
      hint: 'Merge the config\'s "permissions" statements that share resources, or name fewer resources in them.',
    });
  try {
    return {
      arn,
      changed: await ensureManagedPolicy(iam, {
        arn,
        name: boundaryPolicyName(w),
        doc,
        description: `deploy-wizard: the most any role of ${w.app} (${w.env}) may do`,
        tags,
      }),
    };
  } catch (e) {
    if (!isError(e, 'AccessDenied', 'AccessDeniedException')) throw e;
    throw new StepError('iam-roles', `permissions boundary: ${arn} must be written, and these credentials may not write it`, {
      hint: "The CI role may never change the boundary of the roles it manages: run deploy-wizard ci github (or a deploy) once with an administrator's credentials.",
    });
  }
}
