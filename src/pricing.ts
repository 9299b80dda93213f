// On-demand list prices, us-east-1, USD, as published in 2026. Other regions
// differ by up to ~30%; the estimate says so. Each step prices what it makes
// (its `cost`), from these figures; the planner adds the lines up.

export const HOURS = 730;
export const FARGATE_VCPU_HOUR = 0.04048;
export const FARGATE_GB_HOUR = 0.004445;
export const ALB_HOUR = 0.0225;
export const ALB_LCU_MONTH = 5.84; // one LCU, a light app
export const RDS_GP3_GB_MONTH = 0.115;
export const SECRET_MONTH = 0.4;
export const S3_GB_MONTH = 0.023;
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
