/**
 * Every place where a secret value, or any 8-character slice of one, appears:
 * a redactor that only knows whole values misses a message that quotes the
 * start of one (JSON.parse does), so the search is by slice.
 */
export function findLeaks(values: readonly string[], haystacks: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [i, v] of values.entries()) {
    const slices = v.length <= 8 ? [v] : Array.from({ length: v.length - 7 }, (_, k) => v.slice(k, k + 8));
    for (const [where, text] of Object.entries(haystacks)) {
      const hit = slices.find((s) => text.includes(s));
      if (hit) found.push(`${where} holds "${hit}", a slice of secret value #${i}`);
    }
  }
  return found;
}
