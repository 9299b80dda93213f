import pg from 'pg';
import type { StepContext } from '../src/context.js';
import { StepError } from '../src/errors.js';
import { readSecretJson } from '../src/aws/secret-store.js';
import type { RdsOutput } from './rds.js';
import { type Check, type Step } from './step.js';

export interface PgvectorOutput {
  database: string;
  /** Installed extension versions, e.g. { vector: "0.8.0" }. */
  extensions: Record<string, string>;
  via: 'direct' | 'task';
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * Where to connect: DEPLOY_WIZARD_DB_URL (a tunnel, or a stand-in) as given,
 * or the RDS endpoint with the master credentials from Secrets Manager.
 */
async function connectionConfig(ctx: StepContext, database: string): Promise<pg.ClientConfig> {
  const override = ctx.settings.dbUrl;
  if (override) {
    const url = new URL(override);
    ctx.log.secret(decodeURIComponent(url.password));
    url.pathname = `/${database}`;
    return { connectionString: url.toString(), connectionTimeoutMillis: 10_000 };
  }
  const rds = ctx.output<RdsOutput>('rds');
  const master = await readSecretJson(ctx, rds.masterSecretArn);
  if (!master?.password) throw new StepError('pgvector', `read credentials: the master secret ${rds.masterSecretArn} has no password`);
  return {
    host: rds.endpoint,
    port: rds.port,
    user: master.username ?? rds.username,
    password: master.password,
    database,
    connectionTimeoutMillis: 10_000,
    // RDS requires TLS; its certificates chain to RDS's own CA, which Node does
    // not ship. The connection is encrypted; to verify the server too, connect
    // through DEPLOY_WIZARD_DB_URL with sslmode=verify-full&sslrootcert=PATH.
    ssl: { rejectUnauthorized: false },
  };
}

async function withClient<T>(ctx: StepContext, database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(await connectionConfig(ctx, database));
  try {
    await client.connect();
  } catch (e) {
    throw new StepError('pgvector', `connect to database ${database}: ${ctx.log.redact((e as Error).message)}`, {
      hint: ctx.settings.dbUrl
        ? 'Check DEPLOY_WIZARD_DB_URL (is the tunnel up?).'
        : 'The database is private to the VPC. Run with database.access "task", or open a tunnel and set DEPLOY_WIZARD_DB_URL.',
    });
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function useDirect(ctx: StepContext): boolean {
  return !!ctx.settings.dbUrl || ctx.config.database?.access === 'direct';
}

async function readVersions(c: pg.Client, extensions: string[]): Promise<Record<string, string>> {
  const res = await c.query<{ extname: string; extversion: string }>('SELECT extname, extversion FROM pg_extension WHERE extname = ANY($1)', [extensions]);
  return Object.fromEntries(res.rows.map((r) => [r.extname, r.extversion]));
}

/** Creates the configured database when missing, then each extension, then reads back their versions. */
async function applyDirect(ctx: StepContext): Promise<PgvectorOutput> {
  const { name, extensions } = ctx.config.database!;
  // The maintenance database is where CREATE DATABASE runs.
  await withClient(ctx, 'postgres', async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      ctx.log.info(`creating database ${name}`);
      await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
    }
  });
  return withClient(ctx, name, async (c) => {
    for (const ext of extensions) {
      try {
        await c.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(ext)}`);
      } catch (e) {
        throw new StepError('pgvector', `create extension ${ext} in ${name}: ${ctx.log.redact((e as Error).message)}`, {
          hint:
            ext === 'vector'
              ? 'RDS PostgreSQL 15.2 and later include pgvector. On a self-managed server, install the pgvector package for its PostgreSQL version. Then run the same command again: it resumes at this step.'
              : `Make sure the server offers the "${ext}" extension, then run again.`,
        });
      }
    }
    const versions = await readVersions(c, extensions);
    const missing = extensions.filter((e) => !versions[e]);
    if (missing.length) throw new StepError('pgvector', `confirm extensions: ${missing.join(', ')} not in pg_extension after CREATE EXTENSION`);
    ctx.log.info(`extensions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    return { database: name, extensions: versions, via: 'direct' as const };
  });
}

export const pgvector: Step<PgvectorOutput> = {
  id: 'pgvector',
  title: 'Create the database and extensions (pgvector)',
  dependsOn: ['rds'],
  enabled: (config) => !!config.database,

  async inputs(ctx) {
    const rds = ctx.output<RdsOutput>('rds');
    return { name: ctx.config.database!.name, extensions: ctx.config.database!.extensions, endpoint: rds.endpoint, direct: useDirect(ctx) };
  },

  async plan(ctx) {
    const { name, extensions } = ctx.config.database!;
    return [{ action: 'keep', resource: `database ${name}`, detail: `ensure it exists${extensions.length ? ` with ${extensions.join(', ')}` : ''} (${useDirect(ctx) ? 'direct connection' : 'one-off ECS task'})` }];
  },

  async apply(ctx) {
    if (useDirect(ctx)) return applyDirect(ctx);
    throw new StepError('pgvector', 'create extensions: database.access "task" (a one-off Fargate task inside the VPC) needs the ECS cluster and task roles, which this version does not create yet', {
      hint: 'Set database.access to "direct" if this machine can reach the database, or open a tunnel and set DEPLOY_WIZARD_DB_URL=postgresql://USER:PASSWORD@localhost:PORT/postgres, then run again.',
    });
  },

  async verify(ctx, out) {
    if (out.via !== 'direct' || !useDirect(ctx)) return [{ name: `extensions in ${out.database}`, ok: true, detail: 'recorded by the last task run' }];
    const versions = await withClient(ctx, out.database, (c) => readVersions(c, Object.keys(out.extensions)));
    return Object.entries(out.extensions).map(([ext, v]): Check => ({ name: `extension ${ext}`, ok: versions[ext] === v, detail: versions[ext] ?? 'missing' }));
  },
};
