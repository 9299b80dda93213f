import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
  type InternetGateway,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { DescribeOrderableDBInstanceOptionsCommand } from '@aws-sdk/client-rds';
import type { StepContext } from '../../src/pipeline/context.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import type { Check, PlanItem } from '../../src/pipeline/step.js';
import { ownedBy } from '../../src/pipeline/step.js';
import { StepError } from '../../src/errors.js';
import { findOwnVpc, ownSubnets } from '../../src/aws/own-vpc.js';
import { natAzs, pickCidr, subnetCidr, tasksPrivate, TIERS, vpcWanted, type Tier, type VpcWanted } from '../../src/network/vpc-layout.js';
import { waitFor } from '../../src/wait.js';
import { azLetter, Run, tagsFor } from './act.js';
import { ensureNats, removeUnwantedNats } from './nat.js';
import { ourNats } from '../../src/network/egress.js';
import { natsAvailable } from '../../src/aws/nat-wait.js';
import { convergeRouteTables, vpcRouteTables, type TableWanted } from './routes.js';
import { convergeEndpoints } from './endpoints.js';

export interface VpcOutput {
  vpcId: string;
  cidr: string;
  azs: string[];
  publicSubnetIds: string[];
  privateSubnetIds: string[];
  dataSubnetIds: string[];
  natGatewayIds: string[];
  endpointIds: string[];
  /** Services and one-off tasks run in the private subnets (else in the public ones, with a public IP). */
  tasksPrivate: boolean;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    vpc: VpcOutput;
  }
}

const wantedOf = (ctx: StepContext) => vpcWanted(ctx.config)!;

/** The region's AZs a subnet can go in (not Local or Wavelength Zones), by name. */
async function offeredAzs(ctx: StepContext): Promise<string[]> {
  const res = await ctx.aws.ec2.send(new DescribeAvailabilityZonesCommand({}));
  return (res.AvailabilityZones ?? [])
    .filter((z) => z.State === 'available' && (z.ZoneType ?? 'availability-zone') === 'availability-zone')
    .map((z) => z.ZoneName!)
    .sort();
}

/**
 * The AZs where RDS offers the database's engine, version and class, or undefined when RDS lists none (it knows
 * no such combination, or the answer says nothing of AZs): some classes are not in every AZ of a region.
 */
async function databaseAzs(ctx: StepContext): Promise<Set<string> | undefined> {
  const d = ctx.config.database;
  if (!d) return undefined;
  const out = new Set<string>();
  let marker: string | undefined;
  do {
    const res = await ctx.aws.rds.send(
      new DescribeOrderableDBInstanceOptionsCommand({
        Engine: d.engine,
        EngineVersion: d.engineVersion,
        DBInstanceClass: d.engine === 'aurora-postgresql' && d.serverless ? 'db.serverless' : d.instanceClass,
        MaxRecords: 100,
        Marker: marker,
      }),
    );
    for (const o of res.OrderableDBInstanceOptions ?? []) for (const z of o.AvailabilityZones ?? []) if (z.Name) out.add(z.Name);
    marker = res.Marker;
  } while (marker);
  return out.size ? out : undefined;
}

/**
 * The AZs to use: those the VPC's subnets are in already (a subnet never moves), then the region's next ones
 * that offer the database's class, `azs` in all.
 */
async function chooseAzs(ctx: StepContext, existing: Subnet[], w: VpcWanted): Promise<string[]> {
  const have = [...new Set(existing.map((s) => s.AvailabilityZone!))].sort();
  if (have.length >= w.azs) return have;
  const db = await databaseAzs(ctx);
  const offered = (await offeredAzs(ctx)).filter((z) => !db || db.has(z));
  const azs = [...have, ...offered.filter((z) => !have.includes(z))].slice(0, w.azs);
  if (azs.length < w.azs)
    throw new StepError(
      'vpc',
      `choose availability zones: ${ctx.region} has ${offered.length}${db ? ` where RDS offers the database's class` : ''}, network.azs asks for ${w.azs}`,
      { hint: db ? 'Set network.azs to 2, or pick a database.instanceClass offered in more AZs.' : 'Set network.azs to 2.' },
    );
  return azs;
}

/** The first of the tier's four blocks no subnet of the VPC uses. */
function freeCidr(vpcCidr: string, tier: Tier, taken: string[]): string {
  for (let i = 0; i < 4; i++) {
    const c = subnetCidr(vpcCidr, tier, i);
    if (!taken.includes(c)) return c;
  }
  throw new Error(`no free ${tier} block in ${vpcCidr}`);
}

async function ensureVpc(run: Run, w: VpcWanted): Promise<{ id?: string; cidr: string; created: boolean }> {
  const ctx = run.ctx;
  const found = await findOwnVpc(ctx.aws.ec2, ctx);
  if (found) return { id: found.VpcId!, cidr: found.CidrBlock!, created: false };
  const taken = ((await ctx.aws.ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.CidrBlock!);
  const cidr = w.cidr ?? pickCidr(taken);
  const id = await run.change(`create VPC ${cidr}`, async () => {
    const res = await ctx.aws.ec2.send(new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: [{ ResourceType: 'vpc', Tags: tagsFor(ctx, '') }] }));
    const vpcId = res.Vpc!.VpcId!;
    await waitFor({
      stepId: 'vpc',
      what: `VPC ${vpcId}`,
      clock: ctx.clock,
      signal: ctx.signal,
      deadlineMs: 5 * 60_000,
      firstDelayMs: 500,
      poll: async () => {
        const state = (await ctx.aws.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0]?.State;
        return { done: state === 'available', status: state ?? 'not visible yet' };
      },
    });
    return vpcId;
  });
  return { id, cidr, created: true };
}

/** DNS support and hostnames on: interface endpoints' private DNS and RDS's endpoint names need both. */
async function ensureDns(run: Run, vpcId: string | undefined, created: boolean): Promise<void> {
  const ctx = run.ctx;
  for (const attr of ['enableDnsSupport', 'enableDnsHostnames'] as const) {
    let on = false;
    if (vpcId && !created) {
      const res = await ctx.aws.ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attr }));
      on = !!(attr === 'enableDnsSupport' ? res.EnableDnsSupport?.Value : res.EnableDnsHostnames?.Value);
    }
    // A new VPC has DNS support on and hostnames off.
    if (created && attr === 'enableDnsSupport') on = true;
    if (!on)
      await run.change(`turn on ${attr === 'enableDnsSupport' ? 'DNS support' : 'DNS hostnames'}`, () =>
        ctx.aws.ec2.send(
          new ModifyVpcAttributeCommand({
            VpcId: vpcId,
            ...(attr === 'enableDnsSupport' ? { EnableDnsSupport: { Value: true } } : { EnableDnsHostnames: { Value: true } }),
          }),
        ),
      );
  }
}

async function ourGateway(ctx: StepContext): Promise<InternetGateway | undefined> {
  const res = await ctx.aws.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'tag:deploy-wizard:step', Values: ['vpc'] }] }));
  return (res.InternetGateways ?? []).find((g) => ownedBy(ctx, g.Tags));
}

async function ensureGateway(run: Run, vpcId: string | undefined): Promise<string> {
  const ctx = run.ctx;
  const found = vpcId ? await ourGateway(ctx) : undefined;
  const id =
    found?.InternetGatewayId ??
    (await run.change('create internet gateway', async () => {
      const res = await ctx.aws.ec2.send(
        new CreateInternetGatewayCommand({ TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: tagsFor(ctx, 'igw') }] }),
      );
      return res.InternetGateway!.InternetGatewayId!;
    })) ??
    '(new internet gateway)';
  if (!found?.Attachments?.some((a) => a.VpcId === vpcId))
    await run.change(`attach internet gateway ${id}`, () => ctx.aws.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId })));
  return id;
}

/** A subnet per tier per AZ, each found by its tier tag and AZ before one is made. */
async function ensureSubnets(run: Run, vpc: { id?: string; cidr: string }, azs: string[], existing: Record<Tier, Subnet[]>): Promise<Record<Tier, string[]>> {
  const ctx = run.ctx;
  const taken = TIERS.flatMap((t) => existing[t].map((s) => s.CidrBlock!));
  const out: Record<Tier, string[]> = { public: [], private: [], data: [] };
  for (const tier of TIERS)
    for (const az of azs) {
      const found = existing[tier].find((s) => s.AvailabilityZone === az);
      if (found) {
        out[tier].push(found.SubnetId!);
        continue;
      }
      const cidr = freeCidr(vpc.cidr, tier, taken);
      taken.push(cidr);
      const id = await run.change(`create ${tier} subnet ${cidr} in ${az}`, async () => {
        const res = await ctx.aws.ec2.send(
          new CreateSubnetCommand({
            VpcId: vpc.id,
            CidrBlock: cidr,
            AvailabilityZone: az,
            TagSpecifications: [{ ResourceType: 'subnet', Tags: tagsFor(ctx, `${tier}-${azLetter(az)}`, { 'deploy-wizard:tier': tier }) }],
          }),
        );
        return res.Subnet!.SubnetId!;
      });
      out[tier].push(id ?? `(new ${tier} subnet ${cidr})`);
    }
  return out;
}

/** One pass: everything the VPC should have, made (or, in a dry run, listed) in the order each needs the last. */
async function converge(run: Run): Promise<VpcOutput> {
  const ctx = run.ctx;
  const w = wantedOf(ctx);
  const vpc = await ensureVpc(run, w);
  await ensureDns(run, vpc.id, vpc.created);
  const igw = await ensureGateway(run, vpc.id);
  const existing = vpc.id && !vpc.created ? await ownSubnets(ctx.aws.ec2, ctx, vpc.id) : { public: [], private: [], data: [] };
  const azs = await chooseAzs(ctx, [...existing.public, ...existing.private, ...existing.data], w);
  const subnets = await ensureSubnets(run, vpc, azs, existing);
  const publicIn = (az: string) => subnets.public[azs.indexOf(az)];
  const natIn = natAzs(w, azs);
  const before = vpc.id && !vpc.created ? (await ourNats(ctx, vpc.id)).map((n) => n.NatGatewayId!) : [];
  const nats = await ensureNats(
    run,
    vpc.id,
    natIn.map((az) => ({ az, subnetId: publicIn(az) })),
  );
  // A new VPC's routes may point at a pending NAT gateway (nothing runs there yet; vpc-egress waits before tasks
  // start). In a VPC in use, a route moves only to a gateway that is ready, so running tasks keep their way out.
  if (!run.dryRun && before.length) await natsAvailable(ctx, 'vpc', [...nats.values()]);
  const natFor = (az: string) => nats.get(w.nat === 'per-az' ? az : natIn[0]!);
  const tables: TableWanted[] = [
    { key: 'public', subnetIds: subnets.public, defaultRoute: { GatewayId: igw } },
    ...azs.map((az, i) => ({
      key: `private-${az}`,
      subnetIds: [subnets.private[i]!],
      ...(natIn.length ? { defaultRoute: { NatGatewayId: natFor(az)! } } : {}),
    })),
    // The data tier routes nowhere but inside the VPC: no default route, ever.
    { key: 'data', subnetIds: subnets.data },
  ];
  const tableIds = await convergeRouteTables(run, vpc.id, tables);
  if (vpc.id) await removeUnwantedNats(run, vpc.id, natIn);
  const endpointIds = await convergeEndpoints(
    run,
    vpc,
    w.endpoints,
    subnets.private,
    azs.map((az) => tableIds.get(`private-${az}`)!),
  );
  return {
    vpcId: vpc.id ?? '(new VPC)',
    cidr: vpc.cidr,
    azs,
    publicSubnetIds: subnets.public,
    privateSubnetIds: subnets.private,
    dataSubnetIds: subnets.data,
    natGatewayIds: [...nats.values()],
    endpointIds,
    tasksPrivate: tasksPrivate(w),
  };
}

/** The network as the plan shows it: each tier's ranges and AZs, and what sits there. */
function layout(ctx: StepContext, out: VpcOutput): string[] {
  const w = wantedOf(ctx);
  const azs = out.azs.join(', ');
  const cidrs = (tier: Tier) => out.azs.map((_, i) => subnetCidr(out.cidr, tier, i)).join(', ');
  const nat = w.nat === 'none' ? 'no NAT gateway' : w.nat === 'single' ? `one NAT gateway (${out.azs[0]})` : `a NAT gateway in each AZ`;
  const tasks = out.tasksPrivate ? 'private' : 'public';
  const data = [ctx.config.database && 'database', ctx.config.cache && 'cache'].filter(Boolean).join(' and ');
  return [
    `${out.cidr} in ${out.azs.length} AZs (${azs}), ${nat}`,
    `public ${cidrs('public')}: load balancer${w.nat === 'none' ? '' : ', NAT'}${tasks === 'public' ? ', services and one-off tasks (public IP)' : ''}`,
    `private ${cidrs('private')}: ${tasks === 'private' ? `services and one-off tasks (no public IP, out through ${w.nat === 'none' ? 'the VPC endpoints only' : 'NAT'})` : 'unused while tasks are public'}`,
    `data ${cidrs('data')}: ${data || 'nothing yet'} (no route to the internet)`,
    ...(w.endpoints.length ? [`endpoints: ${w.endpoints.join(', ')}`] : []),
  ];
}

export const vpc: StepCode<'vpc'> = {
  async inputs(ctx) {
    return { vpc: wantedOf(ctx) };
  },

  async preflight(ctx) {
    const w = wantedOf(ctx);
    const found = await findOwnVpc(ctx.aws.ec2, ctx);
    if (!found) {
      const offered = await offeredAzs(ctx);
      return offered.length < w.azs ? [`network.azs: ${ctx.region} offers ${offered.length} availability zones; set 2`] : [];
    }
    const problems: string[] = [];
    if (w.cidr && w.cidr !== found.CidrBlock)
      problems.push(
        `network.cidr: the VPC ${found.VpcId} is ${found.CidrBlock}, and a VPC's range cannot change; remove network.cidr or set it to ${found.CidrBlock} (a new range needs a new env)`,
      );
    const s = await ownSubnets(ctx.aws.ec2, ctx, found.VpcId!);
    const azs = new Set([...s.public, ...s.private, ...s.data].map((x) => x.AvailabilityZone)).size;
    if (azs > w.azs)
      problems.push(
        `network.azs: the VPC ${found.VpcId} has subnets in ${azs} AZs; fewer would remove subnets the database, cache or tasks may sit in. Set network.azs to ${azs}`,
      );
    return problems;
  },

  async plan(ctx): Promise<PlanItem[]> {
    const run = new Run(ctx, true);
    const out = await converge(run);
    const isNew = out.vpcId.startsWith('(');
    return [
      {
        action: isNew ? 'create' : run.changes.length ? 'update' : 'keep',
        resource: isNew ? `VPC ${ctx.app}-${ctx.env}` : `VPC ${out.vpcId}`,
        detail: isNew ? `3 tiers × ${out.azs.length} AZs` : run.changes.join(', ') || undefined,
        changes: layout(ctx, out),
      },
    ];
  },

  async apply(ctx) {
    return converge(new Run(ctx, false));
  },

  async verify(ctx, out) {
    const run = new Run(ctx, true);
    await converge(run);
    const tables = await vpcRouteTables(ctx, out.vpcId);
    const routeOut = (subnetId: string) =>
      tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId))?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    const checks: Check[] = [
      { name: `VPC ${out.vpcId} as configured`, ok: run.changes.length === 0, detail: run.changes.join('; ') || undefined },
      { name: 'data subnets have no route to the internet', ok: out.dataSubnetIds.every((s) => !routeOut(s)) },
      { name: 'public subnets route to the internet gateway', ok: out.publicSubnetIds.every((s) => !!routeOut(s)?.GatewayId?.startsWith('igw-')) },
    ];
    if (out.natGatewayIds.length)
      checks.push({
        name: 'private subnets route through a NAT gateway',
        ok: out.privateSubnetIds.every((s) => out.natGatewayIds.includes(routeOut(s)?.NatGatewayId ?? '')),
      });
    return checks;
  },
};
