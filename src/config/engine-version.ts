// Minimum PostgreSQL version on RDS for each extension we know about.
// pgvector arrived in 15.2 on the 15 line and is in every 16 and 17 release.
const MINIMUM: Record<string, [number, number]> = { vector: [15, 2] };
// On Aurora PostgreSQL pgvector came in 15.3 (and 14.8, 13.11), and Serverless v2 runs 13.6 and later:
// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/AuroraPostgreSQL.Extensions.html
const AURORA_MINIMUM: Record<string, Record<number, number>> = { vector: { 13: 11, 14: 8, 15: 3 } };

/** Why this engine version cannot host these extensions, or undefined. */
export function engineVersionProblem(
  version: string,
  extensions: readonly string[],
  engine: 'postgres' | 'aurora-postgresql' = 'postgres',
): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 13) return `PostgreSQL ${version} is past end of support on RDS; use 16 or 17`;
  if (engine === 'aurora-postgresql') {
    for (const ext of extensions) {
      const min = AURORA_MINIMUM[ext]?.[major];
      if (min !== undefined && minor < min)
        return `Aurora PostgreSQL ${version} does not support the "${ext}" extension; it needs ${major}.${min} or later (16 recommended)`;
    }
    return undefined;
  }
  for (const ext of extensions) {
    const min = MINIMUM[ext];
    if (min && (major < min[0] || (major === min[0] && minor < min[1]))) {
      return `PostgreSQL ${version} does not support the "${ext}" extension; it needs ${min[0]}.${min[1]} or later (16 or 17 recommended)`;
    }
  }
  return undefined;
}
