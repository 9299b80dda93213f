import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import type { StepContext } from '../pipeline/context.js';

export interface HostedZone {
  id: string;
  name: string;
}

/** A DNS name as Route 53 returns it: fully qualified and lowercase (names are case-insensitive). */
/**
 * A name as Route 53 answers it: a trailing dot, lowercase, and a wildcard's `*` as written (Route 53 returns it as
 * the escape \052: "DNS domain name format" in the Route 53 developer guide).
 */
export const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`).toLowerCase().replace(/^\\052\./, '*.');
const bare = (id: string) => id.replace(/^\/hostedzone\//, '');

/**
 * The public hosted zone named `zone`, or why there is none. Private zones
 * do not count: the certificate's validation records and the app's names
 * must resolve on the internet.
 */
export async function findZone(ctx: Pick<StepContext, 'aws'>, zone: string): Promise<HostedZone | { problem: string }> {
  const res = await ctx.aws.route53.send(new ListHostedZonesByNameCommand({ DNSName: zone, MaxItems: 20 }));
  const matches = (res.HostedZones ?? []).filter((z) => z.Name === fqdn(zone));
  const pub = matches.filter((z) => !z.Config?.PrivateZone);
  if (pub.length === 1) return { id: bare(pub[0]!.Id!), name: zone };
  if (pub.length > 1) {
    return {
      problem: `${pub.length} public hosted zones are named ${zone} (${pub.map((z) => bare(z.Id!)).join(', ')}); delete the unused one so DNS has one answer`,
    };
  }
  return {
    problem:
      `no public Route 53 hosted zone named ${zone} in this account${matches.length ? ' (only a private one)' : ''}. ` +
      `Create it (aws route53 create-hosted-zone --name ${zone} --caller-reference $(date +%s)), then set the name servers it lists ` +
      `as the domain's name servers at your registrar (or as NS records in the parent zone), and run again`,
  };
}

/** The name servers to set at the registrar: what a failed validation points the user to. */
export async function zoneNameServers(ctx: Pick<StepContext, 'aws'>, zoneId: string): Promise<string[]> {
  const z = await ctx.aws.route53.send(new GetHostedZoneCommand({ Id: zoneId }));
  return z.DelegationSet?.NameServers ?? [];
}

/** The record set with this name and type, or undefined. */
export async function getRecord(
  ctx: Pick<StepContext, 'aws'>,
  zoneId: string,
  name: string,
  type: ResourceRecordSet['Type'],
): Promise<ResourceRecordSet | undefined> {
  const res = await ctx.aws.route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: fqdn(name), StartRecordType: type, MaxItems: 1 }),
  );
  const r = res.ResourceRecordSets?.[0];
  return r && fqdn(r.Name ?? '') === fqdn(name) && r.Type === type ? r : undefined;
}

/** True when the record in the zone is the one wanted (values, TTL, alias target), so no UPSERT is needed. */
export function sameRecord(have: ResourceRecordSet | undefined, want: ResourceRecordSet): boolean {
  if (!have) return false;
  if (want.AliasTarget) {
    const a = have.AliasTarget;
    return (
      !!a &&
      a.HostedZoneId === want.AliasTarget.HostedZoneId &&
      fqdn(a.DNSName ?? '') === fqdn(want.AliasTarget.DNSName!) &&
      !!a.EvaluateTargetHealth === !!want.AliasTarget.EvaluateTargetHealth
    );
  }
  const vals = (r: ResourceRecordSet) => (r.ResourceRecords ?? []).map((x) => fqdn(x.Value ?? '')).sort();
  return !have.AliasTarget && have.TTL === want.TTL && JSON.stringify(vals(have)) === JSON.stringify(vals(want));
}

/** UPSERTs the records that differ, in one change batch; returns how many it changed. UPSERT makes a repeat after a crash harmless. */
export async function upsertRecords(ctx: Pick<StepContext, 'aws'>, zoneId: string, want: ResourceRecordSet[], comment: string): Promise<number> {
  return writeRecords(ctx, zoneId, await recordsToChange(ctx, zoneId, want), comment);
}

/** UPSERTs these records in one change batch (none: no call). */
export async function writeRecords(
  ctx: Pick<StepContext, 'aws'>,
  zoneId: string,
  records: ResourceRecordSet[],
  comment: string,
  /** Records to delete in the same batch, each exactly as the zone has it (Route 53 deletes only an exact match). */
  remove: ResourceRecordSet[] = [],
): Promise<number> {
  const changes = [
    ...records.map((r) => ({ Action: 'UPSERT' as const, ResourceRecordSet: r })),
    ...remove.map((r) => ({ Action: 'DELETE' as const, ResourceRecordSet: r })),
  ];
  // One batch: Route 53 applies it as a whole, so a name never points nowhere in between.
  if (changes.length)
    await ctx.aws.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment, Changes: changes } }));
  return changes.length;
}

/** Which of the wanted records differ from the zone; read-only, for plan and verify. */
export async function recordsToChange(ctx: Pick<StepContext, 'aws'>, zoneId: string, want: ResourceRecordSet[]): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  for (const r of want) if (!sameRecord(await getRecord(ctx, zoneId, r.Name!, r.Type), r)) out.push(r);
  return out;
}
