// The pipeline, read top to bottom: one line per step, with what in the
// config asks for it. Each step names the steps whose outputs it needs; the
// runner starts a step as soon as those are done, so slow provisioning (RDS,
// ElastiCache) overlaps with the image build and buckets.
//
// A step's module is loaded only when the config asks for the step, and with
// it the AWS SDK packages it uses: an app without a database, a CDN or alarms
// never loads RDS's, CloudFront's or CloudWatch's (a few MB to tens each).
// So the condition is here, not in the step.
//
// Each step is paired with its teardown (steps/teardown/), which `destroy`
// runs in the reverse order; the teardowns use the steps' lookups, so they
// are wired here rather than imported by the steps themselves, and loaded
// only for destroy (the network's looks for databases, so it loads RDS's).
import type { Config } from '../src/config/schema.js';
import type { Step, StepId } from '../src/pipeline/step.js';
import {
  hasAlarms,
  hasAppSecret,
  hasBudget,
  hasBuckets,
  hasCache,
  hasCognito,
  hasDatabase,
  hasDomain,
  hasMigrations,
  hasSite,
  hasWaf,
  hasWebService,
} from '../src/config/features.js';

export interface PipelineEntry {
  id: StepId;
  /** Absent: every config runs it. */
  enabled?: (config: Config) => boolean;
  /** The step with its condition, and with its teardown when asked. */
  load: (withTeardown: boolean) => Promise<Step>;
}

type Teardown<Id extends StepId> = NonNullable<Step<Id>['destroy']>;

function entry<Id extends StepId>(
  id: Id,
  enabled: ((config: Config) => boolean) | undefined,
  step: () => Promise<Step<Id>>,
  teardown?: () => Promise<Teardown<Id>>,
): PipelineEntry {
  return {
    id,
    ...(enabled ? { enabled } : {}),
    load: async (withTeardown) => {
      const [s, destroy] = await Promise.all([step(), withTeardown ? teardown?.() : undefined]);
      return { ...s, ...(enabled ? { enabled } : {}), ...(destroy ? { destroy } : {}) } as Step;
    },
  };
}

export const pipeline: readonly PipelineEntry[] = [
  entry(
    'network',
    undefined,
    async () => (await import('./network.js')).network,
    async () => (await import('./teardown/network.js')).destroyNetwork,
  ),
  entry(
    'certificate',
    hasDomain,
    async () => (await import('./certificate.js')).certificate,
    async () => (await import('./teardown/certificate.js')).destroyCertificates,
  ),
  entry(
    'ecr-push',
    undefined,
    async () => (await import('./ecr-push.js')).ecrPush,
    async () => (await import('./teardown/ecr.js')).destroyRepositories,
  ),
  entry(
    'rds',
    hasDatabase,
    async () => (await import('./rds.js')).rds,
    async () => (await import('./teardown/rds.js')).destroyDatabase,
  ),
  entry(
    'elasticache',
    hasCache,
    async () => (await import('./elasticache.js')).elasticache,
    async () => (await import('./teardown/elasticache.js')).destroyCache,
  ),
  entry(
    's3-buckets',
    hasBuckets,
    async () => (await import('./s3-buckets.js')).s3Buckets,
    async () => (await import('./teardown/s3-buckets.js')).destroyBuckets,
  ),
  entry(
    'cognito',
    hasCognito,
    async () => (await import('./cognito.js')).cognito,
    async () => (await import('./teardown/cognito.js')).destroyUserPool,
  ),
  entry(
    'secrets',
    hasAppSecret,
    async () => (await import('./secrets.js')).secrets,
    async () => (await import('./teardown/secrets.js')).destroySecrets,
  ),
  entry(
    'iam-roles',
    undefined,
    async () => (await import('./iam-roles.js')).iamRoles,
    async () => (await import('./teardown/iam-roles.js')).destroyRoles,
  ),
  entry(
    'task-definition',
    undefined,
    async () => (await import('./task-definition.js')).taskDefinition,
    async () => (await import('./teardown/task-definition.js')).destroyTaskDefinitions,
  ),
  entry('pgvector', hasDatabase, async () => (await import('./pgvector.js')).pgvector),
  entry('migrations', hasMigrations, async () => (await import('./migrations.js')).migrations),
  entry(
    'load-balancer',
    hasWebService,
    async () => (await import('./load-balancer.js')).loadBalancer,
    async () => (await import('./teardown/load-balancer.js')).destroyLoadBalancer,
  ),
  entry(
    'service',
    undefined,
    async () => (await import('./service.js')).service,
    async () => (await import('./teardown/service.js')).destroyService,
  ),
  entry(
    'waf',
    hasWaf,
    async () => (await import('./waf.js')).waf,
    async () => (await import('./teardown/waf.js')).destroyWaf,
  ),
  entry(
    'site',
    hasSite,
    async () => (await import('./site.js')).site,
    async () => (await import('./teardown/site.js')).destroySite,
  ),
  entry(
    'dns',
    hasDomain,
    async () => (await import('./dns.js')).dns,
    async () => (await import('./teardown/dns.js')).destroyRecords,
  ),
  entry(
    'schedules',
    undefined,
    async () => (await import('./schedules.js')).schedules,
    async () => (await import('./teardown/schedules.js')).destroySchedules,
  ),
  entry(
    'alarms',
    hasAlarms,
    async () => (await import('./alarms.js')).alarms,
    async () => (await import('./teardown/alarms.js')).destroyAlarms,
  ),
  entry(
    'budget',
    hasBudget,
    async () => (await import('./budget.js')).budget,
    async () => (await import('./teardown/budget.js')).destroyBudget,
  ),
  entry('first-boot', undefined, async () => (await import('./first-boot.js')).firstBoot),
];

/** The steps this config asks for, in pipeline order, loaded. */
export async function loadSteps(config: Config): Promise<Step[]> {
  return Promise.all(pipeline.filter((e) => !e.enabled || e.enabled(config)).map((e) => e.load(false)));
}

/** Every step with its teardown, enabled or not: destroy removes what an earlier config made too. */
export async function loadAllSteps(): Promise<Step[]> {
  return Promise.all(pipeline.map((e) => e.load(true)));
}
