import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { withDeployment, type Deployment } from '../with-deployment.js';
import { InputError, WizardError } from '../errors.js';
import { systemClock } from '../clock.js';
import { dbClientTarget } from '../tasks/db-client.js';
import { deployedFor, runAndFollow } from '../tasks/run-and-follow.js';
import { ensureTransferBucket } from '../tasks/transfer-bucket.js';
import { readBase64Part, removeObjects, uploadFile } from '../tasks/transfer-objects.js';
import { exportScript, importScript, PART_BYTES, REFUSED_EXIT, type ImportScript } from '../tasks/db-transfer-scripts.js';
import { formParts, presignedGet, presignedPost } from '../aws/s3-post.js';
import type { CommonOptions, Io } from '../options.js';

/** The task downloads the file to its own disk: Fargate gives it 20 GiB of ephemeral storage, some of it the image's. */
const MAX_IMPORT_BYTES = 16 * 1024 ** 3;
/** How long the task may take to start and dump before its upload form expires. */
const EXPORT_FORM_SECONDS = 12 * 3600;

const mb = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MB`;
const stamp = () => `${systemClock.now().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;

/** What the file is, by its first bytes: pg_dump's custom format starts "PGDMP"; anything else must be SQL text. */
export async function dumpFormat(path: string): Promise<ImportScript['format']> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    const b = head.subarray(0, bytesRead);
    if (b.subarray(0, 5).toString('latin1') === 'PGDMP') return 'custom';
    const problem =
      b[0] === 0x1f && b[1] === 0x8b
        ? 'it is gzip-compressed: gunzip it first (a pg_dump -Fc archive is compressed already)'
        : b.subarray(257, 262).toString('latin1') === 'ustar'
          ? 'it is a tar archive (pg_dump -Ft): dump again with -Fc, or as plain SQL'
          : b.includes(0)
            ? 'it is neither a pg_dump -Fc archive nor SQL text'
            : undefined;
    if (problem) throw new InputError(`db import: cannot load ${basename(path)}`, [`${path}: ${problem}`]);
    return 'plain';
  } finally {
    await fh.close();
  }
}

async function checkImport(opts: CommonOptions, io: Io, args: string[]) {
  const o = opts.db;
  const file = args[0];
  if (!file) throw new InputError('db import: name the file to load', ['db import FILE: a pg_dump -Fc archive or a plain SQL file']);
  const path = resolve(io.cwd, file);
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new InputError('db import: cannot read the file', [`${file}: ${e.code ?? e.message}`]);
  });
  if (!st.isFile()) throw new InputError('db import: cannot read the file', [`${file}: not a file (a pg_dump -Fd directory? dump with -Fc instead)`]);
  if (st.size > MAX_IMPORT_BYTES)
    throw new InputError('db import: the file is too large', [
      `${file}: ${mb(st.size)}; the task that loads it has 20 GiB of disk, so at most 16 GiB (a -Fc archive is compressed: dump with -Fc if this is SQL)`,
    ]);
  const format = await dumpFormat(path);
  const mode: ImportScript['mode'] = o?.clean ? 'clean' : o?.append ? 'append' : 'new';
  if (mode === 'clean' && format === 'plain')
    throw new InputError('db import: --clean needs a pg_dump -Fc archive', [
      `--clean: ${file} is plain SQL, which runs as written; dump it with pg_dump --clean, or as -Fc, or load it with --append`,
    ]);
  return { path, file, size: st.size, format, mode };
}

/** Lines of the import or export task: "dw-" lines are for us, the tools' own go to stderr as they come. */
function taskLines(opts: CommonOptions, io: Io, on: (kind: string, rest: string[]) => void) {
  return (line: string) => {
    const m = /^dw-([a-z]+) ?(.*)$/.exec(line);
    if (m) on(m[1]!, m[2]!.split(' '));
    else if (!opts.json) io.stderr.write(`${line}\n`);
  };
}

function progress(opts: CommonOptions, io: Io, what: string, total: number) {
  let last = 0;
  return (done: number) => {
    if (opts.json) return;
    const now = Date.now();
    if (done < total && now - last < 500) return;
    last = now;
    const pct = total ? Math.floor((done / total) * 100) : 100;
    const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
    const text = `${what} [${bar}] ${pct}% ${mb(done)} of ${mb(total)}`;
    if (io.isTTY) io.stderr.write(`\r${text}${done >= total ? '\n' : ''}`);
    else if (done >= total) io.stderr.write(`${text}\n`);
  };
}

/**
 * `db import FILE`: the file goes to the transfer bucket, and a one-off task
 * of the database client image inside the VPC loads it as the master user
 * (pg_restore for a -Fc archive, psql for SQL) in one transaction, refusing
 * a database that holds tables unless --clean or --append, then ANALYZE and
 * the row count of every table, so the numbers can be held against the source.
 */
export async function dbImport(opts: CommonOptions, io: Io, args: string[]): Promise<number> {
  const f = await checkImport(opts, io, args);
  const note = (line: string) => !opts.json && io.stderr.write(`${line}\n`);
  return withDeployment(opts, io, {}, async (d) => {
    const t = await dbClientTarget(d, io.signal, note);
    const bucket = await ensureTransferBucket(d, deployedFor(d, io, note));
    const key = `imports/${stamp()}.${f.format === 'custom' ? 'dump' : 'sql'}`;
    const s3 = d.session.aws.s3;
    try {
      await uploadFile(s3, bucket, key, f.path, f.size, progress(opts, io, 'uploading', f.size));
      const { script, environment } = importScript({ format: f.format, mode: f.mode });
      const rows: { table: string; rows: number }[] = [];
      let refused: string | undefined;
      const code = await runAndFollow(d, opts, io, {
        ...t,
        command: ['sh', '-c', script],
        environment: { ...environment, DW_DB: t.database, DW_URL: await presignedGet(s3, bucket, key, 3600) },
        label: 'db import',
        onLine: taskLines(opts, io, (kind, rest) => {
          if (kind === 'phase') note(rest.join(' '));
          else if (kind === 'refused') refused = rest[0];
          else if (kind === 'rows') rows.push({ table: rest[0]!, rows: Number(rest[1]) });
        }),
      });
      if (code === REFUSED_EXIT && refused !== undefined)
        throw new WizardError(`db import: the database ${t.database} already holds ${refused} table(s); nothing was imported`, {
          hint: '--clean drops and recreates what the dump defines; --append adds the dump to what is there (for a -Fc archive, its rows only).',
        });
      if (code !== 0) {
        note(`db import: the restore failed (exit ${code}); it ran in one transaction, so nothing of it was kept`);
        return code;
      }
      printRows(opts, io, rows, `Imported ${f.file} (${f.format === 'custom' ? 'pg_dump archive' : 'SQL'}, ${mb(f.size)}) into ${t.database}`);
      return 0;
    } finally {
      await removeObjects(s3, bucket, [key]);
    }
  });
}

function printRows(opts: CommonOptions, io: Io, rows: { table: string; rows: number }[], title: string) {
  if (opts.json) {
    for (const r of rows) io.stdout.write(`${JSON.stringify({ type: 'rows', ...r })}\n`);
    return;
  }
  const w = Math.max(5, ...rows.map((r) => r.table.length));
  io.stdout.write(`${title}. Rows per table:\n`);
  for (const r of rows) io.stdout.write(`  ${r.table.padEnd(w)}  ${r.rows}\n`);
  if (!rows.length) io.stdout.write('  (no tables)\n');
}

async function checkExport(io: Io, args: string[]) {
  const file = args[0];
  if (!file) throw new InputError('db export: name the file to write', ['db export FILE: it gets a pg_dump -Fc archive']);
  const path = resolve(io.cwd, file);
  if (await stat(path).catch(() => undefined))
    throw new InputError('db export: the file exists', [`${file}: already there; name a new file (db export never overwrites one)`]);
  const dir = await stat(dirname(path)).catch(() => undefined);
  if (!dir?.isDirectory()) throw new InputError('db export: no such directory', [`${file}: ${dirname(path)} does not exist`]);
  return { path, file };
}

/** Joins the task's base64 parts into FILE (0600, written beside it and renamed once whole), checking size and SHA-256. */
async function download(
  d: Deployment,
  opts: CommonOptions,
  io: Io,
  o: { bucket: string; prefix: string; parts: number; size: number; sha: string; path: string },
) {
  const s3 = d.session.aws.s3;
  const partial = `${o.path}.partial`;
  const fh = await open(partial, 'wx', 0o600);
  const hash = createHash('sha256');
  const show = progress(opts, io, 'downloading', o.size);
  let got = 0;
  try {
    for (let i = 0; i < o.parts; i++) {
      const bytes = await readBase64Part(s3, o.bucket, `${o.prefix}${String(i).padStart(5, '0')}`);
      hash.update(bytes);
      await fh.write(bytes);
      got += bytes.length;
      show(got);
    }
    await fh.close();
    const sha = hash.digest('hex');
    if (got !== o.size || sha !== o.sha)
      throw new WizardError(`db export: the downloaded archive differs from the one the task dumped (${got} of ${o.size} bytes)`, {
        hint: 'Nothing was written; run db export again.',
      });
    await rename(partial, o.path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw e;
  }
}

/**
 * `db export FILE`: pg_dump -Fc in a one-off task inside the VPC, uploaded to
 * the transfer bucket in parts through a presigned form (the client image has
 * no AWS SDK), joined here into FILE with mode 0600, then removed from the bucket.
 */
export async function dbExport(opts: CommonOptions, io: Io, args: string[]): Promise<number> {
  const f = await checkExport(io, args);
  const note = (line: string) => !opts.json && io.stderr.write(`${line}\n`);
  return withDeployment(opts, io, {}, async (d) => {
    const t = await dbClientTarget(d, io.signal, note);
    const bucket = await ensureTransferBucket(d, deployedFor(d, io, note));
    const s3 = d.session.aws.s3;
    const prefix = `exports/${stamp()}/part-`;
    // A part is base64 (4 bytes per 3, a newline per 76) plus the form around it.
    const post = await presignedPost(s3, {
      bucket,
      keyPrefix: prefix,
      maxBytes: Math.ceil(PART_BYTES * 1.4) + 65_536,
      expiresInSeconds: EXPORT_FORM_SECONDS,
      now: systemClock.now(),
    });
    const { boundary, parts } = formParts(post.fields);
    const { script, environment } = exportScript();
    let dumped: { size: number; sha: string } | undefined;
    let total = 0;
    try {
      const code = await runAndFollow(d, opts, io, {
        ...t,
        command: ['sh', '-c', script],
        environment: { ...environment, DW_DB: t.database, DW_URL: post.url, DW_PREFIX: prefix, DW_BOUNDARY: boundary, DW_FORM: parts },
        label: 'db export',
        onLine: taskLines(opts, io, (kind, rest) => {
          if (kind === 'phase') note(rest.join(' '));
          else if (kind === 'dumped') {
            dumped = { size: Number(rest[0]), sha: rest[1]! };
            note(`dumped ${mb(dumped.size)}; uploading`);
          } else if (kind === 'uploaded') total = Number(rest[1]);
        }),
      });
      if (code !== 0) return code;
      if (!dumped || !total)
        throw new WizardError('db export: the task ended without uploading the archive', { hint: 'Its lines are above; run db export again.' });
      await download(d, opts, io, { bucket, prefix, parts: total, ...dumped, path: f.path });
      const out = { type: 'export', file: f.file, bytes: dumped.size, sha256: dumped.sha, database: t.database };
      io.stdout.write(
        opts.json
          ? `${JSON.stringify(out)}\n`
          : `Wrote ${f.file}: ${mb(dumped.size)}, a pg_dump -Fc archive of ${t.database} (sha256 ${dumped.sha.slice(0, 12)}…)\n`,
      );
      return 0;
    } finally {
      await removeObjects(
        s3,
        bucket,
        Array.from({ length: total }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`),
      );
    }
  });
}
