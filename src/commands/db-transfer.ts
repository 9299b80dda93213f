import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { withDeployment, type Deployment } from '../with-deployment.js';
import * as clack from '@clack/prompts';
import { InputError, InterruptedError, WizardError } from '../errors.js';
import { systemClock } from '../clock.js';
import { dbClientTarget } from '../tasks/db-client.js';
import { deployedFor, runAndFollow } from '../tasks/run-and-follow.js';
import { DB_TRANSFER_PREFIX, ensureTransferBucket } from '../tasks/transfer-bucket.js';
import { putText, readBase64Part, removeObjects, uploadFile } from '../tasks/transfer-objects.js';
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

type ImportSource =
  | { kind: 'file'; path: string; file: string; size: number; format: ImportScript['format']; mode: ImportScript['mode'] }
  | { kind: 'url'; url: string; password: string; host: string; mode: ImportScript['mode'] };

/** The source database's URL: given, read from an env var (env:NAME), or asked for (ask); never stored. */
async function sourceUrl(from: string, io: Io, opts: CommonOptions): Promise<string> {
  let url = from;
  if (from.startsWith('env:')) {
    const name = from.slice(4);
    url = io.env[name] ?? '';
    if (!url) throw new InputError('db import: no source URL', [`--from env:${name}: ${name} is not set`]);
  } else if (from === 'ask') {
    if (!io.isTTY || opts.nonInteractive) throw new InputError('db import: no source URL', ['--from ask: needs a terminal; use --from env:NAME in scripts']);
    const v = await clack.password({
      message: 'URL of the database to copy (postgres://user:password@host:5432/db)',
      validate: (x) => (x ? undefined : 'required'),
    });
    if (clack.isCancel(v)) throw new InterruptedError('db import: cancelled', 'Nothing was changed.');
    url = v;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError('db import: the source URL cannot be read', ['--from: expected postgres://user:password@host:5432/database']);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new InputError('db import: the source URL cannot be read', [`--from: a postgres:// or postgresql:// URL, not ${parsed.protocol}//`]);
  return url;
}

async function checkImport(opts: CommonOptions, io: Io, args: string[]): Promise<ImportSource> {
  const o = opts.db;
  const mode: ImportScript['mode'] = o?.clean ? 'clean' : o?.append ? 'append' : 'new';
  if (o?.from !== undefined) {
    if (args.length) throw new InputError('db import: load a file or copy a database, not both', [`--from and ${args[0]}: give one`]);
    const url = await sourceUrl(o.from, io, opts);
    const u = new URL(url);
    return { kind: 'url', url, password: decodeURIComponent(u.password), host: u.hostname, mode };
  }
  const file = args[0];
  if (!file) throw new InputError('db import: name the file to load', ['db import FILE: a pg_dump -Fc archive or a plain SQL file; or --from URL']);
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
  if (mode === 'clean' && format === 'plain')
    throw new InputError('db import: --clean needs a pg_dump -Fc archive', [
      `--clean: ${file} is plain SQL, which runs as written; dump it with pg_dump --clean, or as -Fc, or load it with --append`,
    ]);
  return { kind: 'file', path, file, size: st.size, format, mode };
}

/** Lines of the import or export task: "dw-" lines are for us, the tools' own go to stderr as they come. */
function taskLines(opts: CommonOptions, io: Io, on: (kind: string, rest: string[]) => void, hide: (line: string) => string = (l) => l) {
  return (raw: string) => {
    const line = hide(raw);
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
  // The source's password never reaches the screen, whatever pg_dump prints.
  const hide = (line: string) => (f.kind === 'url' && f.password ? line.split(f.password).join('****') : line);
  return withDeployment(opts, io, {}, async (d) => {
    const t = await dbClientTarget(d, io.signal, note);
    const bucket = await ensureTransferBucket(d, deployedFor(d, io, note));
    const key =
      f.kind === 'file' ? `${DB_TRANSFER_PREFIX}imports/${stamp()}.${f.format === 'custom' ? 'dump' : 'sql'}` : `${DB_TRANSFER_PREFIX}sources/${stamp()}`;
    const s3 = d.session.aws.s3;
    let gone: Promise<void> | undefined;
    const forgetKey = () => {
      gone ??= removeObjects(s3, bucket, [key]);
    };
    try {
      if (f.kind === 'file') await uploadFile(s3, bucket, key, f.path, f.size, progress(opts, io, 'uploading', f.size));
      else await putText(s3, bucket, key, f.url);
      const format = f.kind === 'file' ? f.format : 'custom';
      const { script, environment } = importScript({ format, mode: f.mode, from: f.kind });
      const url = await presignedGet(s3, bucket, key, f.kind === 'file' ? 3600 : 900);
      const rows: { table: string; rows: number }[] = [];
      const sourceRows = new Map<string, number>();
      let refused: string | undefined;
      const code = await runAndFollow(d, opts, io, {
        ...t,
        command: ['sh', '-c', script],
        environment: { ...environment, DW_DB: t.database, ...(f.kind === 'file' ? { DW_URL: url } : { DW_SOURCE_AT: url }) },
        label: 'db import',
        onLine: taskLines(
          opts,
          io,
          (kind, rest) => {
            if (kind === 'phase') {
              note(rest.join(' '));
              // The task has the file on its disk: the object (and with it the presigned GET in its overrides) goes now.
              if (rest[0] === 'restoring' && f.kind === 'file') forgetKey();
            } else if (kind === 'refused') refused = rest[0];
            else if (kind === 'rows') rows.push({ table: rest[0]!, rows: Number(rest[1]) });
            else if (kind === 'srcrows') sourceRows.set(rest[0]!, Number(rest[1]));
            // The task has the URL: the object that carried it goes now, not after the import.
            else if (kind === 'sourceread') forgetKey();
          },
          hide,
        ),
      });
      if (code === REFUSED_EXIT && refused !== undefined)
        throw new WizardError(`db import: the database ${t.database} already holds ${refused} table(s); nothing was imported`, {
          hint: '--clean drops and recreates what the dump defines; --append adds the dump to what is there (for a -Fc archive, its rows only).',
        });
      if (code !== 0) {
        note(`db import: the restore failed (exit ${code}); it ran in one transaction, so nothing of it was kept`);
        return code;
      }
      const title =
        f.kind === 'file'
          ? `Imported ${f.file} (${f.format === 'custom' ? 'pg_dump archive' : 'SQL'}, ${mb(f.size)}) into ${t.database}`
          : `Copied the database at ${f.host} into ${t.database}`;
      return printRows(opts, io, rows, title, f.kind === 'url' ? sourceRows : undefined);
    } finally {
      forgetKey();
      await gone;
    }
  });
}

/** The row counts; with the source's beside them (--from), a table whose counts differ fails the command. */
function printRows(opts: CommonOptions, io: Io, rows: { table: string; rows: number }[], title: string, source?: Map<string, number>): number {
  const differ = source
    ? [...new Set([...rows.map((r) => r.table), ...source.keys()])].filter((t) => rows.find((r) => r.table === t)?.rows !== source.get(t))
    : [];
  if (opts.json) {
    for (const r of rows) io.stdout.write(`${JSON.stringify({ type: 'rows', ...r, ...(source ? { source: source.get(r.table) ?? null } : {}) })}\n`);
  } else {
    const w = Math.max(5, ...rows.map((r) => r.table.length));
    io.stdout.write(`${title}. Rows per table${source ? ' (here, in the source)' : ''}:\n`);
    for (const r of rows)
      io.stdout.write(`  ${r.table.padEnd(w)}  ${r.rows}${source ? `  ${source.get(r.table) ?? '-'}${differ.includes(r.table) ? '  DIFFERS' : ''}` : ''}\n`);
    if (!rows.length) io.stdout.write('  (no tables)\n');
  }
  if (!differ.length) return 0;
  throw new WizardError(`db import: the row counts differ from the source's in ${differ.join(', ')}`, {
    hint: 'The source changed while it was copied, or the target held rows of its own (--append). Stop writes to the source and import again with --clean.',
  });
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
    const prefix = `${DB_TRANSFER_PREFIX}exports/${stamp()}/part-`;
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
