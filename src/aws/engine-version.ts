// Engine versions as RDS and ElastiCache name them ("16.4", "7.1"): what the config asks for against what runs.

/** Major and minor of a version string. */
export const versionParts = (v: string) => v.split('.').map(Number) as [number, number?];

/**
 * How the running version stands against the one asked for, at the level it
 * was asked: "16" is met by any 16.x; "16.4" by 16.4 or a later 16.x (RDS
 * applies minor upgrades itself, so a newer minor is not drift).
 */
export function versionStanding(want: string, have: string): 'met' | 'upgrade' | 'downgrade' {
  const [wantMajor, wantMinor] = versionParts(want);
  const [haveMajor, haveMinor = 0] = versionParts(have);
  if (haveMajor > wantMajor) return 'downgrade';
  if (haveMajor < wantMajor) return 'upgrade';
  if (wantMinor === undefined || haveMinor >= wantMinor) return 'met';
  return 'upgrade';
}
