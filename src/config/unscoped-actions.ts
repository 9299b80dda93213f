// Actions the AWS Service Authorization Reference lists with no resource type: IAM authorizes them only on
// "*", so a permission naming them may say "resources": ["*"]. Every other action keeps needing ARNs. Each
// service's table: https://docs.aws.amazon.com/service-authorization/latest/reference/list_<service>.html
// (list_amazoncloudwatch.html, list_awsx-ray.html, list_amazons3.html, list_awssecretsmanager.html,
// list_amazonbedrock.html, list_awskeymanagementservice.html, list_amazonsqs.html, list_amazonsns.html,
// list_awssystemsmanager.html, list_amazontextract.html, list_amazontranslate.html, list_amazonrekognition.html).
export const UNSCOPED_ACTIONS: ReadonlySet<string> = new Set([
  'cloudwatch:PutMetricData',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetMetricStatistics',
  'cloudwatch:ListMetrics',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  's3:ListAllMyBuckets',
  'secretsmanager:GetRandomPassword',
  'bedrock:ListFoundationModels',
  'kms:ListKeys',
  'sqs:ListQueues',
  'sns:ListTopics',
  'ssm:DescribeParameters',
  'textract:DetectDocumentText',
  'textract:AnalyzeDocument',
  'translate:TranslateText',
  'rekognition:DetectLabels',
  'rekognition:DetectText',
]);
