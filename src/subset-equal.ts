/**
 * True when `have` holds everything `want` sets: each key of want is in have
 * with a value that in turn holds want's (arrays element by element, same
 * length). AWS answers with defaults we never set, so comparing for equality
 * would see drift on every run. Keys in `absentOk` may be missing from have
 * (an emulator that drops a field AWS always returns); a present one must match.
 */
export function subsetEqual(have: unknown, want: unknown, absentOk: ReadonlySet<string> = new Set()): boolean {
  if (want === undefined) return true;
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => subsetEqual(have[i], w, absentOk));
  }
  if (want && typeof want === 'object') {
    if (!have || typeof have !== 'object') return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want).every(([k, v]) => (absentOk.has(k) && !(k in h) ? true : subsetEqual(h[k], v, absentOk)));
  }
  return have === want;
}
