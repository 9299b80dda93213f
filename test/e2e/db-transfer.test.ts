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
    // --inserts: PGlite's socket server cannot take COPY FROM STDIN (the copy-in subprotocol ends its connection), so
    // the data the stand-in loads must be INSERTs; RDS takes pg_dump's COPY as it is. COPY TO STDOUT (a dump) works.
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
    await run('pg_dump', ['-Fc', '--inserts', '--no-owner', '--no-privileges', '-f', join(dir, 'source.dump'), source.url]);
    await run('pg_dump', ['--inserts', '--no-owner', '--no-privileges', '-f', join(dir, 'source.sql'), source.url]);
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

  it('db import of plain SQL, then of a -Fc archive: refused on a database with tables without --clean, row counts as the source', async () => {
    const plain = await runCli(['db', 'import', 'source.sql'], { cwd: dir, env });
    expect(plain.code, plain.stderr + plain.stdout).toBe(0);
    expect(rowsOf(plain.stdout)).toEqual(counts);
    expect(plain.stderr).toContain('restoring');
    expect(await psql(target.url, 'SELECT embedding::text FROM public.items WHERE id = 3')).toBe('[3,1.5,-1]');

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

    // The database now holds tables: the archive is refused, and nothing changes.
    await psql(target.url, "INSERT INTO public.notes VALUES (4, 'added after the import')");
    const refused = await runCli(['db', 'import', 'source.dump'], { cwd: dir, env });
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('the database appdb already holds 2 table(s); nothing was imported');
    expect(refused.stderr).toContain('--clean drops and recreates what the dump defines');
    expect(await psql(target.url, 'SELECT count(*) FROM public.notes')).toBe('4');

    // --clean: drop and recreate what the archive defines; the task ran the archive through pg_restore.
    const clean = await runCli(['db', 'import', 'source.dump', '--clean'], { cwd: dir, env });
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    expect(rowsOf(clean.stdout)).toEqual(counts);
    const t = [...runner.tasks.values()].filter((x) => x.command?.join(' ').includes('pg_restore')).pop()!;
    expect(t.exitCode).toBe(0);
    expect(t.command!.join(' ')).toContain('pg_restore --single-transaction --no-owner --no-privileges --clean --if-exists');
    expect(await psql(target.url, "SELECT encode(blob, 'hex') FROM public.items WHERE id = 40")).toBe('0000002800ff00');
  });

  it('db export writes a -Fc archive (0600) that holds the same data, byte for byte; destroy removes the transfer bucket', async () => {
    const r = await runCli(['db', 'export', 'out.dump'], { cwd: dir, env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^Wrote out\.dump: .* a pg_dump -Fc archive of appdb/);
    const path = join(dir, 'out.dump');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path).subarray(0, 5).toString()).toBe('PGDMP');
    // The same data as the source, row for row: the archive's COPY sections, read by pg_restore, against the source's
    // own COPY output (PGlite cannot be restored into with COPY; see above).
    const archived = (await run('pg_restore', ['--data-only', '-f', '-', path], { encoding: 'utf8', maxBuffer: 1 << 26 })).stdout;
    for (const table of ['items', 'notes']) {
      const section = new RegExp(`COPY public\\.${table} \\(.*\\) FROM stdin;\\n([\\s\\S]*?)\\\\\\.\\n`).exec(archived)?.[1];
      expect(section, `${table} in the archive`).toBeDefined();
      expect(section!.trimEnd()).toBe(await psql(source.url, `COPY (SELECT * FROM public.${table} ORDER BY id) TO STDOUT`));
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
