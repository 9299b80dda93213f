/** IPv4 CIDR arithmetic for the VPC the wizard lays out: parse, check, compare, split. */

export interface Cidr {
  /** The first address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { base: octets.reduce((a, o) => a * 256 + o, 0), prefix };
}

export function formatCidr(c: Cidr): string {
  return `${[24, 16, 8, 0].map((s) => Math.floor(c.base / 2 ** s) % 256).join('.')}/${c.prefix}`;
}

const size = (c: Cidr) => 2 ** (32 - c.prefix);

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr(c)!);

/**
 * Why `text` cannot be the range of a VPC the wizard lays out, or undefined. AWS takes /16 to /28; the wizard
 * splits it into 16 blocks (three tiers of up to three subnets), so a /22 is the smallest that leaves each
 * subnet 64 addresses, and a range must be private (RFC 1918) so it never shadows an address on the internet.
 */
export function cidrProblem(text: string): string | undefined {
  const c = parseCidr(text);
  if (!c) return 'expected an IPv4 range such as 10.20.0.0/16';
  if (c.prefix < 16 || c.prefix > 22) return `a VPC range here is /16 to /22 (each of its subnets gets a sixteenth); got /${c.prefix}`;
  if (c.base % size(c) !== 0)
    return `${text} does not start on a /${c.prefix} boundary; did you mean ${formatCidr({ base: c.base - (c.base % size(c)), prefix: c.prefix })}?`;
  if (!PRIVATE.some((p) => p.base <= c.base && c.base + size(c) <= p.base + size(p)))
    return 'expected a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)';
  return undefined;
}

/** The `index`th of the 16 equal blocks of `c` (prefix + 4). */
export function block(c: Cidr, index: number): Cidr {
  const prefix = c.prefix + 4;
  return { base: c.base + index * 2 ** (32 - prefix), prefix };
}
