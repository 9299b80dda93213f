import pg from 'pg';
import type { StepContext } from '../../src/pipeline/context.js';
import { StepError } from '../../src/errors.js';
import { readSecretJson } from '../../src/secrets/store.js';
import type { Check } from '../../src/pipeline/step.js';
import { runOneOffTask, settledTaskLogLines } from '../../src/aws/ecs-helpers.js';
import { ensureDbClientTask, DB_CLIENT_CONTAINER as SETUP_CONTAINER, DB_CLIENT_STREAM_PREFIX } from '../../src/aws/db-client-task.js';
import { previewsAdminRole, previewsAdminSecretName } from '../../src/aws/names.js';
import { dbClientImage } from '../../src/config/db-client-image.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface PgvectorOutput {
  database: string;
  /** The application's role, which DATABASE_URL connects as. */
  appRole?: string;
  /** Installed extension versions, e.g. { vector: "0.8.0" }. */
  extensions: Record<string, string>;
  via: 'direct' | 'task';
  /** The parent of previews: the database role they sign in as, and its credentials' secret. */
  previewsAdmin?: { role: string; secretArn: string };
  /** A preview's clone (steps/preview-data): its tables' row counts when it was made. */
  rows?: Record<string, number>;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    pgvector: PgvectorOutput;
  }
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
  const rds = ctx.output('rds');
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
  const client = new pg.Client({ ...(await connectionConfig(ctx, database)), query_timeout: 120_000 });
  // pg takes no abort signal: on Ctrl-C, cut the socket so a pending query rejects at once.
  const onAbort = () => (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (ctx.signal.aborted) throw ctx.signal.reason;
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
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw e;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}

/**
 * What the application role may do: connect to its own database, create and
 * use objects in its public schema, and use what the master user created
 * there (tables, sequences, now and later). Nothing on other databases, no
 * role or database creation. Run in the app's database.
 */
export function grantStatements(database: string, role: string): { server: string[]; database: string[] } {
  const r = quoteIdent(role);
  return {
    server: [`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${r}`],
    database: [
      `GRANT USAGE, CREATE ON SCHEMA public TO ${r}`,
      `GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public TO ${r}`,
      `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r}`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES TO ${r}`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${r}`,
    ],
  };
}

/**
 * The role previews sign in as (steps/preview-data), made in the parent of previews: it may create databases and
 * roles, and read the parent's tables (with the right to pass that on to a "shared" preview's read-only role),
 * nothing more. Each extension the config names goes into template1 too, as the master user: a preview's new
 * database then has it, which its role could not create (pgvector is not a trusted extension).
 */
export function previewsAdminStatements(
  database: string,
  admin: string,
  appRole?: string,
): { server: string[]; database: string[]; template: (ext: string) => string } {
  const a = quoteIdent(admin);
  const read = [
    `GRANT USAGE ON SCHEMA public TO ${a}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${a} WITH GRANT OPTION`,
    `GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${a} WITH GRANT OPTION`,
  ];
  return {
    server: [`GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${a}`],
    database: [
      ...read,
      // The app role's tables, now and later (what its migrations create), are granted as it: the owner's to give.
      ...(appRole
        ? [
            `GRANT ${quoteIdent(appRole)} TO CURRENT_USER`,
            `SET ROLE ${quoteIdent(appRole)}`,
            ...read.slice(1),
            `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${a} WITH GRANT OPTION`,
            `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO ${a} WITH GRANT OPTION`,
            'RESET ROLE',
          ]
        : []),
    ],
    template: (ext) => `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(ext)}`,
  };
}

/** The previews' database role and its generated credentials, when this env is the parent of previews. */
async function previewsAdmin(ctx: StepContext): Promise<{ role: string; secretArn: string; password: string } | undefined> {
  if (ctx.preview || ctx.config.previews?.from !== ctx.env) return undefined;
  const { ensureGeneratedSecret, randomAlnum } = await import('../../src/secrets/store.js');
  const role = previewsAdminRole(ctx.app);
  const s = await ensureGeneratedSecret(
    ctx,
    'pgvector',
    previewsAdminSecretName(ctx.app, ctx.env),
    `deploy-wizard: the database role previews of ${ctx.app} (${ctx.env}) sign in as`,
    () => ({ username: role, password: randomAlnum(32) }),
  );
  return { role, secretArn: s.arn, password: s.value.password! };
}

/** The app role's name and password, from the secret the rds step generated. */
async function appRoleCredentials(ctx: StepContext): Promise<{ username: string; password: string } | undefined> {
  const rds = ctx.output('rds');
  if (!rds.appSecretArn) return undefined;
  const v = await readSecretJson(ctx, rds.appSecretArn);
  if (!v?.username || !v.password) throw new StepError('pgvector', `read credentials: the secret ${rds.appSecretArn} has no username or password`);
  return { username: v.username, password: v.password };
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
  const admin = await previewsAdmin(ctx);
  const adminSql = admin && previewsAdminStatements(name, admin.role, ctx.output('rds').appUser);
  // The maintenance database is where CREATE DATABASE runs.
  const role = await appRoleCredentials(ctx);
  const grants = role ? grantStatements(name, role.username) : undefined;
  await withClient(ctx, 'postgres', async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      ctx.log.info(`creating database ${name}`);
      await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
    }
    if (admin) {
      const has = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [admin.role]);
      if (has.rowCount === 0) ctx.log.info(`creating database role ${admin.role} (what previews sign in as)`);
      await c.query(
        `${has.rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE ${quoteIdent(admin.role)} WITH LOGIN NOSUPERUSER CREATEDB CREATEROLE PASSWORD ${c.escapeLiteral(admin.password)}`,
      );
      for (const q of adminSql!.server) await c.query(q);
    }
    if (role) {
      const has = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.username]);
      // ALTER on every run converges the password to the stored one; the literal never reaches a log.
      const verb = has.rowCount === 0 ? 'CREATE' : 'ALTER';
      if (verb === 'CREATE') ctx.log.info(`creating database role ${role.username}`);
      await c.query(`${verb} ROLE ${quoteIdent(role.username)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${c.escapeLiteral(role.password)}`);
      for (const q of grants!.server) await c.query(q);
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
    for (const q of grants?.database ?? []) await c.query(q);
    for (const q of adminSql?.database ?? []) await c.query(q);
    const versions = await readVersions(c, extensions);
    const missing = extensions.filter((e) => !versions[e]);
    if (missing.length) throw new StepError('pgvector', `confirm extensions: ${missing.join(', ')} not in pg_extension after CREATE EXTENSION`);
    ctx.log.info(
      `extensions: ${
        Object.entries(versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }`,
    );
    if (adminSql && extensions.length)
      await withClient(ctx, 'template1', async (t) => {
        for (const e of extensions) await t.query(adminSql.template(e));
      });
    return {
      database: name,
      extensions: versions,
      via: 'direct' as const,
      ...(role ? { appRole: role.username } : {}),
      ...(admin ? { previewsAdmin: { role: admin.role, secretArn: admin.secretArn } } : {}),
    };
  });
}

const MARK = 'dw-ext';

/**
 * What the one-off task runs, as the master user through libpq's own
 * variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGSSLMODE): create the
 * database when missing, the application role with APP_DB_PASSWORD (as a
 * psql variable, so it is never on a command line), its grants, each
 * extension, then print the installed versions with a marker so they can be
 * read back from the task's log. Names were checked against identifier rules
 * when the config was loaded.
 */
export function setupScript(name: string, extensions: string[], role?: string, admin?: { role: string; appRole?: string }): string {
  const psql = (db: string) => `psql -d ${db} -v ON_ERROR_STOP=1`;
  const lines = [
    'set -eu',
    `${psql('postgres')} -tAc "SELECT 1 FROM pg_database WHERE datname = '${name}'" | grep -q 1 || ${psql('postgres')} -c 'CREATE DATABASE "${name}"'`,
  ];
  if (role) {
    const g = grantStatements(name, role);
    lines.push(
      `${psql('postgres')} -v pw="$APP_DB_PASSWORD" <<'SQL'`,
      `SELECT 'CREATE ROLE ${quoteIdent(role)} LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') \\gexec`,
      `ALTER ROLE ${quoteIdent(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';`,
      ...g.server.map((q) => `${q};`),
      'SQL',
    );
    lines.push(...extensions.map((e) => `${psql(`"${name}"`)} -c 'CREATE EXTENSION IF NOT EXISTS "${e}"'`));
    lines.push(`${psql(`"${name}"`)} <<'SQL'`, ...g.database.map((q) => `${q};`), 'SQL');
  } else {
    lines.push(...extensions.map((e) => `${psql(`"${name}"`)} -c 'CREATE EXTENSION IF NOT EXISTS "${e}"'`));
  }
  if (admin) {
    // The previews' role, its password from PREVIEWS_DB_PASSWORD (a psql variable, never on a command line).
    const p = previewsAdminStatements(name, admin.role, admin.appRole);
    lines.push(
      `${psql('postgres')} -v pw="$PREVIEWS_DB_PASSWORD" <<'SQL'`,
      `SELECT 'CREATE ROLE ${quoteIdent(admin.role)} LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${admin.role}') \\gexec`,
      `ALTER ROLE ${quoteIdent(admin.role)} WITH LOGIN NOSUPERUSER CREATEDB CREATEROLE PASSWORD :'pw';`,
      ...p.server.map((q) => `${q};`),
      'SQL',
      `${psql(`"${name}"`)} <<'SQL'`,
      ...p.database.map((q) => `${q};`),
      'SQL',
      ...extensions.map((e) => `${psql('template1')} -c '${p.template(e)}'`),
    );
  }
  lines.push(`${psql(`"${name}"`)} -tAc "SELECT '${MARK} ' || extname || ' ' || extversion FROM pg_extension"`);
  return lines.join('\n');
}

/** Versions printed by setupScript, from the task's log lines. */
export function parseVersions(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const m = new RegExp(`^${MARK} (\\S+) (\\S+)$`).exec(l.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

async function applyTask(ctx: StepContext): Promise<PgvectorOutput> {
  const { name, extensions } = ctx.config.database!;
  const rds = ctx.output('rds');
  const roles = ctx.output('iam-roles');
  const app = ctx.output('task-definition');
  const role = rds.appUser;
  const admin = await previewsAdmin(ctx);
  const def = await ensureDbClientTask(ctx, {
    executionRoleArn: roles.executionRoleArn,
    logGroup: app.logGroup,
    rds,
    ...(admin ? { previewsSecretArn: admin.secretArn } : {}),
  });
  const script = setupScript(name, extensions, role, admin ? { role: admin.role, ...(role ? { appRole: role } : {}) } : undefined);
  const run = await runOneOffTask(ctx, {
    step: 'pgvector',
    purpose: 'CREATE EXTENSION',
    taskDefinition: def.taskDefinitionArn!,
    container: SETUP_CONTAINER,
    command: ['sh', '-c', script],
    logGroup: app.logGroup,
    streamPrefix: DB_CLIENT_STREAM_PREFIX,
    net: ctx.output('network'),
    deadlineMs: 15 * 60_000,
  });
  // Read until every version shows.
  const versions = parseVersions(
    await settledTaskLogLines(
      ctx,
      { logGroup: app.logGroup, streamPrefix: DB_CLIENT_STREAM_PREFIX, container: SETUP_CONTAINER, taskArn: run.taskArn, n: 200 },
      (lines) => extensions.every((e) => parseVersions(lines)[e]),
    ),
  );
  const missing = extensions.filter((e) => !versions[e]);
  if (missing.length) {
    throw new StepError(
      'pgvector',
      `confirm extensions: the task exited 0, but its log in ${app.logGroup} does not list ${missing.join(', ')} in pg_extension`,
      {
        hint: "Check the task's log stream; run again to retry (CREATE EXTENSION IF NOT EXISTS is safe to repeat).",
      },
    );
  }
  ctx.log.info(
    `extensions: ${Object.entries(versions)
      .filter(([k]) => extensions.includes(k))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  return {
    database: name,
    extensions: Object.fromEntries(extensions.map((e) => [e, versions[e]!])),
    via: 'task',
    ...(role ? { appRole: role } : {}),
    ...(admin ? { previewsAdmin: { role: admin.role, secretArn: admin.secretArn } } : {}),
  };
}

export const pgvector: StepCode<'pgvector'> = {
  async inputs(ctx) {
    const rds = ctx.output('rds');
    return {
      name: ctx.config.database!.name,
      extensions: ctx.config.database!.extensions,
      endpoint: rds.endpoint,
      direct: useDirect(ctx),
      image: dbClientImage(ctx.config.database!),
      role: rds.appUser ?? null,
      grants: 2,
      ...(ctx.config.previews?.from === ctx.env && !ctx.preview ? { previewsAdmin: previewsAdminRole(ctx.app) } : {}),
    };
  },

  async plan(ctx) {
    const { name, extensions } = ctx.config.database!;
    return [
      {
        action: 'keep',
        resource: `database ${name}`,
        detail: `ensure it exists${extensions.length ? ` with ${extensions.join(', ')}` : ''} (${useDirect(ctx) ? 'direct connection' : 'one-off ECS task'})`,
      },
    ];
  },

  async apply(ctx) {
    return useDirect(ctx) ? applyDirect(ctx) : applyTask(ctx);
  },

  async verify(ctx, out) {
    if (out.via !== 'direct' || !useDirect(ctx)) return [{ name: `extensions in ${out.database}`, ok: true, detail: 'recorded by the last task run' }];
    const versions = await withClient(ctx, out.database, (c) => readVersions(c, Object.keys(out.extensions)));
    return Object.entries(out.extensions).map(([ext, v]): Check => ({ name: `extension ${ext}`, ok: versions[ext] === v, detail: versions[ext] ?? 'missing' }));
  },
};
