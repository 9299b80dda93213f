// Regions where ECS Fargate, RDS and the rest of the pipeline exist, by
// partition: the list the pinned AWS SDK ships (its partitions table), less
// the isolated partitions. A region that is not here is almost always a typo
// ("us-east-3"); one AWS opened after this release needs a newer wizard.
const PARTITIONS = {
  aws: [
    'af-south-1',
    'ap-east-1',
    'ap-east-2',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-3',
    'ap-southeast-4',
    'ap-southeast-5',
    'ap-southeast-6',
    'ap-southeast-7',
    'ca-central-1',
    'ca-west-1',
    'eu-central-1',
    'eu-central-2',
    'eu-north-1',
    'eu-south-1',
    'eu-south-2',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'il-central-1',
    'me-central-1',
    'me-south-1',
    'me-west-1',
    'mx-central-1',
    'sa-east-1',
    'sa-west-1',
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
  ],
  'aws-cn': ['cn-north-1', 'cn-northwest-1'],
  'aws-us-gov': ['us-gov-east-1', 'us-gov-west-1'],
} as const;

export type Partition = keyof typeof PARTITIONS;

export const KNOWN_REGIONS: readonly string[] = Object.values(PARTITIONS).flat();

/** The ARN partition of a region: `arn:<partition>:...`. */
export function partitionOf(region: string): Partition {
  for (const [p, regions] of Object.entries(PARTITIONS)) if ((regions as readonly string[]).includes(region)) return p as Partition;
  return 'aws';
}

/** Why a region name is not usable, or undefined. */
export function regionProblem(region: string): string | undefined {
  if (KNOWN_REGIONS.includes(region)) return undefined;
  return `"${region}" is not an AWS region this wizard knows (e.g. us-east-1, eu-west-1)`;
}
