/**
 * Why CloudWatch Logs would refuse a filter pattern, or undefined. It checks what the grammar requires of every
 * pattern ("Filter pattern syntax for metric filters",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html): quotes closed, braces,
 * brackets and parentheses balanced; a JSON pattern `{ ... }` made of conditions `$.selector OPERATOR value` (or
 * `IS TRUE|FALSE|NULL`, `NOT EXISTS`) joined by && and ||; a space-delimited pattern `[a, b=..., ...]` of
 * comma-separated fields. It refuses only what cannot parse, so a pattern it lets through may still match
 * nothing; PutMetricFilter has the last word.
 */
export function filterPatternProblem(pattern: string): string | undefined {
  const p = pattern.trim();
  const quotes = (p.replace(/\\"/g, '').match(/"/g) ?? []).length;
  if (quotes % 2) return 'a quote (") is not closed';
  // Outside quotes: the brackets must nest.
  const bare = p.replace(/\\"/g, '').replace(/"[^"]*"/g, '""');
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const ch of bare) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs) {
      if (stack.pop() !== pairs[ch]) return `"${ch}" closes nothing that is open`;
    }
  }
  if (stack.length) return `"${stack.pop()}" is not closed`;
  if (bare.startsWith('{')) {
    if (!bare.endsWith('}')) return 'a JSON pattern is one { ... } block';
    const body = bare.slice(1, -1).trim();
    if (!body) return 'a JSON pattern needs a condition, such as { $.level = "error" }';
    // Each condition between && and || (parentheses aside).
    for (const raw of body.split(/&&|\|\|/)) {
      const cond = raw.replace(/[()]/g, '').trim();
      if (!cond) return 'a JSON pattern has && or || with nothing on one side';
      if (!/^\$[.[]/.test(cond)) return `"${cond}" is not a condition on a selector such as $.level`;
      const m = /^\$[^\s=!<>]*\s*(=|!=|<=|>=|<|>|IS\s+(?:TRUE|FALSE|NULL)|NOT\s+EXISTS)\s*(.*)$/i.exec(cond);
      if (!m) return `"${cond}" has no operator (=, !=, <, >, <=, >=, IS TRUE|FALSE|NULL, NOT EXISTS)`;
      const op = m[1]!.toUpperCase();
      const value = m[2]!.trim();
      if (/^(=|!=|<=|>=|<|>)$/.test(op) && !value) return `"${cond}" compares with nothing`;
      if (/^(IS|NOT)/.test(op) && value) return `"${cond}" has something after ${op}`;
    }
  } else if (bare.startsWith('[')) {
    if (!bare.endsWith(']')) return 'a space-delimited pattern is one [ ... ] list';
    const fields = bare.slice(1, -1).split(',');
    if (fields.some((f) => !f.trim())) return 'a space-delimited pattern has an empty field between commas';
  }
  return undefined;
}
