import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { previewsParentHosts, wantedRules } from '../../../src/aws/load-balancer.js';

const config = (extra: Record<string, unknown>) =>
  parseConfig(
    JSON.stringify({
      app: 'shop',
      region: 'us-east-1',
      image: { context: '.' },
      services: { web: { port: 8080, routes: ['/*'] }, api: { port: 8080, routes: ['/api/*', '/v2/*'] } },
      ...extra,
    }),
    'test',
    'staging',
  );

// A previews parent's own path routes answer its own names only: its previews' rules come after them, so a route
// that matched any host would take a preview's /api/x to the parent's api.
describe("a previews parent's routes", () => {
  it('answer its domain names, without the previews wildcard, four to a rule (a rule takes five condition values)', () => {
    const c = config({
      domain: { name: 'staging.example.com', zone: 'example.com', aliases: ['www.staging.example.com', 'a.example.com', 'b.example.com', 'c.example.com'] },
      previews: { from: 'staging', domain: 'preview.example.com' },
    });
    const hosts = previewsParentHosts(c, 'staging', 'lb-1.elb.amazonaws.com')!;
    // load-config added *.preview.example.com to the aliases (its certificate and records cover the previews).
    expect(c.domain!.aliases).toContain('*.preview.example.com');
    expect(hosts).toEqual(['staging.example.com', 'www.staging.example.com', 'a.example.com', 'b.example.com', 'c.example.com']);
    const rules = wantedRules(Object.values(c.services), { web: 'tg-web', api: 'tg-api' }, undefined, hosts);
    expect(rules.map((r) => [r.priority, r.path, r.hosts])).toEqual([
      [1, '/api/*', hosts.slice(0, 4)],
      [2, '/api/*', hosts.slice(4)],
      [3, '/v2/*', hosts.slice(0, 4)],
      [4, '/v2/*', hosts.slice(4)],
    ]);
  });

  it("answer the load balancer's own name without a domain; any other env's match any host, as before", () => {
    const c = config({ previews: { from: 'staging', domain: 'preview.example.com' } });
    expect(previewsParentHosts(c, 'staging', 'LB-1.elb.amazonaws.com')).toEqual(['lb-1.elb.amazonaws.com']);
    expect(previewsParentHosts(c, 'prod', 'lb-2.elb.amazonaws.com')).toBeUndefined();
    expect(wantedRules(Object.values(c.services), { api: 'tg-api' }).map((r) => r.hosts)).toEqual([undefined, undefined]);
  });
});
