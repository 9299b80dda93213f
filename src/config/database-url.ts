// The derived DATABASE_URL, shaped for the driver the app uses. RDS requires
// TLS and its certificates chain to Amazon's RDS CA, which no driver ships.
// Each driver reads TLS settings from the URL differently, and no single URL
// works for all of them:
//   libpq (psycopg, Rails' pg, Django, Go pgx): sslmode=require encrypts
//     without checking the certificate. An unknown parameter is an error.
//   node-postgres: sslmode=require means full verification against Node's
//     CAs (it fails on RDS); uselibpqcompat=true gives it libpq's meaning.
//   asyncpg (and SQLAlchemy with asyncpg, which passes query parameters to
//     connect()): ssl=require; sslmode would be an unexpected argument.
// All three encrypt the connection; none verifies the server's certificate,
// because that needs Amazon's RDS CA bundle inside the image. An app that
// ships the bundle can verify by adding sslrootcert=/path&sslmode=verify-full
// itself (DATABASE_URL can be overridden per key; see the README).

export type DatabaseDriver = 'libpq' | 'node-postgres' | 'asyncpg';

const TLS: Record<DatabaseDriver, string> = {
  libpq: 'sslmode=require',
  'node-postgres': 'sslmode=require&uselibpqcompat=true',
  asyncpg: 'ssl=require',
};

export function databaseUrl(o: {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
  driver: DatabaseDriver;
  /** postgresql (default), postgres, or a SQLAlchemy dialect+driver such as postgresql+asyncpg. */
  scheme?: string;
  tls?: boolean;
}): string {
  const query = o.tls === false ? '' : `?${TLS[o.driver]}`;
  const scheme = o.scheme ?? 'postgresql';
  return `${scheme}://${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}@${o.host}:${o.port}/${encodeURIComponent(o.database)}${query}`;
}
