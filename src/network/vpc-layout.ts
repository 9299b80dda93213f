import { block, formatCidr, overlaps, parseCidr } from '../config/cidr.js';
import type { Config } from '../config/schema.js';
import type { VpcEndpointName } from '../config/sections.js';

export type Tier = 'public' | 'private' | 'data';
export const TIERS: readonly Tier[] = ['public', 'private', 'data'];

/** The keys of `network` for a VPC the wizard makes, with their defaults. */
export interface VpcWanted {
  cidr?: string;
  azs: 2 | 3;
  nat: 'none' | 'single' | 'per-az';
  endpoints: VpcEndpointName[];
}

export function vpcWanted(config: Pick<Config, 'network'>): VpcWanted | undefined {
  const n = config.network;
  if (n?.vpc !== 'create') return undefined;
  return { cidr: n.cidr, azs: n.azs ?? 2, nat: n.nat ?? 'single', endpoints: n.endpoints ?? [] };
}

/** What the tasks need to start with no route out: the image (ECR's API and registry, whose layers sit in S3), logs, and the secret. */
const TASK_NEEDS: readonly VpcEndpointName[] = ['ecr', 's3', 'logs', 'secretsmanager'];

/**
 * Whether services and one-off tasks run in the private subnets. With a NAT gateway they do. With none they
 * do only when the endpoints cover everything a task needs to start; otherwise they run in the public subnets
 * with a public IP (the cost-first shape), and the database and cache stay in the data tier either way.
 */
export function tasksPrivate(w: VpcWanted): boolean {
  return w.nat !== 'none' || TASK_NEEDS.every((e) => w.endpoints.includes(e));
}

/**
 * Each tier's subnet in the `i`th AZ: the range is cut into 16 blocks, public from block 0, private from 4,
 * data from 8, so adding a third AZ never moves a subnet and blocks 12-15 stay free for later.
 */
export function subnetCidr(vpcCidr: string, tier: Tier, i: number): string {
  return formatCidr(block(parseCidr(vpcCidr)!, TIERS.indexOf(tier) * 4 + i));
}

/** A /16 in 10.0.0.0/8 that no VPC in the region uses, from 10.20.0.0/16 up, so two envs can be peered later. */
export function pickCidr(taken: readonly string[]): string {
  const used = taken.map(parseCidr).filter((c) => !!c);
  for (let k = 0; k < 256; k++) {
    const second = (20 + k) % 256;
    const c = parseCidr(`10.${second}.0.0/16`)!;
    if (!used.some((u) => overlaps(u, c))) return formatCidr(c);
  }
  throw new Error('every /16 of 10.0.0.0/8 is used by a VPC in this region; set network.cidr');
}

/** The AZs that hold a NAT gateway: the first for "single", each for "per-az". */
export function natAzs(w: VpcWanted, azs: readonly string[]): string[] {
  return w.nat === 'none' ? [] : w.nat === 'single' ? azs.slice(0, 1) : [...azs];
}

/** The service names of the endpoints asked for: "ecr" is two (the API and the registry). */
export function endpointServices(region: string, endpoints: readonly VpcEndpointName[]): { service: string; name: string; type: 'Gateway' | 'Interface' }[] {
  return endpoints.flatMap((e) => {
    const suffixes = e === 'ecr' ? ['ecr.api', 'ecr.dkr'] : [e];
    return suffixes.map((s) => ({ service: `com.amazonaws.${region}.${s}`, name: s, type: e === 's3' ? ('Gateway' as const) : ('Interface' as const) }));
  });
}
