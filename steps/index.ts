// The pipeline, read top to bottom. Each step names the steps whose outputs it
// needs; the runner starts a step as soon as those are done, so slow
// provisioning (RDS, ElastiCache) overlaps with the image build and buckets.
// Each step is paired here with its teardown (steps/teardown/), which `destroy`
// runs in the reverse order; the teardowns use the steps' lookups, so they
// are wired here rather than imported by the steps themselves.
import { network } from './network.js';
import { ecrPush } from './ecr-push.js';
import { rds } from './rds.js';
import { pgvector } from './pgvector.js';
import { elasticache } from './elasticache.js';
import { s3Buckets } from './s3-buckets.js';
import { cognito } from './cognito.js';
import { secrets } from './secrets.js';
import { iamRoles } from './iam-roles.js';
import { taskDefinition } from './task-definition.js';
import { migrations } from './migrations.js';
import { service } from './service.js';
import { firstBoot } from './first-boot.js';
import { schedules } from './schedules.js';
import { certificate } from './certificate.js';
import { waf } from './waf.js';
import { site } from './site.js';
import { dns } from './dns.js';
import { alarms } from './alarms.js';
import { budget } from './budget.js';
import type { Step, StepId } from '../src/pipeline/step.js';
import { destroyNetwork } from './teardown/network.js';
import { destroyCertificates } from './teardown/certificate.js';
import { destroyRepositories } from './teardown/ecr.js';
import { destroyDatabase } from './teardown/rds.js';
import { destroyCache } from './teardown/elasticache.js';
import { destroyBuckets } from './teardown/s3-buckets.js';
import { destroyUserPool } from './teardown/cognito.js';
import { destroySecrets } from './teardown/secrets.js';
import { destroyRoles } from './teardown/iam-roles.js';
import { destroyTaskDefinitions } from './teardown/task-definition.js';
import { destroyService } from './teardown/service.js';
import { destroyWaf } from './teardown/waf.js';
import { destroySite } from './teardown/site.js';
import { destroyRecords } from './teardown/dns.js';
import { destroySchedules } from './teardown/schedules.js';
import { destroyAlarms } from './teardown/alarms.js';
import { destroyBudget } from './teardown/budget.js';

const withTeardown = <Id extends StepId>(step: Step<Id>, destroy: NonNullable<Step<Id>['destroy']>): Step<Id> => ({ ...step, destroy });

export const steps: readonly Step[] = [
  withTeardown(network, destroyNetwork),
  withTeardown(certificate, destroyCertificates),
  withTeardown(ecrPush, destroyRepositories),
  withTeardown(rds, destroyDatabase),
  withTeardown(elasticache, destroyCache),
  withTeardown(s3Buckets, destroyBuckets),
  withTeardown(cognito, destroyUserPool),
  withTeardown(secrets, destroySecrets),
  withTeardown(iamRoles, destroyRoles),
  withTeardown(taskDefinition, destroyTaskDefinitions),
  pgvector,
  migrations,
  withTeardown(service, destroyService),
  withTeardown(waf, destroyWaf),
  withTeardown(site, destroySite),
  withTeardown(dns, destroyRecords),
  withTeardown(schedules, destroySchedules),
  withTeardown(alarms, destroyAlarms),
  withTeardown(budget, destroyBudget),
  firstBoot,
] as Step[];
