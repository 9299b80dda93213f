// On-demand list prices in USD. The flat figures below are us-east-1's; the
// regional table holds what differs by region for the six regions most apps
// run in. Each step prices what it makes (its `cost`), from these figures;
// the planner adds the lines up and says which region's prices it used.

export const HOURS = 730;
export const ALB_LCU_MONTH = 5.84; // one LCU, a light app
export const SECRET_MONTH = 0.4;
export const RDS_HOURLY: Record<string, number> = {
  'db.t4g.micro': 0.016,
  'db.t4g.small': 0.032,
  'db.t4g.medium': 0.065,
  'db.t4g.large': 0.129,
  'db.t4g.xlarge': 0.258,
  'db.t3.micro': 0.018,
  'db.t3.small': 0.036,
  'db.t3.medium': 0.072,
  'db.t3.large': 0.145,
  'db.m7g.large': 0.168,
  'db.m6g.large': 0.152,
  'db.r7g.large': 0.239,
  'db.r6g.large': 0.225,
};
export const CACHE_HOURLY: Record<string, number> = {
  'cache.t4g.micro': 0.016,
  'cache.t4g.small': 0.032,
  'cache.t4g.medium': 0.065,
  'cache.t3.micro': 0.017,
  'cache.t3.small': 0.034,
  'cache.t3.medium': 0.068,
  'cache.m7g.large': 0.158,
  'cache.r7g.large': 0.219,
};

export const round = (n: number) => Math.round(n * 100) / 100;

/** Secrets Manager's line for `n` secrets a step stores. */
export const secretsCost = (n: number) => ({
  component: 'Secrets Manager',
  size: `${n} secret(s)`,
  monthly: round(n * SECRET_MONTH),
  quantity: { n, unit: 'secret(s)' },
});

// Edge: Route 53, CloudFront, WAF (us-east-1 list prices).
export const ROUTE53_ZONE_MONTH = 0.5;
/** CloudFront to the internet, first 10 TB, North America and Europe, per GB; and per 10,000 HTTPS requests. */
export const CLOUDFRONT_GB = 0.085;
export const CLOUDFRONT_10K_HTTPS = 0.01;
/** CloudFront Functions, per million invocations (the site's single-page fallback). */
export const CLOUDFRONT_FUNCTION_MILLION = 0.1;
/** The traffic the CloudFront line assumes: stated beside the figure, never hidden. */
export const CDN_ASSUMPTION = { gb: 50, requests: 1_000_000 };
export const WAF_ACL_MONTH = 5;
export const WAF_RULE_MONTH = 1;
export const WAF_MILLION_REQUESTS = 0.6;

// Alarms and budget (us-east-1 list prices).
/** A standard-resolution alarm, per metric it reads. */
export const ALARM_METRIC_MONTH = 0.1;
/** A dashboard beyond the account's first three. */
export const DASHBOARD_MONTH = 3;
/** A customer managed KMS key (the alarm topic's: CloudWatch cannot use the AWS managed SNS key). */
export const KMS_KEY_MONTH = 1;

/** EFS Standard storage and its AWS Backup copies, per GB-month in us-east-1 (https://aws.amazon.com/efs/pricing/). */
export const EFS_STANDARD_GB_MONTH = 0.3;
export const EFS_BACKUP_GB_MONTH = 0.05;
/** Elastic throughput: per GB read and written (bursting throughput has no such charge). */
export const EFS_ELASTIC_READ_GB = 0.03;
export const EFS_ELASTIC_WRITE_GB = 0.06;

/** When the regional table was taken from the AWS pricing pages. */
export const PRICES_AS_OF = '2026-11-01';

/** What differs by region. RDS and ElastiCache instance prices scale from us-east-1's by the factor. */
export interface RegionalPrices {
  fargateVcpuHour: number;
  fargateGbHour: number;
  albHour: number;
  rdsFactor: number;
  rdsGp3GbMonth: number;
  cacheFactor: number;
  s3GbMonth: number;
  /** A NAT gateway: per hour, and per GB it processes. */
  natHour: number;
  natGb: number;
  /** An interface VPC endpoint, per AZ per hour. */
  endpointHour: number;
  /** A public IPv4 address (a NAT gateway's Elastic IP), per hour. */
  publicIpv4Hour: number;
}

/** The traffic the NAT gateway line assumes per gateway (image pulls, logs, API calls): stated beside the figure. */
export const NAT_ASSUMED_GB = 20;

export const REGIONAL: Readonly<Record<string, RegionalPrices>> = {
  'us-east-1': {
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    albHour: 0.0225,
    rdsFactor: 1,
    rdsGp3GbMonth: 0.115,
    cacheFactor: 1,
    s3GbMonth: 0.023,
    natHour: 0.045,
    natGb: 0.045,
    endpointHour: 0.01,
    publicIpv4Hour: 0.005,
  },
  'us-west-2': {
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    albHour: 0.0225,
    rdsFactor: 1,
    rdsGp3GbMonth: 0.115,
    cacheFactor: 1,
    s3GbMonth: 0.023,
    natHour: 0.045,
    natGb: 0.045,
    endpointHour: 0.01,
    publicIpv4Hour: 0.005,
  },
  'eu-west-1': {
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    albHour: 0.0252,
    rdsFactor: 1.11,
    rdsGp3GbMonth: 0.127,
    cacheFactor: 1.07,
    s3GbMonth: 0.023,
    natHour: 0.048,
    natGb: 0.048,
    endpointHour: 0.011,
    publicIpv4Hour: 0.005,
  },
  'eu-central-1': {
    fargateVcpuHour: 0.04656,
    fargateGbHour: 0.00511,
    albHour: 0.027,
    rdsFactor: 1.17,
    rdsGp3GbMonth: 0.133,
    cacheFactor: 1.15,
    s3GbMonth: 0.0245,
    natHour: 0.052,
    natGb: 0.052,
    endpointHour: 0.012,
    publicIpv4Hour: 0.005,
  },
  'ap-southeast-1': {
    fargateVcpuHour: 0.05056,
    fargateGbHour: 0.00553,
    albHour: 0.0252,
    rdsFactor: 1.38,
    rdsGp3GbMonth: 0.138,
    cacheFactor: 1.31,
    s3GbMonth: 0.025,
    natHour: 0.059,
    natGb: 0.059,
    endpointHour: 0.013,
    publicIpv4Hour: 0.005,
  },
  'ap-southeast-2': {
    fargateVcpuHour: 0.04856,
    fargateGbHour: 0.00532,
    albHour: 0.0252,
    rdsFactor: 1.38,
    rdsGp3GbMonth: 0.138,
    cacheFactor: 1.31,
    s3GbMonth: 0.025,
    natHour: 0.059,
    natGb: 0.059,
    endpointHour: 0.013,
    publicIpv4Hour: 0.005,
  },
};

/**
 * The prices for a region: its own row, else the row of the nearest region
 * on file, leaning to the dearer one so the estimate errs high (Europe →
 * eu-central-1; the Americas → us-east-1; elsewhere → ap-southeast-1).
 */
export function pricesFor(region: string): { region: string; exact: boolean; p: RegionalPrices } {
  if (REGIONAL[region]) return { region, exact: true, p: REGIONAL[region] };
  const used = /^eu-/.test(region) ? 'eu-central-1' : /^(us|ca)-/.test(region) ? 'us-east-1' : 'ap-southeast-1';
  return { region: used, exact: false, p: REGIONAL[used]! };
}

/** A Postgres instance and its gp3 storage for a month in this region; undefined for a class with no price on file. */
export function rdsMonthly(region: string, instanceClass: string, storageGb: number): number | undefined {
  const h = RDS_HOURLY[instanceClass];
  const { p } = pricesFor(region);
  return h === undefined ? undefined : round(h * p.rdsFactor * HOURS + storageGb * p.rdsGp3GbMonth);
}

/** Aurora Serverless v2, per ACU-hour (Aurora Standard, us-east-1), scaled by the region's RDS factor. */
export const AURORA_ACU_HOUR = 0.12;
/** Aurora storage, per GB-month, and I/O per million requests (Aurora Standard). */
export const AURORA_GB_MONTH = 0.1;

/** `acu` Aurora capacity units held for a month in this region. */
export function auroraMonthly(region: string, acu: number): number {
  return round(acu * AURORA_ACU_HOUR * pricesFor(region).p.rdsFactor * HOURS);
}

/** A cache node's hourly price in this region; undefined for a node type with no price on file. */
export function cacheHourly(region: string, nodeType: string): number | undefined {
  const h = CACHE_HOURLY[nodeType];
  return h === undefined ? undefined : h * pricesFor(region).p.cacheFactor;
}
