// The shell the database client task runs for `db import` and `db export`.
// It needs only what the stock postgres:<major>-alpine image has: psql,
// pg_dump, pg_restore and busybox (sh, wget, dd, base64, sha256sum, wc; and sed and grep for a preview's clone,
// steps/preview-data/script.ts).
// Lines that start with "dw-" are for the CLI (phases, sizes, row counts);
// the rest is the tools' own output.

/** Upload parts: busybox wget POSTs a file it has read whole into memory, so parts stay small. */
export const PART_BYTES = 32 * 1024 * 1024;

/** Exit code of a refused import (a database that holds tables, without --clean or --append): outside psql's and pg_restore's 0-3. */
export const REFUSED_EXIT = 65;

/** Every table outside the catalogs with its exact row count, one `dw-LABEL SCHEMA.TABLE COUNT` line each. */
const countSql = (label: string) =>
  [
    `SELECT format('SELECT %L, count(*) FROM %I.%I', 'dw-${label} ' || schemaname || '.' || tablename, schemaname, tablename)`,
    "FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname, tablename \\gexec",
  ].join(' ');

const TABLES_SQL = "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')";

export interface ImportScript {
  /** custom: a pg_dump -Fc archive (pg_restore); plain: SQL (psql). Told by the file's first bytes, not its name. */
  format: 'custom' | 'plain';
  mode: 'new' | 'clean' | 'append';
  /**
   * file: download DW_URL (a presigned GET of the uploaded file). url: copy from a source database the task can
   * reach, whose URL (password and all) the task reads from DW_SOURCE_AT, a presigned GET of an object that lives
   * for seconds, so the URL is never in the task's overrides, which DescribeTasks shows to anyone allowed it.
   */
  from: 'file' | 'url';
}

/**
 * Import: refuse a database that holds tables (unless --clean or --append),
 * download the file (a presigned GET in DW_URL), restore it in one
 * transaction as the master user (so a failure changes nothing), ANALYZE,
 * then count every table's rows.
 */
export function importScript(o: ImportScript): { script: string; environment: Record<string, string> } {
  const restore =
    o.format === 'custom'
      ? `pg_restore --single-transaction --no-owner --no-privileges${o.mode === 'clean' ? ' --clean --if-exists' : o.mode === 'append' ? ' --data-only' : ''} -d "$DW_DB" /tmp/dw.in`
      : 'psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$DW_DB" -f /tmp/dw.in > /dev/null';
  const script = [
    'set -eu',
    'echo "dw-phase checking the database"',
    `N=$(psql -X -At -v ON_ERROR_STOP=1 -d "$DW_DB" -c "${TABLES_SQL}")`,
    `if [ "$N" != 0 ] && [ "$DW_MODE" = new ]; then echo "dw-refused $N"; exit ${REFUSED_EXIT}; fi`,
    ...(o.from === 'file'
      ? ['echo "dw-phase downloading"', 'wget -q -O /tmp/dw.in "$DW_URL"']
      : [
          'SRC=$(wget -q -O - "$DW_SOURCE_AT")',
          'echo "dw-sourceread"',
          'echo "dw-phase dumping the source"',
          'pg_dump -Fc --no-owner --no-privileges -d "$SRC" -f /tmp/dw.in',
          `printf '%s\\n' "$DW_SOURCE_COUNT_SQL" | psql -X -At -F ' ' -v ON_ERROR_STOP=1 -d "$SRC"`,
        ]),
    'echo "dw-phase restoring $(wc -c < /tmp/dw.in) bytes"',
    restore,
    'rm -f /tmp/dw.in',
    'echo "dw-phase analyzing"',
    'psql -X -q -v ON_ERROR_STOP=1 -d "$DW_DB" -c ANALYZE',
    'echo "dw-phase counting rows"',
    `printf '%s\\n' "$DW_COUNT_SQL" | psql -X -At -F ' ' -v ON_ERROR_STOP=1 -d "$DW_DB"`,
  ].join('\n');
  return {
    script,
    environment: { DW_MODE: o.mode, DW_COUNT_SQL: countSql('rows'), ...(o.from === 'url' ? { DW_SOURCE_COUNT_SQL: countSql('srcrows') } : {}) },
  };
}

/**
 * Export: pg_dump -Fc to the task's disk, its size and SHA-256, then the
 * archive in parts of PART_BYTES, each base64 (busybox wget stops a POSTed
 * file at its first NUL byte) and POSTed with the presigned form under
 * DW_PREFIX<5-digit part number>. The CLI joins and checks them.
 */
export function exportScript(): { script: string; environment: Record<string, string> } {
  const script = [
    'set -eu',
    'D=/tmp/dw.dump',
    'echo "dw-phase dumping"',
    'pg_dump -Fc --no-owner --no-privileges -d "$DW_DB" -f "$D"',
    'SIZE=$(wc -c < "$D")',
    'set -- $(sha256sum "$D")',
    'echo "dw-dumped $SIZE $1"',
    `N=$(( (SIZE + ${PART_BYTES} - 1) / ${PART_BYTES} )); [ "$N" -gt 0 ] || N=1`,
    'i=0',
    'while [ "$i" -lt "$N" ]; do',
    '  K=$(printf "%s%05d" "$DW_PREFIX" "$i")',
    '  {',
    '    printf "%s" "$DW_FORM"',
    `    printf -- '--%s\\r\\nContent-Disposition: form-data; name="key"\\r\\n\\r\\n%s\\r\\n' "$DW_BOUNDARY" "$K"`,
    `    printf -- '--%s\\r\\nContent-Disposition: form-data; name="file"; filename="part"\\r\\nContent-Type: text/plain\\r\\n\\r\\n' "$DW_BOUNDARY"`,
    `    dd if="$D" bs=${PART_BYTES} skip="$i" count=1 2> /dev/null | base64`,
    `    printf -- '\\r\\n--%s--\\r\\n' "$DW_BOUNDARY"`,
    '  } > /tmp/dw.body',
    '  wget -q -O /dev/null --header "Content-Type: multipart/form-data; boundary=$DW_BOUNDARY" --post-file /tmp/dw.body "$DW_URL"',
    '  i=$((i + 1))',
    '  echo "dw-uploaded $i $N"',
    'done',
    'rm -f "$D" /tmp/dw.body',
  ].join('\n');
  return { script, environment: {} };
}
