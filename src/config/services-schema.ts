import { z } from 'zod';
import { fargateProblem } from './fargate.js';
import { UNSCOPED_ACTIONS } from './unscoped-actions.js';
import { parseSchedule, timezoneProblem } from './schedule-expression.js';

// The parts of deploy-wizard.json that describe what runs: images, services
// (web and workers), schedules and extra task-role permissions. A service
// with a port is a web service (a target group on the app's load balancer);
// one without is a worker.

export const partName = z
  .string()
  .regex(/^[a-z](?:[a-z0-9]|-(?!-)){0,18}[a-z0-9]$/, 'use 2-20 lowercase letters, digits and single hyphens, starting with a letter');

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _');
export const environment = z.record(envName, z.string()).describe('plain (non-secret) environment variables');

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

const repositoryName = z
  .string()
  .regex(/^[a-z](?:[a-z0-9]|[-_/](?![-_/])){0,62}[a-z0-9]$/, 'use lowercase letters, digits and single - _ / (an ECR repository name)');

export const image = z.strictObject({
  context: z.string().min(1).default('.').describe('build context, relative to the config file'),
  dockerfile: z
    .string()
    .min(1)
    .optional()
    .describe('Dockerfile path, relative to the config file; must be inside the context (default: Dockerfile in the context)'),
  platform: z.enum(['linux/amd64', 'linux/arm64']).default('linux/amd64'),
  target: z.string().min(1).optional().describe('multi-stage build target'),
  buildArgs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'build arg names are letters, digits and _'), buildArg).default({}),
  repository: repositoryName.optional().describe('ECR repository name; default <app>-<env> for the single image, <app>-<env>-<image> for each of several'),
  idleTimeoutSeconds: z
    .number()
    .int()
    .min(5)
    .max(7200)
    .default(600)
    .describe('a build or push that reports no progress for this long is stopped with an error'),
});

const logRetentionDays = z
  .union([z.literal(1), z.literal(3), z.literal(5), z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90), z.literal(180), z.literal(365)])
  .default(30);

const containerHealthCheck = z.strictObject({
  command: z.array(z.string().min(1)).min(1).describe('e.g. ["CMD-SHELL", "wget -qO- http://localhost:8080/health || exit 1"]'),
  intervalSeconds: z.number().int().min(5).max(300).default(30),
  timeoutSeconds: z.number().int().min(2).max(60).default(5),
  retries: z.number().int().min(1).max(10).default(3),
  startPeriodSeconds: z.number().int().min(0).max(300).default(60),
});

const port = z.number().int().min(1).max(65535);
const healthCheckPath = z.string().regex(/^\//, 'must start with /');
const fargateSize = <T extends { cpu: number; memory: number }>(s: T, ctx: z.RefinementCtx) => {
  const problem = fargateProblem(s.cpu, s.memory);
  if (problem) ctx.addIssue({ code: 'custom', path: ['memory'], message: problem });
};

/** Today's single `service`: one web service named "web" on "/*". */
export const legacyService = z
  .strictObject({
    port,
    cpu: z.number().int().default(512).describe('Fargate CPU units (256 = 0.25 vCPU)'),
    memory: z.number().int().default(1024).describe('Fargate memory in MiB'),
    desiredCount: z.number().int().min(0).max(100).default(1),
    healthCheckPath: healthCheckPath.default('/health'),
    environment: environment.default({}),
    logRetentionDays,
    healthCheckGracePeriodSeconds: z.number().int().min(0).max(2_147_483_647).default(60),
    containerHealthCheck: containerHealthCheck.optional(),
    exec: z
      .boolean()
      .optional()
      .describe(
        'allow deploy-wizard exec (ECS Exec) into its tasks: turns on enableExecuteCommand and gives it a task role of its own with the Session Manager channel actions',
      ),
  })
  .superRefine(fargateSize);

// ALB path patterns: up to 128 characters from this set, * and ? as wildcards.
const route = z
  .string()
  .max(128)
  .regex(/^\/[A-Za-z0-9_\-.$/~"'@:+&*?]*$/, 'a route is a path pattern such as /api/* (letters, digits, _-.$/~"\'@:+& and the wildcards * ?)');
const host = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9*?](?:[A-Za-z0-9.*?-]*[A-Za-z0-9*?])?$/, 'a host is a name such as api.example.com (letters, digits, - . and the wildcards * ?)');

const autoscaling = z
  .strictObject({
    min: z.number().int().min(0).max(100),
    max: z.number().int().min(1).max(100),
    cpuTarget: z.number().min(10).max(90).optional().describe('keep average CPU near this percentage'),
    memoryTarget: z.number().min(10).max(90).optional().describe('keep average memory near this percentage'),
    requestsPerTarget: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('keep load balancer requests per task per minute near this (web services only)'),
  })
  .superRefine((a, ctx) => {
    if (a.min > a.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${a.min} is above max ${a.max}` });
    if (a.cpuTarget === undefined && a.memoryTarget === undefined && a.requestsPerTarget === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'name at least one target: cpuTarget, memoryTarget or requestsPerTarget' });
    }
  });

const secretKeyName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'secret keys are UPPER_SNAKE_CASE');

/** A key of the app secret a service receives: under its own name, or { "ENV_NAME": "SECRET_KEY" } under another. */
const secretRef = z.union([
  secretKeyName,
  z
    .record(envName, secretKeyName)
    .refine((o) => Object.keys(o).length === 1, 'one { "ENV_NAME": "SECRET_KEY" } per entry: the variable the service sees, and the key it reads'),
]);

/** A second container of a service's task (Sidekiq beside Rails): its network and task size are the service's. */
export const sidecar = z.strictObject({
  image: z.string().min(1).optional().describe("a key of images (default: the service's image)"),
  command: z.array(z.string().min(1)).min(1).optional(),
  cpu: z.number().int().min(0).max(16384).optional().describe("CPU units reserved for it (default: none, it shares the task's)"),
  memory: z.number().int().min(6).max(122880).optional().describe("MiB reserved for it (default 128); the service's container gets the rest"),
  essential: z.boolean().default(true).describe('the task stops when it stops'),
  environment: environment.default({}).describe("merged over the service's"),
  secrets: z.array(secretRef).optional().describe("app secret keys, as for the service (default: the service's)"),
  dependsOn: z
    .record(z.string(), z.enum(['START', 'HEALTHY', 'COMPLETE', 'SUCCESS']))
    .optional()
    .describe('containers it starts after: the service (by its name) or another sidecar, and the condition'),
});

/** Where a service's tasks run: Fargate and Fargate Spot, by a capacity provider strategy. */
export const capacity = z
  .strictObject({
    spot: z.number().int().min(0).max(1000).default(0).describe('weight of FARGATE_SPOT (interruptible, about 70% cheaper)'),
    onDemand: z.number().int().min(0).max(1000).default(1).describe('weight of FARGATE (on-demand)'),
    base: z.number().int().min(0).max(100000).default(0).describe('tasks that always run on-demand, before the weights split the rest'),
  })
  .refine((c) => c.spot + c.onDemand > 0, 'give spot or onDemand a weight above 0');

export const databaseDriver = z
  .enum(['libpq', 'node-postgres', 'asyncpg'])
  .describe('the Postgres driver the app uses, which decides the TLS parameters in DATABASE_URL: libpq (psycopg, Rails, Django, Go), node-postgres, asyncpg');
export const databaseUrlScheme = z
  .enum(['postgresql', 'postgres', 'postgresql+asyncpg', 'postgresql+psycopg'])
  .describe('the scheme of the derived DATABASE_URL (default postgresql); postgresql+asyncpg or postgresql+psycopg for SQLAlchemy');

export const permission = z
  .strictObject({
    actions: z
      .array(
        z
          .string()
          .regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, 'an action is service:Action, such as bedrock:InvokeModel; wildcards are not accepted, name each action')
          // Every role the wizard makes carries a permissions boundary without these (src/aws/app-roles.ts): granted, they would never work.
          .refine(
            (a) => !/^(iam|sts|organizations):/i.test(a),
            'IAM, STS and Organizations actions are outside the permissions boundary of the roles deploy-wizard makes; grant them with a role of your own',
          ),
      )
      .min(1),
    resources: z
      .array(
        z
          .string()
          .regex(
            /^(\*|arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+)$/,
            'a resource is an ARN such as arn:aws:bedrock:us-east-1::foundation-model/...; "*" only for actions IAM cannot scope',
          ),
      )
      .min(1),
    namespace: z
      .string()
      .regex(/^[^:].{0,254}$/, 'a CloudWatch namespace: 1-255 characters, not starting with ":"')
      .optional()
      .describe('with cloudwatch:PutMetricData: only into this metric namespace (the cloudwatch:namespace condition)'),
  })
  .superRefine((p, ctx) => {
    if (p.resources.includes('*')) {
      if (p.resources.length > 1) ctx.addIssue({ code: 'custom', path: ['resources'], message: '"*" stands alone: put the ARNs in a permission of their own' });
      const scoped = p.actions.filter((a) => !UNSCOPED_ACTIONS.has(a));
      if (scoped.length)
        ctx.addIssue({
          code: 'custom',
          path: ['resources'],
          message: `"*" is accepted only for actions IAM cannot scope to a resource; ${scoped.join(', ')} ${scoped.length > 1 ? 'take' : 'takes'} ARNs: name them`,
        });
    }
    if (p.namespace !== undefined && p.actions.some((a) => a !== 'cloudwatch:PutMetricData'))
      ctx.addIssue({ code: 'custom', path: ['namespace'], message: 'only on a permission whose one action is cloudwatch:PutMetricData' });
  });

/** A permission as a policy statement: `namespace` becomes the cloudwatch:namespace condition. */
export function permissionStatement(p: z.output<typeof permission>, sid: string) {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: p.actions,
    Resource: p.resources.length === 1 && p.resources[0] === '*' ? '*' : p.resources,
    ...(p.namespace ? { Condition: { StringEquals: { 'cloudwatch:namespace': p.namespace } } } : {}),
  };
}

export const service = z
  .strictObject({
    image: partName.optional().describe('which entry of images runs here; may be left out when there is one image'),
    port: port.optional().describe('the port the app listens on; a service with a port is a web service behind the load balancer, one without is a worker'),
    routes: z.array(route).min(1).max(20).optional().describe('path patterns this web service answers, in order; "/*" makes it the default'),
    hosts: z.array(host).min(1).max(4).optional().describe('host names its routes apply to (web services)'),
    command: z.array(z.string().min(1)).min(1).optional().describe("overrides the image's CMD"),
    cpu: z.number().int().default(512).describe('Fargate CPU units (256 = 0.25 vCPU)'),
    memory: z.number().int().default(1024).describe('Fargate memory in MiB'),
    desiredCount: z.number().int().min(0).max(100).optional().describe('tasks to run (with autoscaling: the starting count); default 1, or autoscaling.min'),
    healthCheckPath: healthCheckPath.optional().describe('load balancer health check (web services); default /health'),
    healthCheckGracePeriodSeconds: z.number().int().min(0).max(2_147_483_647).optional().describe('web services; default 60'),
    environment: environment.default({}).describe('merged over the app-level environment'),
    secrets: z
      .array(secretRef)
      .optional()
      .describe('the app secret keys this service receives, each under its own name or as { "ENV_NAME": "SECRET_KEY" }; default all'),
    database: z
      .strictObject({ driver: databaseDriver.optional(), urlScheme: databaseUrlScheme.optional(), urlParts: z.boolean().optional() })
      .optional()
      .describe("this service's own DATABASE_URL shape (the app-level database keys are the default)"),
    logRetentionDays: logRetentionDays.optional(),
    containerHealthCheck: containerHealthCheck.optional(),
    autoscaling: autoscaling.optional(),
    permissions: z
      .array(permission)
      .optional()
      .describe("task-role statements for this service only: it gets a task role of its own (the app's statements and these)"),
    exec: z
      .boolean()
      .optional()
      .describe(
        'allow deploy-wizard exec (ECS Exec) into its tasks: turns on enableExecuteCommand and gives it a task role of its own with the Session Manager channel actions',
      ),
    capacity: capacity.optional().describe('run its tasks on Fargate Spot and on-demand Fargate by weight (a capacity provider strategy)'),
    internal: z
      .boolean()
      .optional()
      .describe('with a port: no load balancer route; the other services reach it at http://<name>:<port> (ECS Service Connect), given to them as <NAME>_URL'),
    mounts: z
      .record(
        z.string().regex(/^\/(?:[A-Za-z0-9._-]+\/?)*$/, 'an absolute path in the container, such as /mnt/efs/chroma'),
        z.union([partName, z.strictObject({ volume: partName, readOnly: z.boolean().default(false) })]),
      )
      .optional()
      .describe('volumes mounted into its container: { "/container/path": "<volume>" } or { "/path": { "volume": "<volume>", "readOnly": true } }'),
    sidecars: z
      .record(z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'lowercase letters, digits and hyphens, starting with a letter'), sidecar)
      .optional()
      .describe("more containers in this service's task, sharing its network and size"),
    validation: z
      .strictObject({
        path: healthCheckPath.optional().describe('what first-boot requests for this web service (default: under its first route, else its health check path)'),
        expectStatus: z.number().int().min(100).max(599).optional(),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    fargateSize(s, ctx);
    if (s.internal && s.port === undefined)
      ctx.addIssue({ code: 'custom', path: ['internal'], message: 'an internal service needs the port it listens on; add port, or remove internal' });
    if (s.internal) {
      for (const key of ['routes', 'hosts', 'healthCheckPath', 'healthCheckGracePeriodSeconds', 'validation'] as const) {
        if (s[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `an internal service has no load balancer route, so no ${key}; remove ${key}, or internal` });
      }
      if (s.autoscaling?.requestsPerTarget !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['autoscaling', 'requestsPerTarget'],
          message: 'an internal service gets no load balancer requests; scale it on cpuTarget or memoryTarget',
        });
    }
    if (s.port === undefined) {
      for (const key of ['routes', 'hosts', 'healthCheckPath', 'healthCheckGracePeriodSeconds', 'validation'] as const) {
        if (s[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `only a web service (one with a port) has ${key}; add a port, or remove ${key}` });
        }
      }
      if (s.autoscaling?.requestsPerTarget !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['autoscaling', 'requestsPerTarget'],
          message: 'a worker gets no requests; scale it on cpuTarget or memoryTarget',
        });
      }
    }
    if (s.autoscaling && s.desiredCount !== undefined && (s.desiredCount < s.autoscaling.min || s.desiredCount > s.autoscaling.max)) {
      ctx.addIssue({
        code: 'custom',
        path: ['desiredCount'],
        message: `${s.desiredCount} is outside autoscaling ${s.autoscaling.min}-${s.autoscaling.max}; it is only the starting count, so leave it out or put it in that range`,
      });
    }
  });

export const schedule = z
  .strictObject({
    service: partName.describe('the service whose current task definition the schedule runs'),
    command: z.array(z.string().min(1)).min(1).optional().describe("overrides the service's command"),
    cron: z.string().min(1).describe('cron(m h dom mon dow y), rate(N unit), at(...) or a bare 6-field cron, as EventBridge Scheduler takes'),
    timezone: z.string().default('UTC'),
    enabled: z.boolean().default(true),
    retries: z.number().int().min(0).max(185).default(2),
    maxEventAgeSeconds: z.number().int().min(60).max(86_400).default(3600).describe('give up on a run that could not start within this long'),
  })
  .superRefine((s, ctx) => {
    const parsed = parseSchedule(s.cron);
    if ('problem' in parsed) ctx.addIssue({ code: 'custom', path: ['cron'], message: parsed.problem });
    const tz = timezoneProblem(s.timezone);
    if (tz) ctx.addIssue({ code: 'custom', path: ['timezone'], message: tz });
  });

/** A named volume: today an EFS access point on the app's one file system. */
export const volume = z.strictObject({
  efs: z.strictObject({
    throughputMode: z
      .enum(['elastic', 'bursting'])
      .default('elastic')
      .describe("the file system's throughput mode (one file system holds every volume, so all volumes name the same)"),
    uid: z
      .number()
      .int()
      .min(0)
      .max(4_294_967_295)
      .default(1000)
      .describe('the POSIX user every access through this volume acts as, and owner of its directory'),
    gid: z.number().int().min(0).max(4_294_967_295).default(1000),
    assumedSizeGb: z.number().min(0).max(1_000_000).default(5).describe('for the cost estimate only: how much the volume is expected to hold'),
  }),
});
