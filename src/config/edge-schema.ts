import { z } from 'zod';

// The keys that put the app on its own domain, serve a static frontend from a
// CDN and put a web firewall in front: domain, site, edge.

/** A DNS name as Route 53 and ACM take it: lowercase labels, no trailing dot, no wildcard. */
export const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
export const hostname = z.string().max(253).regex(HOSTNAME, 'expected a lowercase DNS name such as app.example.com (no scheme, no trailing dot)');

export const domain = z.strictObject({
  name: hostname.describe('the name the app is reached at, e.g. app.example.com'),
  zone: hostname.describe('the Route 53 hosted zone that holds name, e.g. example.com'),
  aliases: z
    .array(
      z
        .string()
        .max(253)
        .refine(
          (a) => HOSTNAME.test(a.replace(/^\*\./, '')),
          'expected a lowercase DNS name such as www.example.com, or one wildcard label first: *.example.com',
        ),
    )
    .default([])
    .describe('more names in the same zone that reach the app (e.g. www.example.com, or *.example.com for every name one level under it)'),
});

export const site = z.strictObject({
  dir: z.string().min(1).describe('the built static frontend, relative to deploy-wizard.json (e.g. web/dist)'),
  spa: z.boolean().default(false).describe('a single-page app: paths that are not files answer with /index.html and 200'),
  build: z.array(z.string().min(1)).min(1).optional().describe('a command (argv) run in the config directory before the upload, e.g. ["npm", "run", "build"]'),
  buildIdleTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(300)
    .describe('site.build is stopped when it prints nothing for this long (a hung build fails instead of hanging the deploy)'),
  waitForInvalidation: z.boolean().default(false).describe('wait until the CDN has dropped the changed paths before the deploy ends'),
});

/**
 * The AWS managed rule groups a config may name, with the web ACL capacity units each takes, from the AWS WAF
 * developer guide's "AWS Managed Rules rule groups list" (baseline and use-case groups; the WCU column).
 */
export const WAF_RULE_GROUPS = {
  common: { group: 'AWSManagedRulesCommonRuleSet', wcu: 700 },
  'known-bad-inputs': { group: 'AWSManagedRulesKnownBadInputsRuleSet', wcu: 200 },
  'sql-injection': { group: 'AWSManagedRulesSQLiRuleSet', wcu: 200 },
  linux: { group: 'AWSManagedRulesLinuxRuleSet', wcu: 200 },
  php: { group: 'AWSManagedRulesPHPRuleSet', wcu: 100 },
  'ip-reputation': { group: 'AWSManagedRulesAmazonIpReputationList', wcu: 25 },
  'anonymous-ip': { group: 'AWSManagedRulesAnonymousIpList', wcu: 50 },
} as const;
export type WafRuleName = keyof typeof WAF_RULE_GROUPS;
/** A rate-based rule with an IP key: its base cost (the same page's "Rule WCUs" for rate-based statements). */
export const RATE_RULE_WCU = 2;
/** What a web ACL's base price covers (AWS WAF pricing; 5,000 is the hard limit, and more than 1,500 costs extra). */
export const WAF_WCU_INCLUDED = 1500;

const wafRuleName = z.enum(Object.keys(WAF_RULE_GROUPS) as [WafRuleName, ...WafRuleName[]], {
  error: () => `a managed rule group: ${Object.keys(WAF_RULE_GROUPS).join(', ')}`,
});

export const waf = z.strictObject({
  rateLimitPerIp: z
    .number()
    .int()
    .min(10, 'AWS WAF takes a rate limit of at least 10')
    .max(2_000_000_000)
    .default(2000)
    .describe('requests per IP per 5 minutes'),
  mode: z.enum(['block', 'count']).default('block').describe('count only logs what would be blocked: a safe start'),
  rules: z
    .array(z.union([wafRuleName, z.strictObject({ name: wafRuleName, mode: z.enum(['block', 'count']) })]))
    .min(1)
    .default(['common', 'known-bad-inputs'])
    .superRefine((rules, ctx) => {
      const names = rules.map((r) => (typeof r === 'string' ? r : r.name));
      names.forEach((n, i) => names.indexOf(n) !== i && ctx.addIssue({ code: 'custom', path: [i], message: `${n} is listed twice` }));
      const wcu = [...new Set(names)].reduce((t, n) => t + WAF_RULE_GROUPS[n].wcu, RATE_RULE_WCU);
      if (wcu > WAF_WCU_INCLUDED)
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `these take ${wcu} web ACL capacity units, over the ${WAF_WCU_INCLUDED} a web ACL's price includes; name fewer`,
        });
    })
    .describe(
      "AWS managed rule groups, in the order they run (each in the ACL's mode, or its own): common, known-bad-inputs, sql-injection, linux, php, ip-reputation, anonymous-ip",
    ),
});

export const edge = z.strictObject({
  cdn: z
    .boolean()
    .optional()
    .describe(
      "CloudFront in front of the load balancer for every route, without a static site: the app's own Cache-Control decides what is cached; the load balancer then admits CloudFront only",
    ),
  waf: waf
    .optional()
    .describe(
      'a WAFv2 web ACL (AWS managed rule groups, by default common and known-bad-inputs, and a per-IP rate limit) in front of the CDN or the load balancer',
    ),
});
