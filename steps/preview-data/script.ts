// The shell the database client task runs for a preview's database, as the
// previews' database role (never the master user) through libpq's variables (PGHOST, PGUSER, PGPASSWORD...), with
// the preview role's password in APP_DB_PASSWORD (a psql variable, never on
// a command line). Identifiers come from the config and the preview's name,
// checked against Postgres's rules (letters, digits, underscores), so they
// are safe inside the quotes below. Lines that start with "dw-" are read back
// from the task's log.

export interface PreviewDataScript {
  mode: 'clone' | 'empty' | 'shared';
  /** The preview's database (clone, empty) or the parent's (shared). */
  database: string;
  role: string;
  /** The database a clone copies: the parent's, or another preview's (--data-from). */
  source?: string;
  schemaOnly?: boolean;
  maxBytes?: number;
  extensions: readonly string[];
}

const SAFE = /^[a-z_][a-z0-9_]{0,62}$/;

const q = (s: string) => {
  if (!SAFE.test(s)) throw new Error(`not a safe Postgres identifier: ${s}`);
  return `"${s}"`;
};

/** Every table with its exact row count, one `dw-LABEL SCHEMA.TABLE COUNT` line each (as db import prints them). */
const countRows = (label: string, db: string) =>
  `printf '%s\\n' "SELECT format('SELECT %L, count(*) FROM %I.%I', 'dw-${label} ' || schemaname || '.' || tablename, schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1 \\\\gexec" | $P -At -F ' ' -d ${q(db)}`;

export function previewDataScript(o: PreviewDataScript): string {
  const role = q(o.role);
  const db = q(o.database);
  const lines = [
    'set -eu',
    'P="psql -X -v ON_ERROR_STOP=1"',
    'echo "dw-phase role"',
    // New roles are never superusers; saying NOSUPERUSER is the superuser's to do (a CREATEROLE role may not).
    `$P -q -d postgres -v pw="$APP_DB_PASSWORD" <<'SQL'`,
    `SELECT 'CREATE ROLE ${role} LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${o.role}') \\gexec`,
    `ALTER ROLE ${role} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD :'pw';`,
    'SQL',
  ];
  if (o.mode === 'shared') {
    // Read-only on the parent's database: SELECT on its tables, passed on by the previews' role, which holds it
    // with the grant option (the parent's setup gave it). Tables made after this get it at the next preview up.
    lines.push(
      `$P -q -d postgres -c 'GRANT ${role} TO CURRENT_USER' -c 'GRANT CONNECT ON DATABASE ${db} TO ${role}'`,
      `$P -q -d ${db} <<'SQL'`,
      `GRANT USAGE ON SCHEMA public TO ${role};`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role};`,
      `GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};`,
      'SQL',
      'echo "dw-done shared"',
    );
    return lines.join('\n');
  }
  // Made under a temporary name and renamed once whole: a run killed mid-copy leaves no half database under the
  // real name, and the next run starts the copy again.
  const tmp = q(`${o.database.slice(0, 58)}__new`);
  const tmpName = `${o.database.slice(0, 58)}__new`;
  lines.push(
    `if [ -n "$($P -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '${o.database}'")" ]; then echo "dw-done exists"; exit 0; fi`,
    `$P -q -d postgres -c 'DROP DATABASE IF EXISTS ${tmp}'`,
    // The master user makes the database the role's and restores as it: every object the preview has is its role's.
    `$P -q -d postgres -c 'GRANT ${role} TO CURRENT_USER'`,
  );
  if (o.mode === 'clone') {
    const src = q(o.source!);
    lines.push(
      `SIZE=$($P -At -d postgres -c "SELECT pg_database_size('${o.source}')")`,
      'echo "dw-source-bytes $SIZE"',
      ...(o.schemaOnly
        ? []
        : [
            `if [ "$SIZE" -gt ${o.maxBytes} ]; then echo "the database ${o.source} is $((SIZE / 1048576)) MB, over previews.maxCloneMb (${Math.floor(o.maxBytes! / 1048576)} MB): raise it, pass --schema-only, or use database \\"empty\\"" >&2; exit 65; fi`,
          ]),
      'echo "dw-phase dumping"',
      `pg_dump -Fc --no-owner --no-privileges${o.schemaOnly ? ' --schema-only' : ''} -d ${src} -f /tmp/dw.dump`,
    );
  }
  lines.push(
    'echo "dw-phase creating"',
    `$P -q -d postgres -c 'CREATE DATABASE ${tmp} OWNER ${role}'`,
    `$P -q -d postgres -c 'REVOKE ALL ON DATABASE ${tmp} FROM PUBLIC' -c 'GRANT CONNECT, TEMPORARY ON DATABASE ${tmp} TO ${role}'`,
    ...o.extensions.map((e) => `$P -q -d ${tmp} -c 'CREATE EXTENSION IF NOT EXISTS ${q(e)}'`),
  );
  if (o.mode === 'clone') {
    lines.push(
      // Extensions are the master user's to create (the role may not): made first, and left out of the restore.
      `for X in $(pg_restore -l /tmp/dw.dump | sed -n 's/.* EXTENSION - \\([a-z0-9_]*\\).*/\\1/p'); do $P -q -d ${tmp} -c "CREATE EXTENSION IF NOT EXISTS \\"$X\\""; done`,
      "pg_restore -l /tmp/dw.dump | grep -v ' EXTENSION ' > /tmp/dw.list",
      'echo "dw-phase restoring $(wc -c < /tmp/dw.dump) bytes"',
      `pg_restore --single-transaction --no-owner --no-privileges --role=${role} -L /tmp/dw.list -d ${tmp} /tmp/dw.dump`,
      'rm -f /tmp/dw.dump /tmp/dw.list',
      `$P -q -d ${tmp} -c ANALYZE`,
      countRows('srcrows', o.source!),
      countRows('rows', tmpName),
    );
  }
  lines.push(`$P -q -d postgres -c 'ALTER DATABASE ${tmp} RENAME TO ${db}'`, `echo "dw-done ${o.mode}"`);
  return lines.join('\n');
}

/**
 * What preview down runs: the preview's database dropped (its connections closed first) and its role, after
 * what it was granted elsewhere (a shared preview's SELECT on the parent's tables) is revoked.
 */
export function dropScript(o: { database?: string; role: string; grantedIn?: string }): string {
  const role = q(o.role);
  return [
    'set -eu',
    'P="psql -X -v ON_ERROR_STOP=1"',
    ...(o.database ? [`$P -q -d postgres -c 'DROP DATABASE IF EXISTS ${q(o.database)} WITH (FORCE)'`] : []),
    `if [ -n "$($P -At -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '${o.role}'")" ]; then`,
    ...(o.grantedIn ? [`  $P -q -d ${q(o.grantedIn)} -c 'DROP OWNED BY ${role}'`] : []),
    `  $P -q -d postgres -c 'DROP OWNED BY ${role}' -c 'DROP ROLE ${role}'`,
    'fi',
    'echo "dw-done dropped"',
  ].join('\n');
}

/** Row counts a clone printed: the source's and the copy's, by table. */
export function parseCounts(lines: readonly string[]): { source: Record<string, number>; copy: Record<string, number> } {
  const out = { source: {} as Record<string, number>, copy: {} as Record<string, number> };
  for (const l of lines) {
    const m = /^dw-(srcrows|rows) (\S+) (\d+)$/.exec(l.trim());
    if (m) (m[1] === 'srcrows' ? out.source : out.copy)[m[2]!] = Number(m[3]);
  }
  return out;
}
