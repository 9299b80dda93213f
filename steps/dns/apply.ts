import { loadBalancerOf } from '../../src/aws/load-balancer.js';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { findZone, fqdn, getRecord, sameRecord, writeRecords } from '../../src/aws/hosted-zone.js';
import { StepError } from '../../src/errors.js';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Check, PlanItem } from '../../src/pipeline/step.js';
import { CLOUDFRONT_ZONE_ID } from '../../src/site/distribution-config.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { hasCdn } from '../../src/config/features.js';

export interface DnsOutput {
  zoneId: string;
  /** What each name points at: the CDN's or the load balancer's own name. */
  target: string;
  records: { name: string; type: 'A' | 'AAAA' }[];
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    dns: DnsOutput;
  }
}

const names = (ctx: StepContext) => [ctx.config.domain!.name, ...ctx.config.domain!.aliases];

/** The alias target: the CDN when there is a site (it fronts the API routes too), else the load balancer. */
async function target(ctx: StepContext): Promise<{ dnsName: string; zoneId: string; ipv6: boolean; evaluateHealth: boolean }> {
  if (hasCdn(ctx.config)) return { dnsName: ctx.output('site').domainName, zoneId: CLOUDFRONT_ZONE_ID, ipv6: true, evaluateHealth: false };
  const arn = loadBalancerOf(ctx)?.loadBalancerArn;
  if (!arn) throw new StepError('dns', 'point the domain: the app has no load balancer', { hint: 'Add a web service or a site, or remove domain.' });
  const lb = (await ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers![0]!;
  // AAAA only when the load balancer answers on IPv6; an alias to an IPv4-only one would resolve to nothing.
  return { dnsName: lb.DNSName!, zoneId: lb.CanonicalHostedZoneId!, ipv6: lb.IpAddressType === 'dualstack', evaluateHealth: true };
}

function wanted(ctx: StepContext, t: Awaited<ReturnType<typeof target>>): ResourceRecordSet[] {
  return names(ctx).flatMap((name) =>
    (t.ipv6 ? (['A', 'AAAA'] as const) : (['A'] as const)).map((Type): ResourceRecordSet => ({
      Name: fqdn(name),
      Type,
      AliasTarget: { HostedZoneId: t.zoneId, DNSName: fqdn(t.dnsName), EvaluateTargetHealth: t.evaluateHealth },
    })),
  );
}

/**
 * A record at one of our names that we did not make: plain addresses (an old
 * server), or an alias to something that is neither our target nor the one
 * we pointed at last time. Overwriting it would take the user's site away,
 * so it is refused with what to do.
 */
function foreign(have: ResourceRecordSet | undefined, want: ResourceRecordSet, previousTarget: string | undefined): boolean {
  if (!have || sameRecord(have, want)) return false;
  if (!have.AliasTarget) return true;
  const at = fqdn(have.AliasTarget.DNSName ?? '');
  return at !== fqdn(want.AliasTarget!.DNSName!) && (!previousTarget || at !== fqdn(previousTarget));
}

/**
 * The records the last run made that this config no longer wants (a name dropped from domain.aliases; the AAAA
 * of a CDN once the name points at an IPv4-only load balancer), each exactly as the zone has it, and only while
 * it still points where the last run pointed it: a record changed since is not ours any more.
 */
async function stale(ctx: StepContext<'dns'>, zoneId: string, want: Pick<ResourceRecordSet, 'Name' | 'Type'>[]): Promise<ResourceRecordSet[]> {
  const prev = ctx.previous();
  if (!prev || prev.zoneId !== zoneId) return [];
  const wanted = new Set(want.map((w) => `${fqdn(w.Name!)} ${w.Type}`));
  const out: ResourceRecordSet[] = [];
  for (const r of prev.records) {
    if (wanted.has(`${fqdn(r.name)} ${r.type}`)) continue;
    const have = await getRecord(ctx, zoneId, r.name, r.type);
    if (have?.AliasTarget && fqdn(have.AliasTarget.DNSName ?? '') === fqdn(prev.target)) out.push(have);
  }
  return out;
}

/** What stands in the way, from the zone's records read once: CNAMEs at our names, and records we did not make. */
async function conflicts(
  ctx: StepContext,
  zoneId: string,
  want: ResourceRecordSet[],
  have: (ResourceRecordSet | undefined)[],
  previousTarget: string | undefined,
): Promise<string[]> {
  const out: string[] = [];
  for (const name of names(ctx)) {
    const cname = await getRecord(ctx, zoneId, name, 'CNAME');
    if (cname) out.push(`${name} has a CNAME record (${cname.ResourceRecords?.[0]?.Value}); delete it so the alias records can take the name`);
  }
  want.forEach((w, i) => {
    const h = have[i];
    if (foreign(h, w, previousTarget)) {
      const what = h!.AliasTarget ? `an alias to ${h!.AliasTarget.DNSName}` : (h!.ResourceRecords ?? []).map((r) => r.Value).join(', ');
      out.push(
        `${w.Name!.replace(/\.$/, '')} already has an ${w.Type} record (${what}) that deploy-wizard did not create; delete it in Route 53 to move the name to this app`,
      );
    }
  });
  return out;
}

export const dns: StepCode<'dns'> = {
  async inputs(ctx) {
    return { names: names(ctx), site: hasCdn(ctx.config), to: hasCdn(ctx.config) ? ctx.output('site').domainName : (loadBalancerOf(ctx)?.dnsName ?? null) };
  },

  async preflight(ctx) {
    // Plain address records and CNAMEs at our names are found before anything is created; aliases are judged once the target is known.
    const z = await findZone(ctx, ctx.config.domain!.zone);
    if ('problem' in z) return [];
    const out: string[] = [];
    for (const name of names(ctx)) {
      for (const type of ['A', 'AAAA', 'CNAME'] as const) {
        const have = await getRecord(ctx, z.id, name, type);
        if (have && (type === 'CNAME' || !have.AliasTarget)) {
          out.push(
            `domain: ${name} already has ${type === 'CNAME' ? 'a CNAME' : `an ${type}`} record (${(have.ResourceRecords ?? []).map((r) => r.Value).join(', ')}); delete it in Route 53 to move the name to this app`,
          );
        }
      }
    }
    return out;
  },

  async plan(ctx) {
    const z = await findZone(ctx, ctx.config.domain!.zone);
    // The load balancers the wizard makes answer on IPv4 only: without a site, a name has its A record alone.
    const types = hasCdn(ctx.config) ? (['A', 'AAAA'] as const) : (['A'] as const);
    const gone =
      'id' in z
        ? await stale(
            ctx,
            z.id,
            names(ctx).flatMap((n) => types.map((Type) => ({ Name: fqdn(n), Type }))),
          )
        : [];
    const to = hasCdn(ctx.config) ? 'the CDN' : 'the load balancer';
    const items: PlanItem[] = [];
    const prev = ctx.previous()?.target;
    for (const name of names(ctx)) {
      const have = 'id' in z ? await getRecord(ctx, z.id, name, 'A') : undefined;
      const at = have?.AliasTarget?.DNSName ?? have?.ResourceRecords?.map((r) => r.Value).join(', ');
      const ours = !!have && !!prev && fqdn(have.AliasTarget?.DNSName ?? '') === fqdn(prev);
      items.push({
        action: !have ? 'create' : ours ? 'keep' : 'update',
        resource: `Route 53 alias ${name}`,
        detail: `A${hasCdn(ctx.config) ? ' + AAAA' : ''} → ${to}${have && !ours ? ` (now ${at}; replaced only if this app made it)` : ''}`,
      });
    }
    for (const r of gone)
      items.push({ action: 'delete', resource: `Route 53 ${r.Type} alias ${r.Name!.replace(/\.$/, '')}`, detail: 'no longer in the config' });
    return items;
  },

  async apply(ctx) {
    const z = await findZone(ctx, ctx.config.domain!.zone);
    if ('problem' in z) throw new StepError('dns', `find hosted zone: ${z.problem}`);
    const t = await target(ctx);
    const want = wanted(ctx, t);
    // Each wanted record is read once: to judge whether it is ours to change, and whether it needs changing.
    const have = await Promise.all(want.map((w) => getRecord(ctx, z.id, w.Name!, w.Type)));
    const bad = await conflicts(ctx, z.id, want, have, ctx.previous()?.target);
    if (bad.length)
      throw new StepError('dns', `point the domain: ${bad.join('; ')}`, { hint: 'Nothing was changed in the zone. Remove those records, then run again.' });
    const changes = want.filter((w, i) => !sameRecord(have[i], w));
    const n = await writeRecords(ctx, z.id, changes, `deploy-wizard ${ctx.app}/${ctx.env}: ${names(ctx).join(', ')}`, await stale(ctx, z.id, want));
    if (n) ctx.log.info(`pointed ${n} record(s) at ${t.dnsName}`);
    return { zoneId: z.id, target: t.dnsName, records: want.map((r) => ({ name: r.Name!.replace(/\.$/, ''), type: r.Type as 'A' | 'AAAA' })) };
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    for (const r of out.records) {
      const have = await getRecord(ctx, out.zoneId, r.name, r.type);
      const ok = fqdn(have?.AliasTarget?.DNSName ?? '') === fqdn(out.target);
      checks.push({ name: `${r.type} ${r.name}`, ok, detail: ok ? undefined : `points at ${have?.AliasTarget?.DNSName ?? 'nothing'}` });
    }
    return checks;
  },

  summary(out, view) {
    return { rows: [['Domain', view.config.domain ? `https://${view.config.domain.name} → ${out.target}` : undefined]] };
  },
};
