import { iamActionsFor } from './iam-action.js';
import { InputError } from '../errors.js';
import { MANAGED_POLICY_LIMIT } from '../aws/managed-policy.js';
import type { Config } from '../config/schema.js';
import { familyName, repositoryName, roleName, scheduleDlqArn, scheduleFamilyName, scheduleGroupName, siteBucketName, spaFunctionName } from '../aws/names.js';
import { appRoleNames, boundaryArn } from '../aws/app-roles.js';
import { alarmSpecs } from '../alarms/alarm-specs.js';

// What the CI deploy role may do: the calls each enabled step makes (as the
// steps and src/aws make them), turned into IAM actions, scoped to this app's
// exact names where the resource's ARN is known before it exists: never a
// prefix such as "shop-prod-*", which would also match env "prod-eu" or app
// "shop-prod". Services whose resources have generated ids (EC2, ELB, RDS,
// ElastiCache, Cognito, ACM, CloudFront, WAF, KMS) and calls that take no
// resource (ecs:RegisterTaskDefinition) are scoped by action only.
//
// Roles: the CI role may create and write the policies of exactly this app's
// roles, and only while they carry the app's permissions boundary
// (iam:PermissionsBoundary), which it may never change or remove. So a
// workflow that writes {"Action":"*"} on the task role still gets no more
// than the boundary allows (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
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
  /** Only on roles that carry (or are created with) this app's permissions boundary. */
  boundary?: boolean;
  /** Only on resources tagged with this app and env. */
  ownTags?: boolean;
}

const any = () => ['*'];
const arn = (w: PolicyWhere, service: string, region: string, rest: string) => `arn:${w.partition}:${service}:${region}:${w.account}:${rest}`;
const appEnv = (w: PolicyWhere) => `${w.app}-${w.env}`;
const roleArn = (w: PolicyWhere, name: string) => `arn:${w.partition}:iam::${w.account}:role/${name}`;
/** Exactly the roles this config makes. */
const roles = (w: PolicyWhere, c: Config) => appRoleNames({ app: w.app, env: w.env, config: c }).map((n) => roleArn(w, n));
/** The roles ECS tasks run with (all but the scheduler's). */
const taskRoles = (w: PolicyWhere, c: Config) => roles(w, c).filter((r) => r !== roleArn(w, roleName(w.app, w.env, 'scheduler')));
/** Every task definition family of this config: one per service, one per schedule, the database setup task's. */
const taskDefs = (w: PolicyWhere, c: Config) => [
  ...Object.keys(c.services).map((s) => arn(w, 'ecs', w.region, `task-definition/${familyName(w, s)}:*`)),
  ...Object.keys(c.schedules).map((s) => arn(w, 'ecs', w.region, `task-definition/${scheduleFamilyName(w, s)}:*`)),
  ...(c.database ? [arn(w, 'ecs', w.region, `task-definition/${appEnv(w)}-db-setup:*`)] : []),
];
const logGroup = (w: PolicyWhere) => [arn(w, 'logs', w.region, `log-group:/ecs/${appEnv(w)}:*`)];
/** The app secret is "<app>/<env>" (Secrets Manager adds "-" and six characters); the database's and the cache's are under "<app>/<env>/". */
const secrets = (w: PolicyWhere) => [
  arn(w, 'secretsmanager', w.region, `secret:${w.app}/${w.env}-??????`),
  arn(w, 'secretsmanager', w.region, `secret:${w.app}/${w.env}/*`),
];
const passTo = (service: string) => ({ StringEquals: { 'iam:PassedToService': service } });
const runTask: Grant[] = [
  { sid: 'RunOneOffTasks', calls: ['ECS:RunTask'], resources: taskDefs },
  { sid: 'WatchTasks', calls: ['ECS:DescribeTasks', 'ECS:ListTasks', 'ECS:DescribeServices', 'ECS:DescribeTaskDefinition'], resources: any },
  { sid: 'ReadTaskLogs', calls: ['Logs:GetLogEvents'], resources: logGroup },
  { sid: 'PassTaskRoles', actions: ['iam:PassRole'], resources: taskRoles, condition: passTo('ecs-tasks.amazonaws.com') },
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
        'EC2:DescribeManagedPrefixLists',
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
      resources: (w, c) => Object.keys(c.images).map((i) => arn(w, 'ecr', w.region, `repository/${repositoryName({ app: w.app, env: w.env, config: c }, i)}`)),
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
  pgvector: [...runTask, { sid: 'ReadDatabaseSecret', calls: ['SecretsManager:GetSecretValue', 'SecretsManager:DescribeSecret'], resources: secrets }],
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
      resources: secrets,
    },
  ],
  'iam-roles': [
    {
      sid: 'AppRoles',
      calls: [
        'IAM:GetRole',
        'IAM:UpdateAssumeRolePolicy',
        'IAM:ListRolePolicies',
        'IAM:GetRolePolicy',
        'IAM:DeleteRolePolicy',
        'IAM:ListAttachedRolePolicies',
        'IAM:DetachRolePolicy',
      ],
      actions: ['iam:TagRole'],
      resources: roles,
    },
    {
      // Only roles that carry (or are created with) the boundary; see the comment at the top.
      sid: 'BoundedRoles',
      calls: ['IAM:CreateRole', 'IAM:PutRolePolicy', 'IAM:PutRolePermissionsBoundary'],
      resources: roles,
      boundary: true,
    },
    { sid: 'ReadBoundary', calls: ['IAM:GetPolicy', 'IAM:GetPolicyVersion', 'IAM:ListPolicyVersions'], resources: (w) => [boundaryArn(w)] },
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
      resources: (w) => [arn(w, 'logs', w.region, `log-group:/ecs/${appEnv(w)}`), ...logGroup(w)],
    },
    { sid: 'PassRolesToTaskDefinitions', actions: ['iam:PassRole'], resources: taskRoles, condition: passTo('ecs-tasks.amazonaws.com') },
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
      // Behind the CDN: the origin header's value, made once (src/site/origin-verify.ts).
      sid: 'OriginSecret',
      calls: ['SecretsManager:DescribeSecret', 'SecretsManager:GetSecretValue', 'SecretsManager:CreateSecret', 'SecretsManager:RestoreSecret'],
      actions: ['secretsmanager:TagResource'],
      resources: secrets,
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
    { sid: 'FirstBootLogs', calls: ['Logs:GetLogEvents'], resources: logGroup },
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
      resources: (w) => [
        arn(w, 'scheduler', w.region, `schedule-group/${scheduleGroupName(w)}`),
        arn(w, 'scheduler', w.region, `schedule/${scheduleGroupName(w)}/*`),
      ],
    },
    {
      sid: 'ScheduleDeadLetters',
      calls: ['SQS:GetQueueUrl', 'SQS:CreateQueue', 'SQS:ListQueueTags', 'SQS:GetQueueAttributes', 'SQS:SetQueueAttributes', 'SQS:DeleteQueue'],
      // CreateQueue with tags is also authorized as sqs:TagQueue.
      actions: ['sqs:TagQueue'],
      resources: (w) => [scheduleDlqArn(w)],
    },
    {
      sid: 'PassSchedulerRole',
      actions: ['iam:PassRole'],
      resources: (w) => [roleArn(w, roleName(w.app, w.env, 'scheduler'))],
      condition: passTo('scheduler.amazonaws.com'),
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
    {
      // The single-page fallback beside web routes (src/site/spa-function.ts): the one function, by its exact name.
      sid: 'SpaFunction',
      calls: [
        'CloudFront:DescribeFunction',
        'CloudFront:GetFunction',
        'CloudFront:CreateFunction',
        'CloudFront:UpdateFunction',
        'CloudFront:PublishFunction',
        'CloudFront:DeleteFunction',
      ],
      actions: ['cloudfront:TagResource'],
      resources: (w) => [arn(w, 'cloudfront', '', `function/${spaFunctionName({ app: w.app, env: w.env })}`)],
    },
    { sid: 'ListOwnBucketsForSite', calls: ['S3:ListBuckets'], resources: any },
    { sid: 'ReadOriginSecret', calls: ['SecretsManager:GetSecretValue'], resources: secrets },
    {
      sid: 'SiteBucket',
      calls: [...OWNED_BUCKET_CALLS, 'S3:GetBucketPolicy', 'S3:PutBucketPolicy', 'S3:ListObjectsV2', 'S3:PutObject', 'S3:DeleteObjects'],
      resources: (w) => {
        const b = siteBucketName({ app: w.app, env: w.env, account: w.account });
        return [`arn:${w.partition}:s3:::${b}`, `arn:${w.partition}:s3:::${b}/*`];
      },
    },
  ],
  alarms: [
    { sid: 'FindAlarms', calls: ['CloudWatch:DescribeAlarms'], resources: any },
    {
      sid: 'Alarms',
      calls: ['CloudWatch:ListTagsForResource', 'CloudWatch:PutMetricAlarm'],
      actions: ['cloudwatch:TagResource'],
      resources: (w, c) => alarmNames(w, c).map((n) => arn(w, 'cloudwatch', w.region, `alarm:${n}`)),
    },
    {
      // Alarms a changed config no longer has: any name, but only while it carries this app's and env's tags.
      sid: 'StaleAlarms',
      calls: ['CloudWatch:ListTagsForResource', 'CloudWatch:DeleteAlarms'],
      resources: (w) => [arn(w, 'cloudwatch', w.region, `alarm:${appEnv(w)}-*`)],
      ownTags: true,
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

/**
 * The alarms this config can have, by the names alarm-specs gives them (the
 * cache's per-node ones end in the node's three-digit number).
 */
function alarmNames(w: PolicyWhere, c: Config): string[] {
  const services = Object.values(c.services);
  const web = services.filter((s) => s.port !== undefined);
  const specs = alarmSpecs(
    {
      app: w.app,
      env: w.env,
      loadBalancer: web.length ? 'app/x/0' : undefined,
      targetGroups: web.map((s) => ({ service: s.name, dimension: 'targetgroup/x/0' })),
      cluster: appEnv(w),
      services: services.map((s) => ({ name: s.name, serviceName: s.name })),
      database: c.database ? 'db' : undefined,
      cacheNodes: c.cache ? ['x-???', 'x-???'] : [],
    },
    {} as Parameters<typeof alarmSpecs>[1],
    'topic',
  );
  return [...new Set([...specs.map((a) => a.AlarmName), ...(c.cache ? [`${appEnv(w)}-cache-memory-high`, `${appEnv(w)}-cache-evictions`] : [])])];
}

function hostedZoneCalls() {
  return ['Route53:ListHostedZonesByName', 'Route53:GetHostedZone', 'Route53:ListResourceRecordSets', 'Route53:ChangeResourceRecordSets'];
}

/** Steps that have grants; a test checks every step of the pipeline is listed. */
export const GRANTED_STEPS = Object.keys(GRANTS);

/**
 * The deploy role's permissions for this config, as the managed policies
 * attached to it: the grants of its enabled steps, the state object, and
 * Denies that keep the role from rewriting itself or the boundary.
 * Statements with the same resources and condition are merged.
 */
export function deployPolicies(config: Config, stepIds: readonly string[], w: PolicyWhere) {
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
  const conditionOf = (g: Grant): PolicyStatement['Condition'] =>
    g.boundary
      ? { StringEquals: { 'iam:PermissionsBoundary': boundaryArn(w) } }
      : g.ownTags
        ? { StringEquals: { 'aws:ResourceTag/deploy-wizard:app': w.app, 'aws:ResourceTag/deploy-wizard:env': w.env } }
        : g.condition;
  for (const id of stepIds) {
    for (const g of GRANTS[id] ?? []) {
      const actions = [...(g.calls ?? []).flatMap(iamActionsFor), ...(g.actions ?? [])];
      add(g.sid, actions, [...new Set(g.resources(w, config))], conditionOf(g));
    }
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
    StringEquals: { 's3:prefix': [`${stateBase}.state.json`, `${stateBase}.lock`] },
  });
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
  let chunks = splitPolicy([...denies, ...out]);
  if (chunks.length > MAX_DEPLOY_POLICIES) {
    compact(out);
    chunks = splitPolicy([...denies, ...out]);
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
export function deployPolicy(config: Config, stepIds: readonly string[], w: PolicyWhere) {
  return { Version: '2012-10-17' as const, Statement: deployPolicies(config, stepIds, w).flatMap((d) => d.Statement) };
}

/** How many managed policies the deploy role's permissions may take (IAM attaches at most 10 to a role by default). */
export const MAX_DEPLOY_POLICIES = 4;

/**
 * Statements packed into documents of at most IAM's managed policy size
 * (whitespace does not count, and JSON.stringify writes none); a statement
 * too big alone is split by its resources.
 */
function splitPolicy(statements: PolicyStatement[]): { Version: '2012-10-17'; Statement: PolicyStatement[] }[] {
  const room = MANAGED_POLICY_LIMIT - 40; // the document's own {"Version":...,"Statement":[]}
  const pieces: PolicyStatement[] = [];
  const cut = (s: PolicyStatement) => {
    const resources = [s.Resource].flat();
    if (JSON.stringify(s).length <= room || resources.length < 2) return void pieces.push(s);
    const half = Math.ceil(resources.length / 2);
    cut({ ...s, Sid: `${s.Sid}A`, Resource: resources.slice(0, half) });
    cut({ ...s, Sid: `${s.Sid}B`, Resource: resources.slice(half) });
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
 * operator ("If the key that you specify in a policy condition is not present
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
