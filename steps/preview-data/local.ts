import { spawn } from 'node:child_process';
import type { StepContext } from '../../src/pipeline/context.js';
import { StepError } from '../../src/errors.js';
import { readSecretJson } from '../../src/secrets/store.js';
import type { StepOutputs } from '../../src/pipeline/outputs.js';

/** The database reached from this machine: DEPLOY_WIZARD_DB_URL (a tunnel), or database.access "direct". */
export const reachesDirectly = (ctx: StepContext) => !!ctx.settings.dbUrl || ctx.config.database?.access === 'direct';

/**
 * libpq's variables for the previews' database role (the preview's "master" secret): at DEPLOY_WIZARD_DB_URL's
 * host when set, else the instance's endpoint (TLS required, as RDS does).
 */
async function masterEnv(ctx: StepContext, rds: StepOutputs['rds']): Promise<Record<string, string>> {
  // The credentials are the previews' role's, as the task's would be; DEPLOY_WIZARD_DB_URL only says where the server is.
  const m = await readSecretJson(ctx, rds.masterSecretArn);
  if (!m?.password) throw new StepError('pgvector', `read credentials: the secret ${rds.masterSecretArn} has no password`);
  ctx.log.secret(m.password);
  const who = { PGUSER: m.username ?? rds.username, PGPASSWORD: m.password };
  if (ctx.settings.dbUrl) {
    const u = new URL(ctx.settings.dbUrl);
    return {
      PGHOST: u.hostname,
      PGPORT: u.port || '5432',
      ...who,
      ...(u.searchParams.get('sslmode') ? { PGSSLMODE: u.searchParams.get('sslmode')! } : {}),
    };
  }
  return { PGHOST: rds.endpoint, PGPORT: String(rds.port), ...who, PGSSLMODE: 'require' };
}

/**
 * Runs a database script here instead of in a task: the same shell, with psql, pg_dump and pg_restore from this
 * machine (their major version must be the server's or newer). Returns its output lines.
 */
export async function runDbScriptHere(ctx: StepContext, o: { purpose: string; script: string; rds: StepOutputs['rds'] }): Promise<string[]> {
  const env: Record<string, string> = { PATH: ctx.settings.buildEnv.PATH ?? '/usr/bin:/bin', ...(await masterEnv(ctx, o.rds)) };
  if (o.rds.appSecretArn) {
    const role = await readSecretJson(ctx, o.rds.appSecretArn);
    if (!role?.password) throw new StepError('pgvector', `read credentials: the secret ${o.rds.appSecretArn} has no password`);
    ctx.log.secret(role.password);
    env.APP_DB_PASSWORD = role.password;
  }
  ctx.log.info(`running ${o.purpose} from this machine (the database is reached directly)`);
  const lines: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('sh', ['-c', o.script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onAbort = () => child.kill('SIGTERM');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let buf = '';
    const take = (d: Buffer) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) lines.push(ctx.log.redact(l.trimEnd()));
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) =>
      reject(
        new StepError('pgvector', `${o.purpose}: ${e.message}`, {
          hint: 'Install the PostgreSQL client (psql, pg_dump, pg_restore), or unset DEPLOY_WIZARD_DB_URL to run it in a task.',
        }),
      ),
    );
    child.on('close', (c) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (buf) lines.push(ctx.log.redact(buf));
      resolve(c ?? 1);
    });
  });
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (code !== 0)
    throw new StepError(
      'pgvector',
      `${o.purpose}: exited ${code}\n${lines
        .filter((l) => !l.startsWith('dw-'))
        .slice(-20)
        .join('\n')}`,
      {
        hint:
          code === 127
            ? 'Install the PostgreSQL client (psql, pg_dump, pg_restore) on this machine.'
            : 'Fix the cause above, then run the same command again: it resumes here.',
      },
    );
  return lines;
}
