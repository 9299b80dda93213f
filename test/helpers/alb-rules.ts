import type { Action, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';

/**
 * Which target group an Application Load Balancer listener sends a request
 * to, from its rules as DescribeRules returns them: moto stores rules but
 * routes nothing. As the ELB guide documents it ("Listener rules for your
 * Application Load Balancer"): rules are evaluated in priority order, lowest
 * first, and the default rule last; a rule matches when every condition does,
 * and a condition when any of its values does. Host names compare without
 * regard to case, paths with it; both take the wildcards * (any characters)
 * and ? (one character) ("Host conditions", "Path conditions").
 */
export function routeOf(rules: readonly Rule[], req: { host: string; path: string }): Action | undefined {
  const ordered = [...rules].sort((a, b) => prio(a) - prio(b));
  for (const r of ordered) {
    if (r.IsDefault || r.Priority === 'default') continue;
    if ((r.Conditions ?? []).every((c) => matches(c, req))) return r.Actions?.[0];
  }
  return ordered.find((r) => r.IsDefault || r.Priority === 'default')?.Actions?.[0];
}

export const targetGroupOf = (a: Action | undefined) => a?.TargetGroupArn ?? a?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;

const prio = (r: Rule) => (r.IsDefault || r.Priority === 'default' ? Number.MAX_SAFE_INTEGER : Number(r.Priority));

function matches(c: NonNullable<Rule['Conditions']>[number], req: { host: string; path: string }): boolean {
  if (c.Field === 'host-header') return (c.HostHeaderConfig?.Values ?? c.Values ?? []).some((v) => glob(v, true).test(req.host));
  if (c.Field === 'path-pattern') return (c.PathPatternConfig?.Values ?? c.Values ?? []).some((v) => glob(v, false).test(req.path));
  // Any other condition (headers, methods...) is not part of what these tests route.
  return false;
}

const glob = (pattern: string, caseless: boolean) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    caseless ? 'i' : '',
  );
