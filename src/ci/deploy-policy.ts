import { iamActionsFor } from './iam-action.js';
import type { Config } from '../config/schema.js';

// What the CI deploy role may do: the calls each enabled step makes (as the
// steps and src/aws make them), turned into IAM actions, scoped to this app's
// names where the resource's ARN is known before it exists. Services whose
// resources have generated ids (EC2, ELB, RDS, ElastiCache, Cognito, ACM,
// CloudFront, WAF, KMS) are scoped by action only: IAM cannot name a security
// group before it is created.

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyWhere {
  app: string;
  env: string;
  account: string;
  region: string;
  partition: string;
  /** The S3 state this deploy reads and writes. */
  state: { bucket: string; prefix: string };
  /** The deploy role itself: never writable by itself. */
  deployRoleName: string;
}

interface Grant {
  sid: string;
  /** SDK calls, as the call hook names them ("ECS:CreateService"). */
  calls?: string[];
  /** IAM actions no SDK call of ours names (docker's pushes to ECR, tagging on create). */
  actions?: string[];
  resources: (w: PolicyWhere, c: Config) => string[];
  condition?: PolicyStatement['Condition'];
}

const any = () => ['*'];
const arn = (w: PolicyWhere, service: string, region: string, rest: string) => `arn:${w.partition}:${service}:${region}:${w.account}:${rest}`;
const appEnv = (w: PolicyWhere) => `${w.app}-${w.env}`;
/** Role names are "<app>-<env>-<kind>", shortened with a hash past 64 characters: the first 30 characters always stay. */
const rolePrefix = (w: PolicyWhere) => `${w.app}-${w.env}-`.slice(0, 30);
const roles = (w: PolicyWhere) => [`arn:${w.partition}:iam::${w.account}:role/${rolePrefix(w)}*`];
const taskDefs = (w: PolicyWhere) => [arn(w, 'ecs', w.region, `task-definition/${appEnv(w)}-*:*`)];
const runTask: Grant[] = [
  { sid: 'RunOneOffTasks', calls: ['ECS:RunTask'], resources: taskDefs },
  { sid: 'WatchTasks', calls: ['ECS:DescribeTasks', 'ECS:ListTasks', 'ECS:DescribeServices', 'ECS:DescribeTaskDefinition'], resources: any },
  { sid: 'ReadTaskLogs', calls: ['Logs:GetLogEvents'], resources: (w) => [arn(w, 'logs', w.region, `log-group:/ecs/${appEnv(w)}:*`)] },
  {
    sid: 'PassTaskRoles',
    actions: ['iam:PassRole'],
    resources: roles,
    condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  },
];

/** What src/aws/bucket.ts calls to make or adopt a bucket the wizard owns (the app's and the site's). */
const OWNED_BUCKET_CALLS = [
  'S3:HeadBucket',
  'S3:CreateBucket',
  'S3:GetBucketTagging',
  'S3:PutBucketTagging',
  'S3:GetPublicAccessBlock',
  'S3:PutPublicAccessBlock',
  'S3:GetBucketEncryption',
  'S3:PutBucketEncryption',
  'S3:GetBucketVersioning',
  'S3:PutBucketVersioning',
];

/** Each step's grants, by step id. A step missing here gets nothing, and the policy test fails on its calls. */
const GRANTS: Record<string, Grant[]> = {
  network: [
    {
      sid: 'Network',
      calls: [
        'EC2:DescribeVpcs',
        'EC2:DescribeSubnets',
        'EC2:DescribeRouteTables',
        'EC2:DescribeVpcEndpoints',
        'EC2:DescribeSecurityGroups',
        'EC2:CreateSecurityGroup',
        'EC2:AuthorizeSecurityGroupIngress',
        'EC2:RevokeSecurityGroupIngress',
      ],
      actions: ['ec2:CreateTags'],
      resources: any,
    },
  ],
  'ecr-push': [
    { sid: 'RegistryLogin', calls: ['ECR:GetAuthorizationToken'], resources: any },
    {
      sid: 'Repositories',
      calls: [
        'ECR:DescribeRepositories',
        'ECR:CreateRepository',
        'ECR:ListTagsForResource',
        'ECR:GetLifecyclePolicy',
        'ECR:PutLifecyclePolicy',
        'ECR:PutImageScanningConfiguration',
        'ECR:PutImageTagMutability',
        'ECR:DescribeImages',
        'ECR:BatchGetImage',
      ],
      // What `docker push` calls on the registry, and tagging the repository as it is made.
      actions: [
        'ecr:TagResource',
        'ecr:BatchCheckLayerAvailability',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
        'ecr:GetDownloadUrlForLayer',
      ],
      resources: (w, c) => [
        arn(w, 'ecr', w.region, `repository/${appEnv(w)}`),
        arn(w, 'ecr', w.region, `repository/${appEnv(w)}-*`),
        ...Object.values(c.images).flatMap((i) => (i.repository ? [arn(w, 'ecr', w.region, `repository/${i.repository}`)] : [])),
      ],
    },
  ],
  rds: [
    {
      sid: 'Database',
      calls: [
        'RDS:DescribeDBInstances',
        'RDS:DescribeDBSubnetGroups',
        'RDS:CreateDBInstance',
        'RDS:CreateDBSubnetGroup',
        'RDS:ModifyDBInstance',
        'RDS:ModifyDBSubnetGroup',
      ],
      actions: ['rds:AddTagsToResource', 'rds:ListTagsForResource'],
      resources: any,
    },
  ],
  pgvector: [
    ...runTask,
    { sid: 'ReadDatabaseSecret', calls: ['SecretsManager:GetSecretValue', 'SecretsManager:DescribeSecret'], resources: (w) => [secrets(w)] },
  ],
  elasticache: [
    {
      sid: 'Cache',
      calls: [
        'ElastiCache:DescribeReplicationGroups',
        'ElastiCache:DescribeCacheClusters',
        'ElastiCache:DescribeCacheSubnetGroups',
        'ElastiCache:ListTagsForResource',
        'ElastiCache:CreateCacheSubnetGroup',
        'ElastiCache:CreateReplicationGroup',
        'ElastiCache:ModifyCacheSubnetGroup',
        'ElastiCache:ModifyReplicationGroup',
        'ElastiCache:IncreaseReplicaCount',
        'ElastiCache:DecreaseReplicaCount',
      ],
      actions: ['elasticache:AddTagsToResource'],
      resources: any,
    },
  ],
  's3-buckets': [
    { sid: 'ListOwnBuckets', calls: ['S3:ListBuckets'], resources: any },
    {
      sid: 'AppBuckets',
      calls: OWNED_BUCKET_CALLS,
      resources: (w, c) => (c.buckets ? c.buckets.names.map((n) => `arn:${w.partition}:s3:::${c.buckets!.prefix}${n}`) : []),
    },
  ],
  cognito: [
    {
      sid: 'UserPool',
      calls: [
        'Cognito:ListUserPools',
        'Cognito:DescribeUserPool',
        'Cognito:CreateUserPool',
        'Cognito:UpdateUserPool',
        'Cognito:GetUserPoolMfaConfig',
        'Cognito:SetUserPoolMfaConfig',
        'Cognito:ListUserPoolClients',
        'Cognito:DescribeUserPoolClient',
        'Cognito:CreateUserPoolClient',
        'Cognito:UpdateUserPoolClient',
      ],
      actions: ['cognito-idp:TagResource', 'cognito-idp:ListTagsForResource'],
      resources: any,
    },
  ],
  secrets: [
    {
      sid: 'AppSecrets',
      calls: [
        'SecretsManager:DescribeSecret',
        'SecretsManager:GetSecretValue',
        'SecretsManager:CreateSecret',
        'SecretsManager:PutSecretValue',
        'SecretsManager:RestoreSecret',
      ],
      actions: ['secretsmanager:TagResource'],
      resources: (w) => [secrets(w)],
    },
  ],
  'iam-roles': [
    {
      sid: 'AppRoles',
      calls: [
        'IAM:GetRole',
        'IAM:CreateRole',
        'IAM:UpdateAssumeRolePolicy',
        'IAM:ListRolePolicies',
        'IAM:GetRolePolicy',
        'IAM:PutRolePolicy',
        'IAM:DeleteRolePolicy',
        'IAM:ListAttachedRolePolicies',
        'IAM:AttachRolePolicy',
        'IAM:DetachRolePolicy',
      ],
      actions: ['iam:TagRole'],
      resources: roles,
    },
  ],
  'task-definition': [
    {
      sid: 'TaskDefinitions',
      calls: ['ECS:RegisterTaskDefinition', 'ECS:DescribeTaskDefinition', 'Logs:DescribeLogGroups'],
      actions: ['ecs:TagResource'],
      resources: any,
    },
    {
      sid: 'LogGroup',
      calls: ['Logs:CreateLogGroup', 'Logs:PutRetentionPolicy'],
      actions: ['logs:TagResource', 'logs:TagLogGroup'],
      resources: (w) => [arn(w, 'logs', w.region, `log-group:/ecs/${appEnv(w)}`), arn(w, 'logs', w.region, `log-group:/ecs/${appEnv(w)}:*`)],
    },
    {
      sid: 'PassRolesToTaskDefinitions',
      actions: ['iam:PassRole'],
      resources: roles,
      condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
  ],
  migrations: runTask,
  'load-balancer': [
    {
      sid: 'LoadBalancer',
      calls: [
        'ELBv2:DescribeLoadBalancers',
        'ELBv2:DescribeLoadBalancerAttributes',
        'ELBv2:DescribeListeners',
        'ELBv2:DescribeRules',
        'ELBv2:DescribeTags',
        'ELBv2:DescribeTargetGroups',
        'ELBv2:DescribeTargetGroupAttributes',
        'ELBv2:CreateLoadBalancer',
        'ELBv2:CreateListener',
        'ELBv2:CreateRule',
        'ELBv2:CreateTargetGroup',
        'ELBv2:DeleteRule',
        'ELBv2:ModifyListener',
        'ELBv2:ModifyLoadBalancerAttributes',
        'ELBv2:ModifyRule',
        'ELBv2:ModifyTargetGroup',
        'ELBv2:ModifyTargetGroupAttributes',
        'ELBv2:SetSecurityGroups',
        'ELBv2:SetSubnets',
      ],
      actions: ['elasticloadbalancing:AddTags'],
      resources: any,
    },
    {
      sid: 'LoadBalancerServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: any,
      condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
    },
  ],
  service: [
    {
      sid: 'Cluster',
      calls: ['ECS:DescribeClusters', 'ECS:CreateCluster'],
      actions: ['ecs:TagResource'],
      resources: (w) => [arn(w, 'ecs', w.region, `cluster/${appEnv(w)}`)],
    },
    {
      sid: 'Services',
      calls: ['ECS:CreateService', 'ECS:UpdateService', 'ECS:DeleteService'],
      actions: ['ecs:TagResource'],
      resources: (w) => [arn(w, 'ecs', w.region, `service/${appEnv(w)}/*`)],
    },
    {
      sid: 'ReadServices',
      calls: ['ECS:DescribeServices', 'ECS:ListServices', 'ECS:ListTaskDefinitions', 'ECS:DescribeTaskDefinition', 'ECS:DeregisterTaskDefinition'],
      resources: any,
    },
    {
      // Target groups of removed services go once the services are gone.
      sid: 'RetiredTargetGroups',
      calls: ['ELBv2:DescribeLoadBalancers', 'ELBv2:DescribeTags', 'ELBv2:DescribeTargetGroups', 'ELBv2:DeleteTargetGroup'],
      resources: any,
    },
    {
      sid: 'Autoscaling',
      calls: [
        'ApplicationAutoScaling:DescribeScalableTargets',
        'ApplicationAutoScaling:DescribeScalingPolicies',
        'ApplicationAutoScaling:RegisterScalableTarget',
        'ApplicationAutoScaling:DeregisterScalableTarget',
        'ApplicationAutoScaling:PutScalingPolicy',
        'ApplicationAutoScaling:DeleteScalingPolicy',
      ],
      resources: any,
    },
    {
      sid: 'ServiceLinkedRoles',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: any,
      condition: {
        StringEquals: {
          'iam:AWSServiceName': ['ecs.amazonaws.com', 'ecs.application-autoscaling.amazonaws.com', 'rds.amazonaws.com', 'elasticache.amazonaws.com'],
        },
      },
    },
  ],
  'first-boot': [
    {
      sid: 'FirstBootChecks',
      calls: ['ECS:DescribeServices', 'ECS:DescribeTasks', 'ECS:ListTasks', 'ELBv2:DescribeTargetHealth', 'ACM:DescribeCertificate'],
      resources: any,
    },
    { sid: 'FirstBootLogs', calls: ['Logs:GetLogEvents'], resources: (w) => [arn(w, 'logs', w.region, `log-group:/ecs/${appEnv(w)}:*`)] },
  ],
  schedules: [
    {
      sid: 'Schedules',
      calls: [
        'Scheduler:GetScheduleGroup',
        'Scheduler:CreateScheduleGroup',
        'Scheduler:ListSchedules',
        'Scheduler:GetSchedule',
        'Scheduler:CreateSchedule',
        'Scheduler:UpdateSchedule',
        'Scheduler:DeleteSchedule',
        'Scheduler:ListTagsForResource',
      ],
      actions: ['scheduler:TagResource'],
      resources: (w) => [arn(w, 'scheduler', w.region, `schedule-group/${appEnv(w)}`), arn(w, 'scheduler', w.region, `schedule/${appEnv(w)}/*`)],
    },
    {
      sid: 'PassSchedulerRole',
      actions: ['iam:PassRole'],
      resources: roles,
      condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
  ],
  certificate: [
    {
      sid: 'Certificates',
      calls: ['ACM:ListCertificates', 'ACM:DescribeCertificate', 'ACM:ListTagsForCertificate', 'ACM:RequestCertificate'],
      actions: ['acm:AddTagsToCertificate'],
      resources: any,
    },
    { sid: 'ValidationRecords', calls: hostedZoneCalls(), resources: any },
  ],
  dns: [{ sid: 'AliasRecords', calls: [...hostedZoneCalls(), 'ELBv2:DescribeLoadBalancers'], resources: any }],
  waf: [
    {
      sid: 'WebAcl',
      calls: [
        'WAFV2:ListWebACLs',
        'WAFV2:GetWebACL',
        'WAFV2:CreateWebACL',
        'WAFV2:UpdateWebACL',
        'WAFV2:ListTagsForResource',
        'WAFV2:GetWebACLForResource',
        'WAFV2:AssociateWebACL',
      ],
      actions: [
        'wafv2:TagResource',
        'elasticloadbalancing:SetWebACL',
        'cloudfront:UpdateDistribution',
        'cloudfront:GetDistribution',
        'cloudfront:GetDistributionConfig',
      ],
      resources: any,
    },
  ],
  site: [
    {
      sid: 'Cdn',
      calls: [
        'CloudFront:ListDistributions',
        'CloudFront:GetDistribution',
        'CloudFront:GetDistributionConfig',
        'CloudFront:CreateDistributionWithTags',
        'CloudFront:UpdateDistribution',
        'CloudFront:ListTagsForResource',
        'CloudFront:ListOriginAccessControls',
        'CloudFront:CreateOriginAccessControl',
        'CloudFront:CreateInvalidation',
        'CloudFront:GetInvalidation',
      ],
      resources: any,
    },
    { sid: 'ListOwnBucketsForSite', calls: ['S3:ListBuckets'], resources: any },
    {
      sid: 'SiteBucket',
      calls: [...OWNED_BUCKET_CALLS, 'S3:GetBucketPolicy', 'S3:PutBucketPolicy', 'S3:ListObjectsV2', 'S3:PutObject', 'S3:DeleteObjects'],
      resources: (w) => [
        `arn:${w.partition}:s3:::${appEnv(w)}-site-*`,
        `arn:${w.partition}:s3:::${appEnv(w)}-site-*/*`,
        `arn:${w.partition}:s3:::${appEnv(w).slice(0, 36)}*-site-*`,
      ],
    },
  ],
  alarms: [
    {
      sid: 'Alarms',
      calls: ['CloudWatch:DescribeAlarms', 'CloudWatch:ListTagsForResource', 'CloudWatch:PutMetricAlarm', 'CloudWatch:DeleteAlarms'],
      actions: ['cloudwatch:TagResource'],
      resources: (w) => [arn(w, 'cloudwatch', w.region, `alarm:${appEnv(w)}-*`)],
    },
    {
      sid: 'Dashboard',
      calls: ['CloudWatch:GetDashboard', 'CloudWatch:PutDashboard'],
      resources: (w) => [`arn:${w.partition}:cloudwatch::${w.account}:dashboard/${appEnv(w)}`],
    },
    { sid: 'AlarmDimensions', calls: ['ElastiCache:DescribeReplicationGroups'], resources: any },
    {
      sid: 'AlarmTopic',
      calls: [
        'SNS:CreateTopic',
        'SNS:GetTopicAttributes',
        'SNS:SetTopicAttributes',
        'SNS:ListSubscriptionsByTopic',
        'SNS:Subscribe',
        'SNS:Unsubscribe',
        'SNS:ListTagsForResource',
      ],
      actions: ['sns:TagResource'],
      resources: (w) => [arn(w, 'sns', w.region, `${appEnv(w)}-alarms`)],
    },
    {
      sid: 'AlarmTopicKey',
      calls: ['KMS:ListKeys', 'KMS:DescribeKey', 'KMS:ListResourceTags', 'KMS:CreateKey', 'KMS:CreateAlias'],
      actions: ['kms:TagResource', 'kms:ListAliases'],
      resources: any,
    },
  ],
  budget: [
    {
      sid: 'Budget',
      calls: [
        'Budgets:DescribeBudget',
        'Budgets:CreateBudget',
        'Budgets:UpdateBudget',
        'Budgets:DescribeNotificationsForBudget',
        'Budgets:CreateNotification',
        'Budgets:DeleteNotification',
      ],
      resources: (w) => [`arn:${w.partition}:budgets::${w.account}:budget/deploy-wizard-${appEnv(w)}`],
    },
  ],
};

function hostedZoneCalls() {
  return ['Route53:ListHostedZonesByName', 'Route53:GetHostedZone', 'Route53:ListResourceRecordSets', 'Route53:ChangeResourceRecordSets'];
}
function secrets(w: PolicyWhere) {
  return arn(w, 'secretsmanager', w.region, `secret:${w.app}/${w.env}*`);
}

/** Steps that have grants; a test checks every step of the pipeline is listed. */
export const GRANTED_STEPS = Object.keys(GRANTS);

/**
 * The deploy role's permissions for this config: the grants of its enabled
 * steps, the state object, and a Deny that keeps the role from rewriting
 * itself. Statements with the same resources and condition are merged.
 */
export function deployPolicy(config: Config, stepIds: readonly string[], w: PolicyWhere) {
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
  for (const id of stepIds) {
    for (const g of GRANTS[id] ?? []) {
      const actions = [...(g.calls ?? []).flatMap(iamActionsFor), ...(g.actions ?? [])];
      add(g.sid, actions, [...new Set(g.resources(w, config))], g.condition);
    }
  }
  const stateBase = `arn:${w.partition}:s3:::${w.state.bucket}/${w.state.prefix}${w.app}/${w.env}`;
  add('StateObject', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [`${stateBase}.state.json`, `${stateBase}.lock`]);
  compactIfLarge(out);
  out.push({
    Sid: 'NeverItself',
    Effect: 'Deny',
    Action: ['iam:*'],
    Resource: `arn:${w.partition}:iam::${w.account}:role/${w.deployRoleName}`,
  });
  return { Version: '2012-10-17' as const, Statement: out };
}

/** IAM's limit on a role's inline policies, in characters (whitespace not counted). */
export const INLINE_POLICY_LIMIT = 10_240;

/**
 * A big app (every step enabled) can pass the inline policy limit. Then the
 * read-only actions of statements on "*" become one Describe*, List* and
 * Get* per service: reads widen a little, writes stay exactly as listed.
 */
function compactIfLarge(out: PolicyStatement[]): void {
  // Room for the Deny statement that follows.
  if (JSON.stringify(out).length <= INLINE_POLICY_LIMIT - 400) return;
  for (const s of out) {
    if (s.Resource !== '*') continue;
    s.Action = [...new Set(s.Action.map((a) => a.replace(/^([a-z0-9-]+):(Describe|List|Get)[A-Za-z0-9]+$/, '$1:$2*')))].sort();
  }
}

/** Whether a policy allows `action` on `resource` (wildcards * and ? as IAM reads them; conditions are not evaluated). */
export function allows(policy: { Statement: PolicyStatement[] }, action: string, resource = '*'): boolean {
  const match = (pattern: string, value: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    ).test(value);
  const hits = (s: PolicyStatement) =>
    s.Action.some((a) => match(a, action)) && [s.Resource].flat().some((r) => r === '*' || resource === '*' || match(r, resource));
  if (policy.Statement.some((s) => s.Effect === 'Deny' && hits(s) && resource !== '*')) return false;
  return policy.Statement.some((s) => s.Effect === 'Allow' && hits(s));
}
