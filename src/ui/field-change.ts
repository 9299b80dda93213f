/** Long values (image tags, ARNs) shortened so a change fits on its line. */
export function short(v: unknown): string {
  const s = v === undefined || v === null || v === '' ? '(none)' : String(v);
  return s.length > 16 ? `${s.slice(0, 12)}…` : s;
}

/** "memory: 512 → 1024", or undefined when the two are the same. */
export function fieldChange(label: string, before: unknown, after: unknown): string | undefined {
  const b = before === undefined || before === null ? undefined : String(before);
  const a = after === undefined || after === null ? undefined : String(after);
  return b === a ? undefined : `${label}: ${short(b)} → ${short(a)}`;
}

/** The changes among these (label, before, after) triples, in order. */
export function fieldChanges(pairs: [label: string, before: unknown, after: unknown][]): string[] {
  return pairs.map(([l, b, a]) => fieldChange(l, b, a)).filter((c): c is string => !!c);
}
