import type { Config } from './config/schema.js';

// On-demand list prices, us-east-1, USD, as published in 2026. Other regions
// differ by up to ~30%; the estimate says so. Hours per month: 730.
const HOURS = 730;
const FARGATE_VCPU_HOUR = 0.04048;
const FARGATE_GB_HOUR = 0.004445;
const ALB_HOUR = 0.0225;
const ALB_LCU_MONTH = 5.84; // one LCU, a light app
const RDS_GP3_GB_MONTH = 0.115;
const SECRET_MONTH = 0.4;
const RDS_HOURLY: Record<string, number> = {
  'db.t4g.micro': 0.016, 'db.t4g.small': 0.032, 'db.t4g.medium': 0.065, 'db.t4g.large': 0.129, 'db.t4g.xlarge': 0.258,
  'db.t3.micro': 0.018, 'db.t3.small': 0.036, 'db.t3.medium': 0.072, 'db.t3.large': 0.145,
  'db.m7g.large': 0.168, 'db.m6g.large': 0.152, 'db.r7g.large': 0.239, 'db.r6g.large': 0.225,
};
const CACHE_HOURLY: Record<string, number> = {
  'cache.t4g.micro': 0.016, 'cache.t4g.small': 0.032, 'cache.t4g.medium': 0.065,
  'cache.t3.micro': 0.017, 'cache.t3.small': 0.034, 'cache.t3.medium': 0.068,
  'cache.m7g.large': 0.158, 'cache.r7g.large': 0.219,
};

export interface CostLine {
  component: string;
  size: string;
  monthly: number | undefined;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** A monthly estimate for what the config deploys; unknown sizes are shown without a price, not guessed. */
export function estimateCost(c: Config): { lines: CostLine[]; total: number; note: string } {
  const lines: CostLine[] = [];
  const s = c.service;
  const perTask = ((s.cpu / 1024) * FARGATE_VCPU_HOUR + (s.memory / 1024) * FARGATE_GB_HOUR) * HOURS;
  lines.push({ component: 'ECS Fargate', size: `${s.desiredCount} × ${s.cpu / 1024} vCPU / ${s.memory / 1024} GB`, monthly: round(perTask * s.desiredCount) });
  lines.push({ component: 'Application Load Balancer', size: '1, light traffic', monthly: round(ALB_HOUR * HOURS + ALB_LCU_MONTH) });
  // The app secret exists only when there is something to put in it.
  let secrets = Object.keys(c.secrets).length || c.database || c.cache || c.auth?.cognito ? 1 : 0;
  if (c.database) {
    const h = RDS_HOURLY[c.database.instanceClass];
    lines.push({
      component: 'RDS PostgreSQL',
      size: `${c.database.instanceClass}, ${c.database.allocatedStorageGb} GB gp3`,
      monthly: h === undefined ? undefined : round(h * HOURS + c.database.allocatedStorageGb * RDS_GP3_GB_MONTH),
    });
    secrets++;
  }
  if (c.cache) {
    const h = CACHE_HOURLY[c.cache.nodeType];
    lines.push({ component: 'ElastiCache Redis', size: `${c.cache.numNodes} × ${c.cache.nodeType}`, monthly: h === undefined ? undefined : round(h * HOURS * c.cache.numNodes) });
    secrets++;
  }
  if (c.buckets) lines.push({ component: 'S3', size: `${c.buckets.names.length} bucket(s), ~10 GB`, monthly: round(0.023 * 10 + 0.5) });
  if (c.auth?.cognito) lines.push({ component: 'Cognito', size: 'under 10,000 monthly active users', monthly: 0 });
  if (secrets) lines.push({ component: 'Secrets Manager', size: `${secrets} secret(s)`, monthly: round(secrets * SECRET_MONTH) });
  lines.push({ component: 'CloudWatch Logs', size: '~5 GB ingested', monthly: 2.5 });
  lines.push({ component: 'ECR', size: '~1 GB of images', monthly: 0.1 });
  const total = round(lines.reduce((a, l) => a + (l.monthly ?? 0), 0));
  const unknown = lines.filter((l) => l.monthly === undefined).map((l) => l.size);
  const note =
    `On-demand list prices for us-east-1; ${c.region === 'us-east-1' ? 'data transfer not included' : `${c.region} is typically up to 30% higher`}.` +
    (unknown.length ? ` No price on file for ${unknown.join(', ')}: not included in the total.` : '');
  return { lines, total, note };
}
