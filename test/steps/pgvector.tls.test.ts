import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { pgvector } from '../../steps/pgvector/apply.js';
import { databaseUrl } from '../../src/config/database-url.js';
import { stepContext } from '../helpers/step-context.js';
import { startDebianPostgres } from '../helpers/postgres-server.js';

const sql = (url: string, q: string) => spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-tAc', q], { encoding: 'utf8' });

describe('DATABASE_URL on a TLS-only Postgres with a certificate no client trusts (as RDS is)', () => {
  it('the pgvector step creates the app role; the derived URL connects over TLS with libpq (psql, as psycopg and Rails do) and node-postgres, and the role is least-privilege', async () => {
    const server = await startDebianPostgres({ tls: { password: 'MasterPassw0rd' } });
    try {
      const { ctx, app } = stepContext({ database: { name: 'app_db', engineVersion: '16', extensions: [], access: 'direct' } });
      const port = Number(new URL(server.url).port);
      // The wizard's own connection (a tunnel URL); node-postgres needs libpq's meaning of sslmode against this certificate.
      ctx.settings.dbUrl = `${server.url}?sslmode=require&uselibpqcompat=true`;
      const password = 'AppRolePassw0rdAppRolePassw0rd12';
      const secret = await ctx.aws.secrets.send(
        new CreateSecretCommand({ Name: `${app}/prod/db-app`, SecretString: JSON.stringify({ username: `${app}_app`, password }) }),
      );
      ctx.output = ((id: string) =>
        id === 'rds' ? { endpoint: '127.0.0.1', port, dbName: 'app_db', appSecretArn: secret.ARN, appUser: `${app}_app` } : undefined) as any;
      const out = await pgvector.apply(ctx);
      expect(out.appRole).toBe(`${app}_app`);
      // Converges: a second run alters the role to the same password and grants again, without error.
      await pgvector.apply(ctx);

      const at = (driver: 'libpq' | 'node-postgres') => databaseUrl({ user: `${app}_app`, password, host: '127.0.0.1', port, database: 'app_db', driver });
      const libpq = sql(
        at('libpq'),
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid(); CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('x')",
      );
      expect(libpq.status, libpq.stderr).toBe(0);
      expect(libpq.stdout.trim().split('\n')[0]).toBe('t');

      const client = new pg.Client({ connectionString: at('node-postgres') });
      await client.connect();
      try {
        expect((await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0].ssl).toBe(true);
        expect((await client.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(1);
        await expect(client.query('CREATE DATABASE other')).rejects.toThrow(/permission denied/);
        await expect(client.query('CREATE ROLE intruder')).rejects.toThrow(/permission denied/);
      } finally {
        await client.end();
      }
      // Without TLS the server refuses, as RDS with rds.force_ssl does: the parameters above are what makes it work.
      const plain = sql(at('libpq').replace('sslmode=require', 'sslmode=disable'), 'SELECT 1');
      expect(plain.status).not.toBe(0);
      expect(plain.stderr).toMatch(/no encryption|SSL off/);
      // node-postgres with a bare sslmode=require verifies against Node's CAs and fails on this certificate: why the driver key exists.
      const strict = new pg.Client({ connectionString: at('libpq') });
      await expect(strict.connect()).rejects.toThrow(/self-signed|certificate/);
    } finally {
      server.stop();
    }
  });

  it('shapes the TLS parameters per driver', () => {
    const base = { user: 'app_app', password: 'p@ss', host: 'db.x.rds.amazonaws.com', port: 5432, database: 'app_db' };
    expect(databaseUrl({ ...base, driver: 'libpq' })).toBe('postgresql://app_app:p%40ss@db.x.rds.amazonaws.com:5432/app_db?sslmode=require');
    expect(databaseUrl({ ...base, driver: 'node-postgres' })).toBe(
      'postgresql://app_app:p%40ss@db.x.rds.amazonaws.com:5432/app_db?sslmode=require&uselibpqcompat=true',
    );
    expect(databaseUrl({ ...base, driver: 'asyncpg' })).toBe('postgresql://app_app:p%40ss@db.x.rds.amazonaws.com:5432/app_db?ssl=require');
  });
});
