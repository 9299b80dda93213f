// The IAM action each SDK call needs. Most are "<prefix>:<Command>"; the
// exceptions are where the API name and the action name part (S3 above all).
// Source: the Service Authorization Reference's action tables.

/** The IAM service prefix of each client, by the name src/aws/clients.ts reports it under. */
export const IAM_PREFIX: Record<string, string> = {
  ECR: 'ecr',
  S3: 's3',
  State: 's3',
  STS: 'sts',
  EC2: 'ec2',
  RDS: 'rds',
  ElastiCache: 'elasticache',
  EFS: 'elasticfilesystem',
  ServiceDiscovery: 'servicediscovery',
  SecretsManager: 'secretsmanager',
  Cognito: 'cognito-idp',
  IAM: 'iam',
  ECS: 'ecs',
  ELBv2: 'elasticloadbalancing',
  Logs: 'logs',
  CloudWatch: 'cloudwatch',
  KMS: 'kms',
  SNS: 'sns',
  Budgets: 'budgets',
  CostExplorer: 'ce',
  ACM: 'acm',
  ApplicationAutoScaling: 'application-autoscaling',
  Scheduler: 'scheduler',
  SQS: 'sqs',
  Route53: 'route53',
  CloudFront: 'cloudfront',
  WAFV2: 'wafv2',
  Chatbot: 'chatbot',
};

const S3_ACTIONS: Record<string, string[]> = {
  HeadBucket: ['s3:ListBucket'],
  ListObjectsV2: ['s3:ListBucket'],
  ListObjectVersions: ['s3:ListBucketVersions'],
  ListBuckets: ['s3:ListAllMyBuckets'],
  HeadObject: ['s3:GetObject'],
  DeleteObjects: ['s3:DeleteObject'],
  GetBucketEncryption: ['s3:GetEncryptionConfiguration'],
  PutBucketEncryption: ['s3:PutEncryptionConfiguration'],
  GetPublicAccessBlock: ['s3:GetBucketPublicAccessBlock'],
  PutPublicAccessBlock: ['s3:PutBucketPublicAccessBlock'],
  GetBucketLifecycleConfiguration: ['s3:GetLifecycleConfiguration'],
  PutBucketLifecycleConfiguration: ['s3:PutLifecycleConfiguration'],
};

const OTHER: Record<string, string[]> = {
  // Needs no permission: any signed request may ask who it is.
  'STS:GetCallerIdentity': [],
  'CloudFront:CreateDistributionWithTags': ['cloudfront:CreateDistribution', 'cloudfront:TagResource'],
  'Budgets:DescribeBudget': ['budgets:ViewBudget'],
  'Budgets:DescribeNotificationsForBudget': ['budgets:ViewBudget'],
  'Budgets:CreateBudget': ['budgets:ModifyBudget'],
  'Budgets:UpdateBudget': ['budgets:ModifyBudget'],
  'Budgets:CreateNotification': ['budgets:ModifyBudget'],
  'Budgets:DeleteNotification': ['budgets:ModifyBudget'],
  'Logs:GetLogEvents': ['logs:GetLogEvents'],
};

/** The IAM actions one call ("Service:Command", as the call hook names it) needs. */
export function iamActionsFor(call: string): string[] {
  const [service, command] = call.split(':') as [string, string];
  if (call in OTHER) return OTHER[call]!;
  const prefix = IAM_PREFIX[service];
  if (!prefix) throw new Error(`no IAM prefix known for ${service}`);
  if (prefix === 's3' && command in S3_ACTIONS) return S3_ACTIONS[command]!;
  return [`${prefix}:${command}`];
}
