import { z } from 'zod';
import { fargateProblem } from './fargate.js';
import { bucketNameProblem } from './bucket-name.js';
import { engineVersionProblem } from './engine-version.js';
import { ALL_DERIVED_KEYS } from '../secrets/derived-keys.js';
import { KNOWN_REGIONS, regionProblem } from './regions.js';
import { closest } from './suggest.js';

// The one schema for deploy-wizard.json. Types are inferred from it and the
// shipped JSON Schema (schema/deploy-wizard.schema.json) is generated from it.
// Every object is strict so a typo is an error with a suggestion, not silence.

// App and env names become parts of AWS resource names (RDS identifiers are
// the tightest: letters, digits, hyphens, start with a letter, no "--").
const resourceName = z
  .string()
  .regex(/^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$/, 'use 2-32 lowercase letters, digits and single hyphens, starting with a letter');

const region = z.string().superRefine((r, ctx) => {
  const problem = regionProblem(r);
  if (problem) {
    const near = closest(r, KNOWN_REGIONS);
    ctx.addIssue({ code: 'custom', message: `${problem}${near ? `; did you mean "${near}"?` : ''}` });
  }
});

const buildArg = z.union([
  z.string().describe('a literal value'),
  z.strictObject({
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .describe('read the value from this environment variable at build time'),
    optional: z.boolean().default(false).describe('when the variable is unset, build without the arg (the Dockerfile default applies) instead of stopping'),
  }),
]);

const image = z.strictObject({
  context: z.string().min(1).default('.').describe('build context, relative to the config file'),
  dockerfile: z.string().min(1).default('Dockerfile').describe('Dockerfile path, relative to the config file; must be inside the context'),
  platform: z.enum(['linux/amd64', 'linux/arm64']).default('linux/amd64'),
  target: z.string().min(1).optional().describe('multi-stage build target'),
  buildArgs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'build arg names are letters, digits and _'), buildArg).default({}),
  repository: resourceName.optional().describe('ECR repository name; default <app>-<env>'),
  idleTimeoutSeconds: z
    .number()
    .int()
    .min(5)
    .max(7200)
    .default(600)
    .describe('a build or push that reports no progress for this long is stopped with an error'),
});

const service = z
  .strictObject({
    port: z.number().int().min(1).max(65535),
    cpu: z.number().int().default(512).describe('Fargate CPU units (256 = 0.25 vCPU)'),
    memory: z.number().int().default(1024).describe('Fargate memory in MiB'),
    desiredCount: z.number().int().min(0).max(100).default(1),
    healthCheckPath: z.string().regex(/^\//, 'must start with /').default('/health'),
    environment: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .default({})
      .describe('plain (non-secret) environment variables'),
    logRetentionDays: z
      .union([
        z.literal(1),
        z.literal(3),
        z.literal(5),
        z.literal(7),
        z.literal(14),
        z.literal(30),
        z.literal(60),
        z.literal(90),
        z.literal(180),
        z.literal(365),
      ])
      .default(30),
    healthCheckGracePeriodSeconds: z.number().int().min(0).max(2_147_483_647).default(60),
    containerHealthCheck: z
      .strictObject({
        command: z.array(z.string().min(1)).min(1).describe('e.g. ["CMD-SHELL", "wget -qO- http://localhost:8080/health || exit 1"]'),
        intervalSeconds: z.number().int().min(5).max(300).default(30),
        timeoutSeconds: z.number().int().min(2).max(60).default(5),
        retries: z.number().int().min(1).max(10).default(3),
        startPeriodSeconds: z.number().int().min(0).max(300).default(60),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    const problem = fargateProblem(s.cpu, s.memory);
    if (problem) ctx.addIssue({ code: 'custom', path: ['memory'], message: problem });
  });

const network = z.strictObject({
  vpc: z.union([z.literal('default'), z.string().regex(/^vpc-[0-9a-f]+$/)]).default('default'),
  vpcId: z
    .string()
    .regex(/^vpc-[0-9a-f]+$/)
    .optional(),
  subnetIds: z
    .array(z.string().regex(/^subnet-[0-9a-f]+$/))
    .min(2)
    .optional(),
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
    backupRetentionDays: z.number().int().min(0).max(35).default(7),
    publiclyAccessible: z.boolean().default(false),
    access: z.enum(['task', 'direct']).default('task').describe('how the pgvector step reaches the database'),
    driver: z
      .enum(['libpq', 'node-postgres', 'asyncpg'])
      .default('libpq')
      .describe(
        'the Postgres driver the app uses, which decides the TLS parameters in DATABASE_URL: libpq (psycopg, Rails, Django, Go), node-postgres, asyncpg',
      ),
    clientImage: z.string().min(1).default('public.ecr.aws/docker/library/postgres:16-alpine').describe('image with psql for the one-off task (access "task")'),
  })
  .superRefine((d, ctx) => {
    const problem = engineVersionProblem(d.engineVersion, d.extensions);
    if (problem) ctx.addIssue({ code: 'custom', path: ['engineVersion'], message: problem });
  });

const cache = z.strictObject({
  nodeType: z
    .string()
    .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'expected a node type such as cache.t4g.micro')
    .default('cache.t4g.micro'),
  engineVersion: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .default('7.1'),
  numNodes: z.number().int().min(1).max(6).default(1),
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
const secret = z.union([
  z.strictObject({
    generate: z.string().regex(/^(hex|base64|alnum)-(1[6-9]|[2-9]\d|1[01]\d|12[0-8])$/, 'expected hex-N, base64-N or alnum-N with N from 16 to 128'),
  }),
  z.strictObject({ prompt: z.string().min(1), optional: z.boolean().default(false) }),
]);

const migrations = z.strictObject({ command: z.array(z.string().min(1)).min(1) });

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

const baseShape = {
  $schema: z.string().optional(),
  app: resourceName,
  region,
  image,
  service,
  network: network.optional(),
  loadBalancer: loadBalancer.optional(),
  database: database.optional(),
  cache: cache.optional(),
  buckets: buckets.optional(),
  auth: z.strictObject({ cognito: cognito.optional() }).optional(),
  secrets: z.record(secretKey, secret).default({}),
  migrations: migrations.optional(),
  validation: validation.optional(),
};

// A key in both places would put a secret's name in plain `environment`, or shadow it.
function noSecretInEnvironment(c: { service: { environment: Record<string, string> }; secrets: Record<string, unknown> }, ctx: z.RefinementCtx) {
  for (const key of Object.keys(c.service.environment)) {
    if (key in c.secrets || ALL_DERIVED_KEYS.includes(key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['service', 'environment', key],
        message: `${key} is a secret; remove it from service.environment (it reaches the app through Secrets Manager)`,
      });
    }
  }
}

/** Everything but `environments`: what a merged, per-env config must satisfy. */
export const envConfigSchema = z.strictObject(baseShape).superRefine(noSecretInEnvironment);

// Overlays are checked by merging them over the base and validating the result
// (see load-config.ts); here they only need to be objects keyed by env name.
export const configSchema = z
  .strictObject({ ...baseShape, environments: z.record(resourceName, z.record(z.string(), z.unknown())).optional() })
  .superRefine(noSecretInEnvironment);

export type Config = z.output<typeof envConfigSchema>;
export type ConfigInput = z.input<typeof configSchema>;
