import { ensureTaskDefinition } from '../aws/task-definition.js';
import { dbClientTaskDefinition, DB_CLIENT_CONTAINER, DB_CLIENT_STREAM_PREFIX } from '../aws/db-client-task.js';
import { clusterName, dbSetupFamilyName } from '../aws/names.js';
import { InputError } from '../errors.js';
import { dbClientImage } from '../config/db-client-image.js';
import { systemClock } from '../clock.js';
import type { Deployment } from '../with-deployment.js';
import type { StepOutputs } from '../pipeline/step.js';

/**
 * Where a `db` command's one-off task runs: the database client task
 * definition (registered again only when it differs from the latest, as the
 * pgvector step does), the services' network, the app's log group.
 */
export async function dbClientTarget(d: Deployment, signal: AbortSignal, note: (line: string) => void) {
  const config = d.loaded.config;
  const out = <K extends keyof StepOutputs>(k: K) => d.state.steps[k]?.outputs as StepOutputs[K] | undefined;
  const rds = out('rds');
  const roles = out('iam-roles');
  const tds = out('task-definition');
  const net = out('network');
  if (!config.database) throw new InputError('db: this app has no database', ['database: add it to the config and deploy, then use db']);
  if (!rds || !roles || !tds || !net) throw new InputError('db: the database is not deployed yet', [], { hint: 'Run deploy-wizard deploy first.' });
  const ctx = { app: config.app, env: d.state.env };
  const def = await ensureTaskDefinition(
    { aws: d.session.aws, log: { info: note }, clock: systemClock, signal, ...ctx },
    'pgvector',
    dbClientTaskDefinition({
      family: dbSetupFamilyName(ctx),
      image: dbClientImage(config.database),
      executionRoleArn: roles.executionRoleArn,
      logGroup: tds.logGroup,
      region: d.session.region,
      rds,
    }),
  );
  return {
    cluster: clusterName(ctx),
    taskDefinition: def.taskDefinitionArn!,
    container: DB_CLIENT_CONTAINER,
    streamPrefix: DB_CLIENT_STREAM_PREFIX,
    logGroup: tds.logGroup,
    net,
    rds,
    database: config.database.name,
  };
}

/** psql as the app's role (its password from the secret, as APP_DB_PASSWORD) or the master user, stopping at the first error. */
export function psqlAs(as: 'app' | 'master', appUser: string | undefined, database: string): string {
  if (as === 'app' && !appUser)
    throw new InputError('db sql: this database has no application role', ['--as master: run as the master user instead (it owns everything)']);
  // Names were checked against Postgres identifier rules when the config was loaded: safe in single quotes.
  const who = as === 'app' ? `PGUSER='${appUser}' PGPASSWORD="$APP_DB_PASSWORD" ` : '';
  return `${who}psql -X -v ON_ERROR_STOP=1 -d '${database}'`;
}
