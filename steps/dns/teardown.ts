import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { findZone, fqdn, getRecord } from '../../src/aws/hosted-zone.js';
import { elbOwned, findLoadBalancer } from '../../src/aws/load-balancer.js';
import { findDistribution } from '../../src/site/distribution.js';

/**
 * The alias records at the domain's names that point at our load balancer
 * or our distribution. Records cannot carry tags: what they point at is the
 * proof they are ours; a record pointing anywhere else is left alone.
 */
export async function destroyRecords(ctx: StepContext<'dns'>): Promise<Teardown[]> {
  // With domain removed from the config (a deploy removing it), the last run's outputs say which names and zone.
  const domain = ctx.config.domain;
  const prev = ctx.previous();
  const zoneId = domain ? await findZone(ctx, domain.zone).then((z) => ('id' in z ? z.id : undefined)) : prev?.zoneId;
  if (!zoneId) return [];
  const z = { id: zoneId };
  const recordNames = domain ? [domain.name, ...domain.aliases] : [...new Set(prev?.records.map((r) => r.name))];
  const targets = new Set<string>();
  const lb = await findLoadBalancer(ctx);
  if (lb && (await elbOwned(ctx, lb.LoadBalancerArn!))) targets.add(fqdn(lb.DNSName!));
  // The distribution is found by its comment and tags; no site outputs are needed.
  const dist = await findDistribution(ctx as unknown as StepContext<'site'>);
  if (dist) targets.add(fqdn(dist.domainName));
  const items: Teardown[] = [];
  for (const name of recordNames) {
    for (const type of ['A', 'AAAA'] as const) {
      const have = await getRecord(ctx, z.id, name, type);
      if (!have?.AliasTarget || !targets.has(fqdn(have.AliasTarget.DNSName ?? ''))) continue;
      items.push({
        resource: `Route 53 ${type} alias ${name}`,
        remove: async () => {
          // DELETE must name the record exactly as it is; read again in case it changed since the plan.
          const now = await getRecord(ctx, z.id, name, type);
          if (!now?.AliasTarget || fqdn(now.AliasTarget.DNSName ?? '') !== fqdn(have.AliasTarget!.DNSName ?? '')) return;
          await ctx.aws.route53.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: z.id,
              ChangeBatch: { Comment: `deploy-wizard destroy ${ctx.app}/${ctx.env}`, Changes: [{ Action: 'DELETE', ResourceRecordSet: now }] },
            }),
          );
        },
      });
    }
  }
  return items;
}
