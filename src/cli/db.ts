import { bool, str, type Command } from './command.js';

const SUBS = ['sql', 'import', 'export', 'snapshot', 'snapshots', 'restore', 'forget-old'] as const;

export const db: Command = {
  name: 'db',
  overview: `  db sql|import|export|snapshot|snapshots|restore|forget-old  the database: SQL from inside the VPC, dumps in and out, snapshots, restore`,
  help: `Usage: deploy-wizard db SUBCOMMAND [flags]

  db sql [-c SQL | -f FILE | < stdin] [--as app|master]
      runs SQL with psql in a one-off task of database.clientImage inside the
      VPC (as the app's role by default); prints psql's output and exits with
      its exit code (ON_ERROR_STOP)
  db import FILE|--from URL [--clean | --append]
      loads a pg_dump -Fc archive or a plain SQL file (told by its content)
      through the transfer bucket: a one-off task restores it as the master
      user in one transaction, then ANALYZE and the row count of every table.
      A database that already holds tables is refused unless --clean (drop
      and recreate what the archive defines) or --append (add it to what is
      there; an archive's rows only). Plain SQL runs as written: dump it with
      --no-owner --no-privileges. Up to 16 GiB. --from copies straight from a
      database the task can reach (pg_dump there, pg_restore here) and prints
      the source's row counts beside the new ones; a difference fails it.
  db export FILE
      pg_dump -Fc of the database in a one-off task, through the transfer
      bucket, to FILE (mode 0600; never overwrites a file)
  db snapshot [NAME]
      a manual snapshot of the database, waited for (default name
      <app>-<env>-manual-<UTC time>)
  db snapshots
      the database's manual and automated snapshots, with size and age
  db restore SNAPSHOT
      a new database from the snapshot (<app>-<env>-r<N>, same class, network,
      parameter group and encryption); the app's DATABASE_URL moves to it and
      the services roll; the old database is kept, with deletion protection,
      until db forget-old
  db forget-old
      deletes the databases a restore left behind (after a final snapshot of each)

  -c, --command SQL    db sql: the SQL to run
  -f, --file FILE      db sql: a file of SQL (up to 6 KB; larger loads belong to a migration)
  --as app|master      db sql: the role to run as (default app)
  --clean              db import: drop and recreate what the archive defines first
  --append             db import: load into a database that already holds tables
  --from URL|env:NAME|ask  db import: the database to copy (postgres://...), given,
                       read from the variable NAME, or asked for; never stored,
                       and never in the task's settings (it fetches it once)

The transfer bucket (<app>-<env>-transfer-<account>) is made by the first
import or export: private, encrypted, everything in it gone after a
day; each command removes its own files when it ends. destroy removes it.`,
  flags: {
    command: { type: 'string', short: 'c', sub: 'sql' },
    file: { type: 'string', sub: 'sql' },
    as: { type: 'string', sub: 'sql' },
    clean: { type: 'boolean', sub: 'import' },
    append: { type: 'boolean', sub: 'import' },
    from: { type: 'string', sub: 'import' },
  },
  aliases: { '-f': '--file' },
  check: (v, rest) => {
    const [sub, ...args] = rest;
    if (!sub || !(SUBS as readonly string[]).includes(sub)) return [`db ${sub ?? ''}: name a subcommand: ${SUBS.join(', ')}`.replace('db : ', 'db: ')];
    const problems: string[] = [];
    const as = str(v, 'as');
    if (as !== undefined && as !== 'app' && as !== 'master') problems.push(`--as ${as}: app or master`);
    if (sub === 'sql' && str(v, 'command') !== undefined && str(v, 'file') !== undefined) problems.push('db sql: give the SQL once, with -c or with -f');
    if (bool(v, 'clean') && bool(v, 'append')) problems.push('db import: --clean or --append, not both');
    if (((sub === 'import' && str(v, 'from') === undefined) || sub === 'export') && !args.length)
      problems.push(sub === 'import' ? 'db import: name the file to load (a pg_dump -Fc archive or SQL)' : 'db export: name the file to write');
    const max = { sql: 0, import: 1, export: 1, snapshot: 1, snapshots: 0, restore: 1, 'forget-old': 0 }[sub as (typeof SUBS)[number]];
    if (args.length > max) problems.push(`db ${sub}: unexpected ${args.join(' ')}`);
    if (sub === 'restore' && !args.length) problems.push('db restore: name the snapshot (deploy-wizard db snapshots lists them)');
    if (sub === 'snapshot' && args[0] !== undefined && !/^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,254}(?<!-)$/.test(args[0]))
      problems.push(`db snapshot ${args[0]}: a snapshot name is 1-255 letters, digits and single hyphens, starting with a letter and not ending with a hyphen`);
    return problems;
  },
  options: (v) => ({
    db: {
      command: str(v, 'command'),
      file: str(v, 'file'),
      as: (str(v, 'as') as 'app' | 'master' | undefined) ?? 'app',
      clean: bool(v, 'clean'),
      append: bool(v, 'append'),
      from: str(v, 'from'),
    },
  }),
  run: async (opts, io, rest) => {
    const [sub, ...args] = rest;
    if (sub === 'sql') return (await import('../commands/db-sql.js')).dbSql(opts, io);
    if (sub === 'import') return (await import('../commands/db-transfer.js')).dbImport(opts, io, args);
    if (sub === 'export') return (await import('../commands/db-transfer.js')).dbExport(opts, io, args);
    if (sub === 'snapshot') return (await import('../commands/db-snapshots.js')).dbSnapshot(opts, io, args);
    if (sub === 'snapshots') return (await import('../commands/db-snapshots.js')).dbSnapshots(opts, io);
    if (sub === 'restore') return (await import('../commands/db-restore.js')).dbRestore(opts, io, args);
    return (await import('../commands/db-restore.js')).dbForgetOld(opts, io);
  },
};
