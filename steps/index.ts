// The pipeline, read top to bottom: one manifest per step (steps/<id>/manifest.ts),
// which says what the step is without loading its code: its title, the steps
// whose outputs it needs, what in the config asks for it, the resources it
// makes and the IAM permissions it needs, and its cost lines. The runner starts
// a step as soon as the steps it needs are done, so slow provisioning (RDS,
// ElastiCache) overlaps with the image build and buckets.
//
// A step's code (apply.ts) is loaded only when the config asks for the step,
// and with it the AWS SDK packages it uses: an app without a database, a CDN
// or alarms never loads RDS's, CloudFront's or CloudWatch's (a few MB to tens
// each). Its teardown (teardown.ts) is loaded only for destroy and for a
// deploy that dropped its key.
//
// Adding a step: a folder with a manifest and an apply, and one line here.
// The plan, the cost estimate and the CI role's policy follow.
import type { Config } from '../src/config/schema.js';
import { loadStep, type StepManifest } from '../src/pipeline/manifest.js';
import type { Step } from '../src/pipeline/step.js';
import { manifest as vpc } from './vpc/manifest.js';
import { manifest as vpcEgress } from './vpc-egress/manifest.js';
import { manifest as network } from './network/manifest.js';
import { manifest as certificate } from './certificate/manifest.js';
import { manifest as ecrPush } from './ecr-push/manifest.js';
import { manifest as rds } from './rds/manifest.js';
import { manifest as rdsProxy } from './rds-proxy/manifest.js';
import { manifest as elasticache } from './elasticache/manifest.js';
import { manifest as efs } from './efs/manifest.js';
import { manifest as s3Buckets } from './s3-buckets/manifest.js';
import { manifest as cognito } from './cognito/manifest.js';
import { manifest as secrets } from './secrets/manifest.js';
import { manifest as iamRoles } from './iam-roles/manifest.js';
import { manifest as taskDefinition } from './task-definition/manifest.js';
import { manifest as pgvector } from './pgvector/manifest.js';
import { manifest as migrations } from './migrations/manifest.js';
import { manifest as loadBalancer } from './load-balancer/manifest.js';
import { manifest as serviceConnect } from './service-connect/manifest.js';
import { manifest as service } from './service/manifest.js';
import { manifest as waf } from './waf/manifest.js';
import { manifest as site } from './site/manifest.js';
import { manifest as dns } from './dns/manifest.js';
import { manifest as schedules } from './schedules/manifest.js';
import { manifest as alarms } from './alarms/manifest.js';
import { manifest as budget } from './budget/manifest.js';
import { manifest as firstBoot } from './first-boot/manifest.js';

export const manifests: readonly StepManifest[] = [
  vpc,
  network,
  vpcEgress,
  certificate,
  ecrPush,
  rds,
  rdsProxy,
  elasticache,
  efs,
  s3Buckets,
  cognito,
  secrets,
  iamRoles,
  taskDefinition,
  pgvector,
  migrations,
  loadBalancer,
  serviceConnect,
  service,
  waf,
  site,
  dns,
  schedules,
  alarms,
  budget,
  firstBoot,
] as readonly StepManifest[];

/** The manifests of the steps this config asks for, in pipeline order. */
export const enabledManifests = (config: Config): StepManifest[] => manifests.filter((m) => !m.enabled || m.enabled(config));

/** The steps this config asks for, in pipeline order, loaded. */
export async function loadSteps(config: Config): Promise<Step[]> {
  return Promise.all(enabledManifests(config).map((m) => loadStep(m, false)));
}

/** Every step with its teardown, enabled or not: destroy removes what an earlier config made too. */
export async function loadAllSteps(): Promise<Step[]> {
  return Promise.all(manifests.map((m) => loadStep(m, true)));
}
