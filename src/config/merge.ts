type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep-merges `overlay` over `base`: objects merge key by key, everything else (arrays too) is replaced. */
export function deepMerge(base: Json, overlay: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(overlay)) {
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  }
  return out;
}

/** True when `path` names something the overlay itself sets. */
export function hasPath(obj: unknown, path: readonly PropertyKey[]): boolean {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isObject(cur) && !Array.isArray(cur)) return false;
    if (!(key in (cur as object))) return false;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return true;
}
