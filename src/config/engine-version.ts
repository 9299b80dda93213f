// Minimum PostgreSQL version on RDS for each extension we know about.
// pgvector arrived in 15.2 on the 15 line and is in every 16 and 17 release.
const MINIMUM: Record<string, [number, number]> = { vector: [15, 2] };

/** Why this engine version cannot host these extensions, or undefined. */
export function engineVersionProblem(version: string, extensions: readonly string[]): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 13) return `PostgreSQL ${version} is past end of support on RDS; use 16 or 17`;
  for (const ext of extensions) {
    const min = MINIMUM[ext];
    if (min && (major < min[0] || (major === min[0] && minor < min[1]))) {
      return `PostgreSQL ${version} does not support the "${ext}" extension; it needs ${min[0]}.${min[1]} or later (16 or 17 recommended)`;
    }
  }
  return undefined;
}
