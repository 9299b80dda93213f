import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { StepOutputs } from '../pipeline/step.js';
import type { StepContext } from '../pipeline/context.js';
import { ensureTaskDefinition } from './task-definition.js';
import { dbSetupFamilyName } from './names.js';
import { dbClientImage } from '../config/db-client-image.js';

/** The one container of the database client task (pgvector's setup, `db sql`, `db import`/`export`). */
export const DB_CLIENT_CONTAINER = 'db-setup';
/** Its awslogs stream prefix: a task's lines are in ecs/db-setup/<task id>. */
export const DB_CLIENT_STREAM_PREFIX = 'ecs';

/**
 * The database client task: database.clientImage (psql, pg_dump,
 * pg_restore) inside the VPC, with libpq's own variables for the database
 * (PGHOST, PGPORT, TLS required) and, from Secrets Manager, never the task
 * definition, the master user's credentials and the app role's password.
 */
export function dbClientTaskDefinition(o: {
  family: string;
  image: string;
  executionRoleArn: string;
  logGroup: string;
  region: string;
  rds: Pick<StepOutputs['rds'], 'endpoint' | 'port' | 'masterSecretArn' | 'appSecretArn'>;
  /** The parent of previews: the previews' database role's password, which the setup sets. */
  previewsSecretArn?: string;
}): RegisterTaskDefinitionCommandInput {
  return {
    family: o.family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
    executionRoleArn: o.executionRoleArn,
    containerDefinitions: [
      {
        name: DB_CLIENT_CONTAINER,
        image: o.image,
        essential: true,
        memoryReservation: 512,
        environment: [
          { name: 'PGHOST', value: o.rds.endpoint },
          { name: 'PGPORT', value: String(o.rds.port) },
          { name: 'PGSSLMODE', value: 'require' },
        ],
        secrets: [
          { name: 'PGUSER', valueFrom: `${o.rds.masterSecretArn}:username::` },
          { name: 'PGPASSWORD', valueFrom: `${o.rds.masterSecretArn}:password::` },
          ...(o.rds.appSecretArn ? [{ name: 'APP_DB_PASSWORD', valueFrom: `${o.rds.appSecretArn}:password::` }] : []),
          ...(o.previewsSecretArn ? [{ name: 'PREVIEWS_DB_PASSWORD', valueFrom: `${o.previewsSecretArn}:password::` }] : []),
        ],
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': o.logGroup, 'awslogs-region': o.region, 'awslogs-stream-prefix': DB_CLIENT_STREAM_PREFIX },
        },
      },
    ],
  };
}

/** The database client task definition of this app and env (the pgvector step's and a preview's), registered again only when it differs. */
export function ensureDbClientTask(
  ctx: StepContext,
  o: { executionRoleArn: string; logGroup: string; rds: Parameters<typeof dbClientTaskDefinition>[0]['rds']; previewsSecretArn?: string },
) {
  return ensureTaskDefinition(
    ctx,
    'pgvector',
    dbClientTaskDefinition({ family: dbSetupFamilyName(ctx), image: dbClientImage(ctx.config.database!), region: ctx.region, ...o }),
  );
}
