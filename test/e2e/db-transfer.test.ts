import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { inject } from 'vitest';
import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { startTaskRunner, type TaskRunner } from '../helpers/task-runner.js';
import { ensurePgClientImage } from '../helpers/pg-client-image.js';
import { startPgliteInstance } from '../helpers/pglite-instance.js';

const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true });
// Names are schema-qualified: PGlite is one backend session shared by every connection, so the search_path a
// pg_dump or a restore sets ('') stays for the next connection.
// Asynchronous: the PGlite version shim runs in this process, so a synchronous child would wait for it forever.
const run = promisify(execFile);
const psql = async (url: string, sql: string) =>
  (await run('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8' })).stdout.trim();
const rowsOf = (stdout: string) => Object.fromEntries([...stdout.matchAll(/^ {2}(\S+)\s+(\d+)$/gm)].map((m) => [m[1], Number(m[2])]));

// db import and db export end to end: the CLI uploads to (or downloads from) the transfer bucket in moto, and the
// database client task runs in a real container (the task runner) against a PGlite of this test's own, with pgvector.
describe('db import and db export', () => {
  let runner: TaskRunner;
  let target: Awaited<ReturnType<typeof startPgliteInstance>>;
  let source: Awaited<ReturnType<typeof startPgliteInstance>>;
  let dir: string;
  let app: string;
  let env: Record<string, string>;
  const counts = { 'public.items': 40, 'public.notes': 3 };

  beforeAll(async () => {
    const s = inject('standins').env;
    const image = ensurePgClientImage(s);
    [target, source] = await Promise.all([startPgliteInstance(), startPgliteInstance()]);
    runner = await startTaskRunner({
      upstream: s.AWS_ENDPOINT_URL!,
      dockerHost: s.DOCKER_HOST!,
      registry: s.DEPLOY_WIZARD_REGISTRY!,
      databasePort: target.port,
    });
    env = { AWS_ENDPOINT_URL: runner.url, DEPLOY_WIZARD_DB_URL: '' };
    ({ dir, app } = makeApp((c) => {
      c.database = { name: 'appdb', instanceClass: 'db.t4g.micro', extensions: ['vector'], clientImage: image };
    }));
    // The source: pgvector columns, binary data with NUL bytes, and a sequence, dumped by the host's pg_dump both ways.
    await psql(
      source.url,
      [
        'CREATE EXTENSION IF NOT EXISTS vector',
        'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, embedding vector(3), blob bytea)',
        "INSERT INTO items (name, embedding, blob) SELECT 'item ' || i, ('[' || i || ',' || i * 0.5 || ',-1]')::vector, decode(lpad(to_hex(i), 8, '0') || '00ff00', 'hex') FROM generate_series(1, 40) i",
        'CREATE TABLE notes (id int PRIMARY KEY, body text)',
        "INSERT INTO notes VALUES (1, 'first'), (2, E'tab\\there'), (3, 'ünïcode')",
      ].join('; '),
    );
    await run('pg_dump', ['-Fc', '--no-owner', '--no-privileges', '-f', join(dir, 'source.dump'), source.url]);
    await run('pg_dump', ['--no-owner', '--no-privileges', '-f', join(dir, 'source.sql'), source.url]);
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir, env }));
  }, 240_000);
  afterAll(async () => {
    await runner?.close();
    await Promise.all([target?.stop(), source?.stop()]);
  });

  it('refuses what it cannot load before any call, naming the flag or the file', async () => {
    writeFileSync(join(dir, 'dump.sql.gz'), gzipSync('select 1;'));
    const from = runner.seen.length;
    const gz = await runCli(['db', 'import', 'dump.sql.gz'], { cwd: dir, env });
    expect(gz.code).toBe(2);
    expect(gz.stderr).toContain('dump.sql.gz: it is gzip-compressed: gunzip it first');
    const clean = await runCli(['db', 'import', 'source.sql', '--clean'], { cwd: dir, env });
    expect(clean.code).toBe(2);
    expect(clean.stderr).toContain('--clean: source.sql is plain SQL');
    const both = await runCli(['db', 'import', 'source.dump', '--clean', '--append'], { cwd: dir, env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--clean or --append, not both');
    const exists = await runCli(['db', 'export', 'source.sql'], { cwd: dir, env });
    expect(exists.code).toBe(2);
    expect(exists.stderr).toContain('source.sql: already there');
    expect(runner.seen.length).toBe(from);
  });

  it('db import of a -Fc archive and of plain SQL into an empty database, row counts as the source; refused on one with tables without --clean', async () => {
    const archive = await runCli(['db', 'import', 'source.dump'], { cwd: dir, env });
    expect(archive.code, archive.stderr + archive.stdout).toBe(0);
    expect(rowsOf(archive.stdout)).toEqual(counts);
    expect(archive.stderr).toContain('restoring');
    expect(await psql(target.url, 'SELECT embedding::text FROM public.items WHERE id = 3')).toBe('[3,1.5,-1]');
    expect(await psql(target.url, "SELECT encode(blob, 'hex') FROM public.items WHERE id = 40")).toBe('0000002800ff00');
    const restoreOf = () => [...runner.tasks.values()].filter((x) => x.command?.join(' ').includes('pg_restore')).pop()!;
    expect(restoreOf().command!.join(' ')).toContain('pg_restore --single-transaction --no-owner --no-privileges -d "$DW_DB" /tmp/dw.in');

    // The transfer bucket: private, encrypted, expiring, tagged as the database's; the upload is gone.
    const bucket = `${app}-prod-transfer-123456789012`;
    expect(readState(dir).transfer).toMatchObject({ bucket });
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual(
      expect.arrayContaining([
        { Key: 'deploy-wizard:app', Value: app },
        { Key: 'deploy-wizard:step', Value: 'rds' },
      ]),
    );
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toMatchObject({ BlockPublicPolicy: true });
    const rule = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules![0]!;
    expect(rule).toMatchObject({ Status: 'Enabled', Expiration: { Days: 1 } });
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0).toBe(0);
    const plan = await runCli(['plan'], { cwd: dir, env });
    expect(plan.stdout).toContain(`Transfer bucket ${bucket}`);

    // The database now holds tables: the SQL is refused, and nothing changes.
    await psql(target.url, "INSERT INTO public.notes VALUES (4, 'added after the import')");
    const refused = await runCli(['db', 'import', 'source.sql'], { cwd: dir, env });
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('the database appdb already holds 2 table(s); nothing was imported');
    expect(refused.stderr).toContain('--clean drops and recreates what the dump defines');
    expect(await psql(target.url, 'SELECT count(*) FROM public.notes')).toBe('4');

    // --clean: drop and recreate what the archive defines.
    const clean = await runCli(['db', 'import', 'source.dump', '--clean'], { cwd: dir, env });
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    expect(rowsOf(clean.stdout)).toEqual(counts);
    expect(restoreOf().exitCode).toBe(0);
    expect(restoreOf().command!.join(' ')).toContain('pg_restore --single-transaction --no-owner --no-privileges --clean --if-exists');

    // Empty again, and the plain SQL goes in through psql.
    await psql(target.url, 'DROP TABLE public.items, public.notes');
    const plain = await runCli(['db', 'import', 'source.sql'], { cwd: dir, env });
    expect(plain.code, plain.stderr + plain.stdout).toBe(0);
    expect(rowsOf(plain.stdout)).toEqual(counts);
    expect(await psql(target.url, 'SELECT body FROM public.notes WHERE id = 3')).toBe('ünïcode');
  });

  it('db import --from copies a database the task reaches, with both row counts; its URL is never in the task, the output or the bucket', async () => {
    const password = 's3cr3t-pw-7f1';
    const from = `postgresql://postgres:${password}@127.0.0.1:${source.port}/postgres`;
    const missing = await runCli(['db', 'import', '--from', 'env:SOURCE_DATABASE_URL'], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--from env:SOURCE_DATABASE_URL: SOURCE_DATABASE_URL is not set');
    const bad = await runCli(['db', 'import', '--from', 'mysql://x@y/z'], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from: a postgres:// or postgresql:// URL, not mysql://');

    const r = await runCli(['db', 'import', '--from', 'env:SOURCE_DATABASE_URL', '--clean'], { cwd: dir, env: { ...env, SOURCE_DATABASE_URL: from } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('Copied the database at 127.0.0.1 into appdb. Rows per table (here, in the source):');
    expect(r.stdout).toMatch(/^ {2}public\.items\s+40\s+40$/m);
    expect(r.stdout).toMatch(/^ {2}public\.notes\s+3\s+3$/m);
    expect(r.stdout + r.stderr).not.toContain(password);
    const t = [...runner.tasks.values()].filter((x) => x.command?.join(' ').includes('dw-sourceread')).pop()!;
    expect(t.exitCode).toBe(0);
    expect(JSON.stringify(t.env) + t.command!.join(' ')).not.toContain(password);
    expect(t.env.DW_SOURCE_AT).toMatch(/\/sources\//);
    const bucket = readState(dir).transfer.bucket;
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0).toBe(0);

    // --append loads into what is there; a script that fails part way changes nothing (one transaction).
    writeFileSync(join(dir, 'more.sql'), "INSERT INTO public.notes VALUES (10, 'appended');\n");
    const more = await runCli(['db', 'import', 'more.sql', '--append'], { cwd: dir, env });
    expect(more.code, more.stderr + more.stdout).toBe(0);
    expect(rowsOf(more.stdout)['public.notes']).toBe(4);
    writeFileSync(join(dir, 'broken.sql'), "INSERT INTO public.notes VALUES (11, 'half');\nSELECT no_such_column FROM public.notes;\n");
    const broken = await runCli(['db', 'import', 'broken.sql', '--append'], { cwd: dir, env });
    expect(broken.code).toBe(3);
    expect(broken.stderr).toContain('no_such_column');
    expect(broken.stderr).toContain('it ran in one transaction, so nothing of it was kept');
    expect(await psql(target.url, 'SELECT count(*) FROM public.notes')).toBe('4');
  });

  it('db export writes a -Fc archive (0600) that holds the same data, byte for byte; destroy removes the transfer bucket', async () => {
    const r = await runCli(['db', 'export', 'out.dump'], { cwd: dir, env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^Wrote out\.dump: .* a pg_dump -Fc archive of appdb/);
    const path = join(dir, 'out.dump');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path).subarray(0, 5).toString()).toBe('PGDMP');
    // Restored elsewhere, it holds the same data as the database it came from, row for row and byte for byte.
    const copy = await startPgliteInstance();
    try {
      await run('pg_restore', ['--no-owner', '-d', copy.url, path]);
      for (const table of ['items', 'notes']) {
        const q = `COPY (SELECT * FROM public.${table} ORDER BY id) TO STDOUT`;
        expect(await psql(copy.url, q)).toBe(await psql(target.url, q));
      }
    } finally {
      await copy.stop();
    }
    // Its parts left the bucket with it.
    const bucket = readState(dir).transfer.bucket;
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0).toBe(0);

    // destroy takes the transfer bucket with the app (the database itself is kept).
    const destroyed = await runCli(['destroy', '--yes', '--force', '--non-interactive'], { cwd: dir, env });
    expect(destroyed.code, destroyed.stderr).toBe(0);
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toThrow();
  }, 240_000);
});
