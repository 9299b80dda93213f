import { loadTemplate } from './templates.js';

export type PolicyVars = Record<string, string | string[] | undefined>;
export interface PolicyDocument {
  Version: string;
  Statement: Record<string, unknown>[];
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** Placeholders a value uses; a statement with any unset or empty one is dropped, never widened. */
function placeholders(v: unknown): string[] {
  return [...JSON.stringify(v).matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

function fill(v: unknown, vars: PolicyVars): unknown {
  if (typeof v === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(v);
    if (whole && Array.isArray(vars[whole[1]!])) return vars[whole[1]!];
    return v.replace(PLACEHOLDER, (_, k: string) => String(vars[k]));
  }
  if (Array.isArray(v))
    return v.flatMap((x) =>
      typeof x === 'string' && /^\{\{\w+\}\}$/.test(x) && Array.isArray(vars[x.slice(2, -2)]) ? (vars[x.slice(2, -2)] as string[]) : [fill(x, vars)],
    );
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, vars)]));
  return v;
}

/**
 * Renders templates/iam/<name>.json. Statements whose placeholders have no
 * value are left out (no buckets, no Cognito pool): a missing value never
 * turns into a wildcard.
 */
export function renderPolicy(name: string, vars: PolicyVars): PolicyDocument {
  const tpl = loadTemplate<PolicyDocument>(`iam/${name}.json`);
  const set = (k: string) => {
    const v = vars[k];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== '';
  };
  return {
    Version: tpl.Version,
    Statement: tpl.Statement.filter((s) => placeholders(s).every(set)).map((s) => fill(s, vars) as Record<string, unknown>),
  };
}
