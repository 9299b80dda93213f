import { describe, expect, it } from 'vitest';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { dns } from '../../steps/dns/apply.js';
import { destroyRecords } from '../../steps/dns/teardown.js';
import { manifest } from '../../steps/dns/manifest.js';
import { StepError } from '../../src/errors.js';
import { withLoadBalancer } from '../helpers/with-load-balancer.js';
import { MUTATING } from '../helpers/step-context.js';
import { startAwsProxy } from '../helpers/aws-proxy.js';
import { configProblems } from '../helpers/config-problems.js';

/** An app at app.<zone> and www.app.<zone>, in its own zone in moto (tests share one account), behind a real load balancer. */
async function domainApp(calls: string[]) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const zone = `z${suffix}.example.com`;
  const t = await withLoadBalancer(
    { domain: { name: `app.${zone}`, zone, aliases: [`www.app.${zone}`] } },
    { onCall: (c) => void (c.ok && calls.push(c.command)) },
  );
  const zoneId = (await t.ctx.aws.route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: suffix }))).HostedZone!.Id!.replace(
    '/hostedzone/',
    '',
  );
  const records = async () =>
    ((await t.ctx.aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []).filter(
      (r) => r.Type === 'A' || r.Type === 'AAAA',
    );
  return { ...t, zone, zoneId, records };
}

describe('dns', () => {
  it('points the name and its alias at the load balancer, changes nothing on a re-run, deletes the record of a dropped alias, and its teardown removes the rest', async () => {
    const calls: string[] = [];
    const { ctx, zone, zoneId, lb, records } = await domainApp(calls);
    expect(manifest.enabled!(ctx.config)).toBe(true);
    const out = await dns.apply(ctx);
    expect(out.zoneId).toBe(zoneId);
    expect(out.records).toEqual([
      { name: `app.${zone}`, type: 'A' },
      { name: `www.app.${zone}`, type: 'A' },
    ]);
    const made = await records();
    expect(made.map((r) => [r.Name, r.Type, r.AliasTarget?.DNSName?.replace(/\.$/, '')])).toEqual([
      [`app.${zone}.`, 'A', lb.DNSName],
      [`www.app.${zone}.`, 'A', lb.DNSName],
    ]);
    expect((await dns.verify(ctx, out)).every((c) => c.ok)).toBe(true);

    calls.length = 0;
    ctx.previous = () => out;
    expect((await dns.plan(ctx)).every((p) => p.action === 'keep')).toBe(true);
    await dns.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);

    // The alias leaves the config: its record goes in the same change, the name's stays.
    ctx.config = { ...ctx.config, domain: { ...ctx.config.domain!, aliases: [] } };
    const fewer = await dns.apply(ctx);
    expect(fewer.records).toEqual([{ name: `app.${zone}`, type: 'A' }]);
    expect((await records()).map((r) => r.Name)).toEqual([`app.${zone}.`]);

    ctx.previous = () => fewer;
    const items = await destroyRecords(ctx);
    for (const i of items) await i.remove!();
    expect(await records()).toEqual([]);
  });

  it('never overwrites an address record the user made at the name, and says what to do', async () => {
    const { ctx, zone, zoneId, records } = await domainApp([]);
    await ctx.aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: `app.${zone}`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.10' }] } }],
        },
      }),
    );
    const err = await dns.apply(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).hint).toContain('Nothing was changed in the zone');
    expect((await records()).map((r) => r.ResourceRecords?.[0]?.Value)).toEqual(['192.0.2.10']);
  });

  it('a wildcard alias gets its record, and Route 53 answering the name as \\052 (as AWS does) is the same record: a re-run changes nothing', async () => {
    const calls: string[] = [];
    const { ctx, zone, records } = await domainApp(calls);
    ctx.config = { ...ctx.config, domain: { ...ctx.config.domain!, aliases: [`*.app.${zone}`] } };
    // AWS returns "*" in a record name as the escape \052 ("DNS domain name format", Route 53 developer guide); moto does not.
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, (r) =>
      r.service === 'route53' && r.method === 'GET' && r.url.includes('/rrset')
        ? { rewrite: (_s, body) => body.replace(/<Name>\*\./g, '<Name>\\052.') }
        : 'pass',
    );
    try {
      const route53 = new Route53Client({ region: 'us-east-1', endpoint: proxy.url });
      Object.defineProperty(ctx.aws, 'route53', { value: route53, configurable: true });
      const out = await dns.apply(ctx);
      expect(out.records).toEqual([
        { name: `app.${zone}`, type: 'A' },
        { name: `*.app.${zone}`, type: 'A' },
      ]);
      // Read back through the proxy: the name as AWS spells it.
      expect((await records()).map((r) => r.Name)).toContain(`\\052.app.${zone}.`);
      expect(proxy.seen.some((r) => r.url.includes('/rrset') && r.method === 'GET')).toBe(true);
      calls.length = 0;
      ctx.previous = () => out;
      expect((await dns.plan(ctx)).every((p) => p.action === 'keep')).toBe(true);
      await dns.apply(ctx);
      expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
      expect((await dns.verify(ctx, out)).every((c) => c.ok)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('takes one wildcard label first, inside the zone', () => {
    expect(configProblems({ domain: { name: 'app.example.com', zone: 'example.com', aliases: ['*.example.com'] } })).toBe('');
    expect(configProblems({ domain: { name: 'app.example.com', zone: 'example.com', aliases: ['a.*.example.com', '*.other.org'] } })).toBe(
      [
        'domain.aliases[0]: expected a lowercase DNS name such as www.example.com, or one wildcard label first: *.example.com',
        'domain.aliases[1]: *.other.org is not in the zone example.com; every alias must be in domain.zone',
      ].join('\n'),
    );
  });
});
