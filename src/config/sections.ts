import { z } from 'zod';
import { rdsWindowProblems } from './rds-windows.js';
import { cidrProblem } from './cidr.js';
import { bucketNameProblem } from './bucket-name.js';
import { engineVersionProblem } from './engine-version.js';
import { KNOWN_REGIONS, regionProblem } from './regions.js';
import { closest } from './suggest.js';
import { domain, edge, site } from './edge-schema.js';
import { alarms, budget } from './alarms-schema.js';
import { previews } from './previews-schema.js';
import { stateSection } from './state-schema.js';
import { databaseDriver, databaseUrlScheme, environment, image, legacyService, partName, permission, schedule, service, volume } from './services-schema.js';

// The sections of deploy-wizard.json, each a strict object so a typo is an
// error with a suggestion, not silence. schema.ts puts them together.

// App and env names become parts of AWS resource names (RDS identifiers are
// the tightest: letters, digits, hyphens, start with a letter, no "--").
export const resourceName = z
  .string()
  .regex(/^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$/, 'use 2-32 lowercase letters, digits and single hyphens, starting with a letter');

const region = z.string().superRefine((r, ctx) => {
  const problem = regionProblem(r);
  if (problem) {
    const near = closest(r, KNOWN_REGIONS);
    ctx.addIssue({ code: 'custom', message: `${problem}${near ? `; did you mean "${near}"?` : ''}` });
  }
});

const subnetList = z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(2);

/** The VPC endpoints `network.endpoints` may ask for: S3's is a gateway (free), the others interface endpoints (per AZ). */
export const VPC_ENDPOINTS = ['s3', 'ecr', 'logs', 'secretsmanager'] as const;
export type VpcEndpointName = (typeof VPC_ENDPOINTS)[number];

const network = z
  .strictObject({
    vpc: z
      .union([z.literal('default'), z.literal('create'), z.string().regex(/^vpc-[0-9a-f]+$/)])
      .default('default')
      .describe('"default" (the account\'s default VPC), "create" (a VPC of its own in three tiers), or a VPC id'),
    cidr: z
      .string()
      .superRefine((c, ctx) => {
        const problem = cidrProblem(c);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional()
      .describe('with vpc "create": its IPv4 range, a private /16 to /22 (default: a /16 no other VPC in the region uses)'),
    azs: z
      .union([z.literal(2), z.literal(3)])
      .optional()
      .describe('with vpc "create": how many availability zones (2 or 3; default 2)'),
    nat: z
      .enum(['none', 'single', 'per-az'])
      .optional()
      .describe('with vpc "create": "single" (one NAT gateway, the default), "per-az" (one per AZ), or "none" (tasks in the public subnets)'),
    endpoints: z
      .array(z.enum(VPC_ENDPOINTS))
      .refine((a) => new Set(a).size === a.length, 'each endpoint once')
      .optional()
      .describe('with vpc "create": VPC endpoints for the private subnets (s3, ecr, logs, secretsmanager)'),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]+$/)
      .optional(),
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]+$/))
      .min(2)
      .optional(),
    publicSubnetIds: subnetList.optional().describe("the load balancer's subnets (routed to an internet gateway), in two or more AZs"),
    privateSubnetIds: subnetList
      .optional()
      .describe('where services and one-off tasks run, with no public IP (a NAT route or VPC endpoints take them out); default: the public ones'),
    dataSubnetIds: subnetList.optional().describe('where the database and cache sit, with no route to the internet; default: the private ones'),
  })
  .superRefine((n, ctx) => {
    const created = n.vpc === 'create';
    for (const k of ['cidr', 'azs', 'nat', 'endpoints'] as const)
      if (!created && n[k] !== undefined)
        ctx.addIssue({ code: 'custom', path: [k], message: 'only with "vpc": "create" (the wizard lays out only a VPC it makes)' });
    for (const k of ['vpcId', 'subnetIds', 'publicSubnetIds', 'privateSubnetIds', 'dataSubnetIds'] as const)
      if (created && n[k] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: 'not with "vpc": "create": the wizard makes the subnets; give an existing VPC\'s id as "vpc" to use your own',
        });
    const tiers = (['publicSubnetIds', 'privateSubnetIds', 'dataSubnetIds'] as const).filter((k) => n[k]);
    if (tiers.length && n.subnetIds)
      ctx.addIssue({ code: 'custom', path: ['subnetIds'], message: `give subnetIds or the tiers (${tiers.join(', ')}), not both` });
    if (tiers.length && !n.publicSubnetIds)
      ctx.addIssue({ code: 'custom', path: ['publicSubnetIds'], message: `needed with ${tiers.join(', ')}: the load balancer's subnets` });
    if (tiers.length && !n.vpcId && (n.vpc ?? 'default') === 'default')
      ctx.addIssue({ code: 'custom', path: ['vpcId'], message: 'needed with subnet tiers: the VPC they are in' });
    const seen = new Map<string, string>();
    for (const k of tiers)
      for (const id of n[k]!) {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [k], message: `${id} is in ${seen.get(id)} too; each subnet belongs to one tier` });
        seen.set(id, k);
      }
  });

const loadBalancer = z.strictObject({
  idleTimeoutSeconds: z.number().int().min(1).max(4000).default(60),
  certificateArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:(acm:[a-z0-9-]+:\d{12}:certificate\/|iam::\d{12}:server-certificate\/)/,
      'expected an ACM certificate ARN (or an IAM server certificate ARN)',
    )
    .optional(),
});

const database = z
  .strictObject({
    engine: z
      .enum(['postgres', 'aurora-postgresql'])
      .default('postgres')
      .describe('"postgres" (an RDS instance) or "aurora-postgresql" (an Aurora cluster: Serverless v2 with "serverless")'),
    serverless: z
      .strictObject({
        minAcu: z.number().min(0).max(256).multipleOf(0.5).describe('the least capacity, in Aurora capacity units of about 2 GiB (0.5 steps)'),
        maxAcu: z.number().min(1).max(256).multipleOf(0.5).describe('the most capacity it scales to'),
      })
      .refine((s) => s.minAcu <= s.maxAcu, { message: 'minAcu is above maxAcu', path: ['minAcu'] })
      .optional()
      .describe('with engine "aurora-postgresql": Serverless v2 instances (db.serverless) scaling within this range'),
    readers: z.number().int().min(0).max(15).default(0).describe('with engine "aurora-postgresql": reader instances (failover targets; DATABASE_READ_URL)'),
    engineVersion: z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'expected a PostgreSQL version such as 16.4')
      .default('16.4'),
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an RDS instance class such as db.t4g.micro')
      .default('db.t4g.micro'),
    allocatedStorageGb: z.number().int().min(20, 'gp3 storage starts at 20 GB').max(65536).default(20),
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'letters, digits and _, starting with a letter'),
    extensions: z.array(z.string().regex(/^[a-z0-9_]+$/)).default([]),
    backupRetentionDays: z.number().int().min(0).max(35).default(7).describe('days of automated backups (0 turns them off, with a brief outage)'),
    multiAz: z
      .boolean()
      .default(false)
      .describe('a standby in a second availability zone with automatic failover (about twice the instance and storage price)'),
    maxAllocatedStorageGb: z
      .number()
      .int()
      .max(65536)
      .optional()
      .describe('storage autoscaling: RDS grows the storage up to this many GB when it runs low (more than allocatedStorageGb)'),
    backupWindow: z.string().optional().describe('daily automated backup window in UTC, hh:mm-hh:mm, at least 30 minutes (default: one RDS picks)'),
    maintenanceWindow: z.string().optional().describe('weekly maintenance window in UTC, ddd:hh:mm-ddd:hh:mm, at least 30 minutes (default: one RDS picks)'),
    deletionProtection: z.boolean().optional().describe('refuse deleting the instance until it is turned off (default: on for the prod env)'),
    performanceInsights: z.boolean().default(false).describe('Performance Insights, with the free 7-day retention'),
    applyImmediately: z
      .boolean()
      .default(true)
      .describe('changes that can wait (class, storage, version, Multi-AZ, turning backups on or off) apply now; false: in the maintenance window'),
    publiclyAccessible: z.boolean().default(false),
    proxy: z
      .boolean()
      .default(false)
      .describe('RDS Proxy in front (pooled connections, TLS required): DATABASE_URL goes through it, DATABASE_DIRECT_URL reaches the instance'),
    access: z.enum(['task', 'direct']).default('task').describe('how the pgvector step reaches the database'),
    driver: databaseDriver.default('libpq'),
    urlScheme: databaseUrlScheme.optional(),
    urlParts: z.boolean().default(false).describe('also derive DB_HOST, DB_PORT, DB_NAME, DB_USER and DB_PASSWORD, for apps that assemble their own URL'),
    clientImage: z
      .string()
      .min(1)
      .optional()
      .describe(
        'image with psql, pg_dump and pg_restore for the database tasks (pgvector setup, db sql, import, export); default public.ecr.aws/docker/library/postgres:<engineVersion major>-alpine, since pg_dump refuses a newer server',
      ),
  })
  .superRefine((d, ctx) => {
    const aurora = d.engine === 'aurora-postgresql';
    if (!aurora) {
      if (d.serverless) ctx.addIssue({ code: 'custom', path: ['serverless'], message: 'only with "engine": "aurora-postgresql"' });
      if (d.readers)
        ctx.addIssue({ code: 'custom', path: ['readers'], message: 'only with "engine": "aurora-postgresql" (an RDS instance has multiAz for a standby)' });
    } else {
      if (!d.serverless && /^db\.t[34]g?\.(micro|small)$/.test(d.instanceClass))
        ctx.addIssue({
          code: 'custom',
          path: ['serverless'],
          message: `needed with engine "aurora-postgresql" (e.g. { "minAcu": 0.5, "maxAcu": 2 }), or set instanceClass to an Aurora class such as db.t4g.medium or db.r6g.large (${d.instanceClass} is not one)`,
        });
      if (d.multiAz)
        ctx.addIssue({ code: 'custom', path: ['multiAz'], message: 'not with Aurora, whose storage spans three AZs: add "readers": 1 for a standby instance' });
      if (d.maxAllocatedStorageGb !== undefined)
        ctx.addIssue({ code: 'custom', path: ['maxAllocatedStorageGb'], message: 'not with Aurora, whose storage grows by itself; remove it' });
      if (d.backupRetentionDays < 1)
        ctx.addIssue({ code: 'custom', path: ['backupRetentionDays'], message: 'Aurora keeps 1 to 35 days of backups; it cannot turn them off' });
    }
    const problem = engineVersionProblem(d.engineVersion, d.extensions, d.engine);
    if (problem) ctx.addIssue({ code: 'custom', path: ['engineVersion'], message: problem });
    if (d.maxAllocatedStorageGb !== undefined && d.maxAllocatedStorageGb <= d.allocatedStorageGb)
      ctx.addIssue({
        code: 'custom',
        path: ['maxAllocatedStorageGb'],
        message: `${d.maxAllocatedStorageGb} is not above allocatedStorageGb (${d.allocatedStorageGb}); leave it out to turn storage autoscaling off`,
      });
    for (const [key, message] of rdsWindowProblems(d.backupWindow, d.maintenanceWindow)) ctx.addIssue({ code: 'custom', path: [key], message });
  });

const cache = z
  .strictObject({
    nodeType: z
      .string()
      .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'expected a node type such as cache.t4g.micro')
      .default('cache.t4g.micro'),
    engineVersion: z
      .string()
      .regex(/^\d+(\.\d+)?$/)
      .default('7.1'),
    numNodes: z.number().int().min(1).max(6).optional().describe('the primary and its replicas (default 1); or say cache.replicas'),
    replicas: z.number().int().min(0).max(5).optional().describe('read replicas with automatic failover (numNodes - 1)'),
    multiAz: z
      .boolean()
      .optional()
      .describe('replicas in other availability zones, one promoted automatically when the primary fails (default: on with replicas)'),
    transitEncryption: z
      .boolean()
      .default(true)
      .describe('TLS between the app and Redis (REDIS_URL is rediss://); false only for clients without TLS, and only when the cluster is created'),
  })
  .superRefine((c, ctx) => {
    if (c.replicas !== undefined && c.numNodes !== undefined && c.numNodes !== c.replicas + 1)
      ctx.addIssue({
        code: 'custom',
        path: ['replicas'],
        message: `${c.replicas} replicas is ${c.replicas + 1} nodes, but numNodes is ${c.numNodes}; give one of the two`,
      });
    if (c.multiAz && (c.numNodes ?? (c.replicas ?? 0) + 1) < 2)
      ctx.addIssue({ code: 'custom', path: ['multiAz'], message: 'needs a replica to fail over to: set cache.replicas to 1 or more' });
  })
  .transform(({ replicas, ...c }) => {
    const numNodes = c.numNodes ?? (replicas ?? 0) + 1;
    return { ...c, numNodes, multiAz: c.multiAz ?? numNodes > 1 };
  });

const buckets = z
  .strictObject({
    prefix: z.string().default(''),
    names: z.array(z.string().min(1)).min(1),
    versioning: z.boolean().default(false),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.names.forEach((n, i) => {
      const full = b.prefix + n;
      const problem = bucketNameProblem(full);
      if (problem) ctx.addIssue({ code: 'custom', path: ['names', i], message: `bucket name "${full}" ${problem}` });
      if (seen.has(full)) ctx.addIssue({ code: 'custom', path: ['names', i], message: `bucket "${full}" is listed twice` });
      seen.add(full);
    });
  });

const cognito = z.strictObject({
  passwordMinLength: z.number().int().min(8).max(99).default(12),
  mfa: z.enum(['OFF', 'OPTIONAL', 'ON']).default('OFF'),
  authFlows: z.array(z.string().regex(/^ALLOW_[A-Z_]+$/)).default(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
  adminActions: z.boolean().default(false).describe('grant the task role Cognito admin actions (create, disable, reset users) on this pool'),
});

const secretKey = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'secret keys are UPPER_SNAKE_CASE');
const replaceDerived = z
  .boolean()
  .optional()
  .describe('this key has the name of one the wizard derives (DATABASE_URL, REDIS_URL, ...); true makes your value win');
const secret = z.union([
  z.strictObject({
    replaceDerived,
    generate: z.string().regex(/^(hex|base64|alnum)-(1[6-9]|[2-9]\d|1[01]\d|12[0-8])$/, 'expected hex-N, base64-N or alnum-N with N from 16 to 128'),
  }),
  z.strictObject({ prompt: z.string().min(1), optional: z.boolean().default(false), replaceDerived: replaceDerived }),
]);

const migrations = z.strictObject({
  command: z.array(z.string().min(1)).min(1),
  service: partName.optional().describe('the service whose task definition runs the migration (default: the web service on "/*", else the first)'),
  when: z
    .enum(['changed', 'always', 'skip'])
    .default('changed')
    .describe('"changed": when the revision changes (a new image or config); "always": on every deploy; "skip": never (run them with deploy-wizard run)'),
});

const validation = z.strictObject({
  url: z
    .string()
    .regex(/^https?:\/\/[^/\s]+(\/\S*)?$/, 'expected an absolute http(s) URL such as https://app.example.com/health')
    .optional()
    .describe('the URL first-boot probes (default: the load balancer; with a certificate, the name it covers)'),
  path: z.string().regex(/^\//, 'must start with /').default('/health'),
  expectStatus: z.number().int().min(100).max(599).default(200),
  timeoutSeconds: z.number().int().min(5).max(3600).default(300),
  expectJson: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

export const baseShape = {
  $schema: z.string().optional(),
  app: resourceName,
  region,
  image: image.optional().describe('the one image (or use images)'),
  images: z.record(partName, image).optional().describe('several images, each built once and pushed to its own repository'),
  service: legacyService.optional().describe('the one web service, named "web" (or use services)'),
  services: z.record(partName, service).optional().describe('web services (with a port) and workers (without), each its own ECS service'),
  schedules: z.record(partName, schedule).default({}).describe('EventBridge Scheduler schedules that run a one-off task of a service'),
  permissions: z.array(permission).default([]).describe('extra task-role statements'),
  volumes: z
    .record(partName, volume)
    .default({})
    .describe('persistent volumes (EFS) that services mount: data that outlives a task; destroy keeps it unless --delete-data'),
  environment: environment.default({}).describe('plain environment variables for every service'),
  network: network.optional(),
  loadBalancer: loadBalancer.optional(),
  database: database.optional(),
  cache: cache.optional(),
  buckets: buckets.optional(),
  auth: z.strictObject({ cognito: cognito.optional() }).optional(),
  secrets: z.record(secretKey, secret).default({}),
  migrations: migrations.optional(),
  validation: validation.optional(),
  domain: domain.optional().describe("the app's own name over HTTPS: a DNS-validated certificate and alias records in a Route 53 zone"),
  site: site.optional().describe('a static frontend served from a private bucket through CloudFront, sharing the domain with the web routes'),
  edge: edge.optional(),
  alarms: alarms
    .optional()
    .describe('an SNS topic e-mailing these addresses, CloudWatch alarms on the load balancer, services, database and cache, and a dashboard'),
  budget: budget.optional().describe('an AWS Budgets monthly cost budget with e-mails at 80% forecast and 100% actual'),
  previews: previews.optional(),
  state: stateSection.optional().describe('where the state lives: this disk (default) or S3, shared by teammates and CI'),
};

/** Everything but `environments`: what a merged, per-env config must satisfy, normalized to images and services. */
/** A config as the schema reads it, before images and services are normalized. */
export type RawConfig = z.output<z.ZodObject<typeof baseShape, z.core.$strict>>;
