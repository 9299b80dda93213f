import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import pg from 'pg';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { startTaskRunner, type TaskRunner } from '../helpers/task-runner.js';
import { ensurePgClientImage } from '../helpers/pg-client-image.js';
import { startDebianPostgres } from '../helpers/postgres-server.js';

const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true });

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, q: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(q)).rows;
  } finally {
    await c.end();
  }
}

// The path a preview takes on AWS: its database made, cloned and dropped by the database client task inside the
// VPC (a real container of the task runner, which reaches the stand-in Postgres at the RDS endpoint), signed in
// as the previews' role, whose password the parent's own setup task set. Nothing is reached from this machine.
describe('preview database through the database client task', () => {
  let runner: TaskRunner;
  let db: Awaited<ReturnType<typeof startDebianPostgres>>;
  let dir: string;
  let app: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    const s = inject('standins').env;
    const image = ensurePgClientImage(s);
    db = await startDebianPostgres();
    // The instance's master user, as the rds step names it (trust authentication: any password).
    await sql(db.url, 'CREATE ROLE dbadmin LOGIN SUPERUSER');
    runner = await startTaskRunner({
      upstream: s.AWS_ENDPOINT_URL!,
      dockerHost: s.DOCKER_HOST!,
      registry: s.DEPLOY_WIZARD_REGISTRY!,
      databasePort: Number(new URL(db.url).port),
    });
    env = { AWS_ENDPOINT_URL: runner.url, DEPLOY_WIZARD_DB_URL: '' };
    ({ dir, app } = makeApp((c) => {
      c.database = { name: 'appdb', instanceClass: 'db.t4g.micro', extensions: [], clientImage: image };
      c.previews = { from: 'staging', domain: 'preview.example.com', database: 'clone' };
    }));
    expectOk(await runCli(['deploy', '--env', 'staging', '--non-interactive'], { cwd: dir, env }));
  }, 300_000);
  afterAll(async () => {
    await runner?.close();
    db?.stop();
  });

  it('clones the parent in a task as the previews role, keeps a dump through the task at down, and drops it', async () => {
    const state = readState(dir, 'staging');
    const admin = state.steps.pgvector.outputs.previewsAdmin;
    expect(admin.role).toBe(`${app}_previews`);
    await sql(
      db.url.replace(/\/postgres$/, '/appdb'),
      `SET ROLE ${state.steps.rds.outputs.appUser}; CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 30) g;`,
    );
    const up = await runCli(['preview', 'up', 'pr-5', '--non-interactive'], { cwd: dir, env });
    expectOk(up);
    expect(up.stdout + up.stderr).toContain('cloned appdb into appdb_pr_5: 1 tables, 30 rows');
    // Its task ran as the previews' role, never the master user: the credentials it was given say so.
    const clone = [...runner.tasks.values()].find((t) => t.command?.join(' ').includes('pg_dump -Fc'));
    expect(clone?.env.PGUSER).toBe(admin.role);
    expect(await sql(db.url.replace(/\/postgres$/, '/appdb_pr_5'), 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 30 }]);

    expectOk(await runCli(['preview', 'down', 'pr-5', '--non-interactive'], { cwd: dir, env }));
    const parts = (await s3.send(new ListObjectsV2Command({ Bucket: `${app}-staging-transfer-123456789012`, Prefix: 'previews/pr-5/' }))).Contents ?? [];
    expect(parts.map((o) => o.Key)).toEqual([expect.stringMatching(/^previews\/pr-5\/\d{8}T\d{6}\/part-00000$/)]);
    expect(await sql(db.url, "SELECT datname FROM pg_database WHERE datname LIKE 'appdb_pr_5%'")).toEqual([]);
  }, 300_000);
});
