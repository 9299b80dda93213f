// The pipeline, read top to bottom. Each step names the steps whose outputs it
// needs; the runner starts a step as soon as those are done, so slow
// provisioning (RDS, ElastiCache) overlaps with the image build and buckets.
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
import type { Step } from '../src/pipeline/step.js';

export const steps: readonly Step[] = [
  network,
  certificate,
  ecrPush,
  rds,
  elasticache,
  s3Buckets,
  cognito,
  secrets,
  iamRoles,
  taskDefinition,
  pgvector,
  migrations,
  service,
  waf,
  site,
  dns,
  schedules,
  firstBoot,
];
