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
import { manifest as previewDatabase } from './preview-database/manifest.js';
import { manifest as previewData } from './preview-data/manifest.js';
import { manifest as previewRoutes } from './preview-routes/manifest.js';

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

// A preview environment (deploy-wizard preview up) runs its own copy of these
// steps, in this order, with the env <parent>--<name>: its images (pushed to
// the parent's repositories), secret, roles, task definitions, migrations,
// services and first boot. Three run in place of the parent's: its database
// credentials and its database on the parent's instance, and its routes on the
// parent's load balancer. Every other step is the parent's, shared: a preview
// reads its outputs and never runs it.
const PREVIEW_OWN = new Set(['ecr-push', 'secrets', 'iam-roles', 'task-definition', 'migrations', 'service', 'first-boot']);
const PREVIEW_IN_PLACE: Readonly<Record<string, StepManifest>> = {
  rds: previewDatabase as StepManifest,
  pgvector: previewData as StepManifest,
  'load-balancer': previewRoutes as StepManifest,
};

/** The steps a preview with this (derived) config runs, in pipeline order. */
export const previewManifests = (config: Config): StepManifest[] =>
  manifests.flatMap((m) => {
    const own = PREVIEW_IN_PLACE[m.id] ?? (PREVIEW_OWN.has(m.id) ? m : undefined);
    return own && (!own.enabled || own.enabled(config)) ? [own] : [];
  });

/** The parent's steps a preview shares: their outputs are copied from the parent's state. */
export const previewSharedSteps = (): string[] => manifests.map((m) => m.id).filter((id) => !PREVIEW_OWN.has(id) && !PREVIEW_IN_PLACE[id]);

/** A preview's steps, loaded (with their teardowns for preview down). */
export async function loadPreviewSteps(config: Config, withTeardown: boolean): Promise<Step[]> {
  return Promise.all(previewManifests(config).map((m) => loadStep(m, withTeardown)));
}
