import { z } from 'zod';

// The keys that put the app on its own domain, serve a static frontend from a
// CDN and put a web firewall in front: domain, site, edge.

/** A DNS name as Route 53 and ACM take it: lowercase labels, no trailing dot, no wildcard. */
export const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
export const hostname = z.string().max(253).regex(HOSTNAME, 'expected a lowercase DNS name such as app.example.com (no scheme, no trailing dot)');

export const domain = z.strictObject({
  name: hostname.describe('the name the app is reached at, e.g. app.example.com'),
  zone: hostname.describe('the Route 53 hosted zone that holds name, e.g. example.com'),
  aliases: z.array(hostname).default([]).describe('more names in the same zone that reach the app (e.g. www.example.com)'),
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

export const waf = z.strictObject({
  rateLimitPerIp: z
    .number()
    .int()
    .min(10, 'AWS WAF takes a rate limit of at least 10')
    .max(2_000_000_000)
    .default(2000)
    .describe('requests per IP per 5 minutes'),
  mode: z.enum(['block', 'count']).default('block').describe('count only logs what would be blocked: a safe start'),
});

export const edge = z.strictObject({
  waf: waf.optional().describe('a WAFv2 web ACL (AWS common and known-bad-inputs rules, a per-IP rate limit) in front of the CDN or the load balancer'),
});
