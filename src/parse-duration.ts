/** A duration as users type it: 90s, 15m, 2h, 1d; undefined when it is not one, so the caller can name the flag. */
export function parseDuration(value: string): number | undefined {
  const d = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (!d || Number(d[1]) === 0) return undefined;
  return Number(d[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as 's' | 'm' | 'h' | 'd'];
}
