import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { withDeployment } from '../with-deployment.js';
import { InputError } from '../errors.js';
import { dbClientTarget, psqlAs } from '../tasks/db-client.js';
import { runAndFollow } from '../tasks/run-and-follow.js';
import type { CommonOptions, Io } from '../options.js';

/** RunTask's overrides hold 8192 characters in all, the JSON around them included (ContainerOverride in the ECS API reference). */
const MAX_SQL_BYTES = 6_000;

async function readSql(opts: CommonOptions, io: Io): Promise<string> {
  const o = opts.db ?? { as: 'app' as const };
  let sql: string;
  if (o.command !== undefined) sql = o.command;
  else if (o.file !== undefined) {
    try {
      sql = await readFile(resolve(io.cwd, o.file), 'utf8');
    } catch (e) {
      throw new InputError('db sql: cannot read the SQL', [`--file ${o.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
  } else if (!(io.stdin as { isTTY?: boolean }).isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(Buffer.from(c as Buffer));
    sql = Buffer.concat(chunks).toString('utf8');
  } else throw new InputError('db sql: no SQL given', ['give it with -c "SQL", -f FILE, or on stdin']);
  if (!sql.trim()) throw new InputError('db sql: the SQL is empty', ['give it with -c "SQL", -f FILE, or on stdin']);
  const bytes = Buffer.byteLength(sql);
  if (bytes > MAX_SQL_BYTES)
    throw new InputError('db sql: the SQL is too long for a task', [
      `${o.file ? `--file ${o.file}` : 'the SQL'}: ${bytes} bytes; a task's overrides hold at most ${MAX_SQL_BYTES} of it. Put a larger load in a migration.`,
    ]);
  return sql;
}

/**
 * `db sql`: psql in a one-off task of the database client image inside the
 * VPC, as the app's role or the master user; psql's output as it comes, and
 * its exit code. The SQL travels as a variable of the task (never a file on
 * a disk the task does not own), which psql reads on stdin.
 */
export async function dbSql(opts: CommonOptions, io: Io): Promise<number> {
  const sql = await readSql(opts, io);
  const note = (line: string) => {
    if (!opts.json) io.stderr.write(`${line}\n`);
  };
  return withDeployment(opts, io, {}, async (d) => {
    const t = await dbClientTarget(d, io.signal, note);
    const psql = psqlAs(opts.db?.as ?? 'app', t.rds.appUser, t.database);
    return runAndFollow(d, opts, io, {
      ...t,
      command: ['sh', '-c', `printf '%s' "$DW_SQL" | ${psql}`],
      environment: { DW_SQL: sql },
      label: 'db sql',
      onLine: (line) => io.stdout.write(`${line}\n`),
    });
  });
}
