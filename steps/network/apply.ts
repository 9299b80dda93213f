import { lbHttps } from '../../src/config/https.js';
import { lbBehindCdn } from '../../src/config/features.js';
import { hasServiceConnect, reachableServices } from '../../src/config/service-connect.js';
import { CLOUDFRONT_ORIGIN_FACING } from '../../src/site/origin-verify.js';
import {
  DescribeManagedPrefixListsCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type SecurityGroup,
  type Subnet,
} from '@aws-sdk/client-ec2';
import type { Config } from '../../src/config/schema.js';
import type { StepContext } from '../../src/pipeline/context.js';
import { StepError } from '../../src/errors.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { isError } from '../../src/aws/not-found.js';
import { findOwnVpc, ownSubnets } from '../../src/aws/own-vpc.js';
import { findLoadBalancer } from '../../src/aws/load-balancer.js';
import { tasksPrivate, vpcWanted } from '../../src/network/vpc-layout.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export type GroupRole = 'lb' | 'tasks' | 'db' | 'cache' | 'proxy' | 'efs';

export interface NetworkOutput {
  vpcId: string;
  subnetIds: string[];
  publicSubnetIds: string[];
  /** One public subnet per availability zone: an ALB takes at most one subnet per AZ and needs two AZs. */
  loadBalancerSubnetIds?: string[];
  /** Where services and one-off tasks run: network.privateSubnetIds, else every subnet (absent in states from before tiers). */
  taskSubnetIds?: string[];
  /** Where the database and cache sit: network.dataSubnetIds, else the private ones, else every subnet. */
  dataSubnetIds?: string[];
  availabilityZones: string[];
  securityGroups: Partial<Record<GroupRole, string>> & { lb: string; tasks: string };
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    network: NetworkOutput;
  }
}

/** One ingress rule, flattened: a CIDR or a source group, one port range. */
interface Rule {
  port: number;
  cidr?: string;
  ipv6?: string;
  source?: GroupRole;
  /** A managed prefix list's id (CloudFront's origin-facing addresses). */
  prefixList?: string;
  description: string;
}

const groupName = (ctx: StepContext, role: GroupRole) => `${ctx.app}-${ctx.env}-${role}`;

function roles(ctx: StepContext): GroupRole[] {
  return [
    'lb',
    'tasks',
    ...(ctx.config.database ? (['db'] as const) : []),
    ...(ctx.config.cache ? (['cache'] as const) : []),
    ...(ctx.config.database?.proxy ? (['proxy'] as const) : []),
    ...(Object.keys(ctx.config.volumes).length ? (['efs'] as const) : []),
  ];
}

/** The ports web services listen on, once each. */
const webPorts = (config: Config) =>
  [...new Set(Object.values(config.services).flatMap((s) => (s.kind === 'web' && s.port !== undefined ? [s.port] : [])))].sort((a, b) => a - b);

/** With Service Connect, the ports the services reach each other on (a task's proxy connects to another task's port). */
const connectPorts = (config: Config) => (hasServiceConnect(config) ? [...new Set(reachableServices(config).map((s) => s.port!))].sort((a, b) => a - b) : []);

/**
 * The id of CloudFront's origin-facing prefix list, when the load balancer sits behind the CDN: AWS manages
 * it, one per partition, found by its name.
 */
async function cdnPrefixList(ctx: StepContext): Promise<string | undefined> {
  if (!lbBehindCdn(ctx.config)) return undefined;
  const res = await ctx.aws.ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_ORIGIN_FACING] }] }));
  const id = res.PrefixLists?.[0]?.PrefixListId;
  if (!id)
    throw new StepError('network', `find CloudFront's addresses: the managed prefix list ${CLOUDFRONT_ORIGIN_FACING} is not in ${ctx.region}`, {
      hint: 'AWS offers it in every commercial region; check the region, then run again.',
    });
  return id;
}

/** The rules each group should have, and no others. */
function wantedRules(ctx: StepContext, role: GroupRole, cdn?: string): Rule[] {
  switch (role) {
    case 'lb':
      // Behind the CDN the load balancer admits CloudFront alone (its listener rules then also want the origin secret).
      if (cdn)
        return (lbHttps(ctx.config) ? [80, 443] : [80]).map((port) => ({
          port,
          prefixList: cdn,
          description: `HTTP${port === 443 ? 'S' : ''} from CloudFront only`,
        }));
      // 443 is opened only when there is a certificate to serve on it.
      return (lbHttps(ctx.config) ? [80, 443] : [80]).flatMap((port) => [
        { port, cidr: '0.0.0.0/0', description: `HTTP${port === 443 ? 'S' : ''} from anywhere` },
        { port, ipv6: '::/0', description: `HTTP${port === 443 ? 'S' : ''} from anywhere (IPv6)` },
      ]);
    case 'tasks':
      return [
        ...webPorts(ctx.config).map((port) => ({ port, source: 'lb' as const, description: 'app port from the load balancer' })),
        ...connectPorts(ctx.config).map((port) => ({ port, source: 'tasks' as const, description: 'app port from the other services (Service Connect)' })),
      ];
    case 'db':
      // The tasks keep a direct way in with a proxy too: the database setup task and DATABASE_DIRECT_URL use it.
      return [
        { port: 5432, source: 'tasks', description: 'Postgres from the app tasks' },
        ...(ctx.config.database?.proxy ? [{ port: 5432, source: 'proxy' as const, description: 'Postgres from the RDS Proxy' }] : []),
      ];
    case 'proxy':
      return [{ port: 5432, source: 'tasks', description: 'Postgres from the app tasks, through the RDS Proxy' }];
    case 'cache':
      return [{ port: 6379, source: 'tasks', description: 'Redis from the app tasks' }];
    case 'efs':
      return [{ port: 2049, source: 'tasks', description: 'NFS (EFS volumes) from the app tasks' }];
  }
}

const ruleKey = (port: number, who: string) => `tcp:${port}:${who}`;

function keyOf(r: Rule, ids: Partial<Record<GroupRole, string>>): string {
  return ruleKey(r.port, r.cidr ?? r.ipv6 ?? r.prefixList ?? ids[r.source!] ?? `?${r.source}`);
}

/** Existing rules flattened to keys, each with the permission needed to revoke it alone. */
function existingRules(g: SecurityGroup): Map<string, IpPermission> {
  const out = new Map<string, IpPermission>();
  for (const p of g.IpPermissions ?? []) {
    const base = { IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort };
    const port = p.IpProtocol === 'tcp' && p.FromPort === p.ToPort ? String(p.FromPort) : `${p.IpProtocol}:${p.FromPort}-${p.ToPort}`;
    // Each with its description as AWS reports it: AWS matches a revoke without it, moto only with it.
    const d = (x: { Description?: string }) => (x.Description ? { Description: x.Description } : {});
    for (const r of p.IpRanges ?? []) out.set(`tcp:${port}:${r.CidrIp}`, { ...base, IpRanges: [{ CidrIp: r.CidrIp, ...d(r) }] });
    for (const r of p.Ipv6Ranges ?? []) out.set(`tcp:${port}:${r.CidrIpv6}`, { ...base, Ipv6Ranges: [{ CidrIpv6: r.CidrIpv6, ...d(r) }] });
    for (const r of p.UserIdGroupPairs ?? []) out.set(`tcp:${port}:${r.GroupId}`, { ...base, UserIdGroupPairs: [{ GroupId: r.GroupId, ...d(r) }] });
    for (const r of p.PrefixListIds ?? []) out.set(`tcp:${port}:${r.PrefixListId}`, { ...base, PrefixListIds: [{ PrefixListId: r.PrefixListId, ...d(r) }] });
  }
  return out;
}

function permissionFor(r: Rule, ids: Partial<Record<GroupRole, string>>): IpPermission {
  const base = { IpProtocol: 'tcp', FromPort: r.port, ToPort: r.port };
  if (r.cidr) return { ...base, IpRanges: [{ CidrIp: r.cidr, Description: r.description }] };
  if (r.ipv6) return { ...base, Ipv6Ranges: [{ CidrIpv6: r.ipv6, Description: r.description }] };
  if (r.prefixList) return { ...base, PrefixListIds: [{ PrefixListId: r.prefixList, Description: r.description }] };
  return { ...base, UserIdGroupPairs: [{ GroupId: ids[r.source!], Description: r.description }] };
}

/**
 * The VPC and subnets by tier, as the config names them, or, with network.vpc "create", as the vpc step made
 * them (its output once it ran; found by tags for the plan and preflight, undefined before it made the VPC).
 */
interface Tiers {
  vpcId?: string;
  subnetIds?: string[];
  publicSubnetIds?: string[];
  privateSubnetIds?: string[];
  dataSubnetIds?: string[];
  /** The wizard made the VPC: its layout is the vpc step's to check. */
  created?: true;
}

async function tiersOf(ctx: StepContext, ran = false): Promise<Tiers | undefined> {
  const n = ctx.config.network;
  if (n?.vpc !== 'create') return { ...n, vpcId: n?.vpcId ?? (n?.vpc && n.vpc !== 'default' ? n.vpc : undefined) };
  const made = ran
    ? ctx.output('vpc')
    : await (async () => {
        const own = await findOwnVpc(ctx.aws.ec2, ctx);
        if (!own) return undefined;
        const s = await ownSubnets(ctx.aws.ec2, ctx, own.VpcId!);
        const ids = (x: Subnet[]) => x.map((y) => y.SubnetId!);
        return {
          vpcId: own.VpcId!,
          publicSubnetIds: ids(s.public),
          privateSubnetIds: ids(s.private),
          dataSubnetIds: ids(s.data),
          tasksPrivate: tasksPrivate(vpcWanted(ctx.config)!),
        };
      })();
  if (!made?.publicSubnetIds.length) return undefined;
  return {
    vpcId: made.vpcId,
    publicSubnetIds: made.publicSubnetIds,
    // Without a NAT gateway or the endpoints a task needs, tasks run in the public subnets.
    ...(made.tasksPrivate ? { privateSubnetIds: made.privateSubnetIds } : {}),
    dataSubnetIds: made.dataSubnetIds,
    created: true,
  };
}

async function findVpc(ctx: StepContext, t: Tiers): Promise<string> {
  const wanted = t.vpcId;
  const res = await ctx.aws.ec2.send(new DescribeVpcsCommand(wanted ? { VpcIds: [wanted] } : { Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  const vpc = res.Vpcs?.[0]?.VpcId;
  if (!vpc) {
    throw new StepError('network', `find VPC: ${wanted ? `VPC ${wanted} was not found in ${ctx.region}` : `the account has no default VPC in ${ctx.region}`}`, {
      hint: 'Set network.vpc to "create" for a VPC of its own, or network.vpcId and network.subnetIds (two or more subnets in different availability zones) in deploy-wizard.json.',
    });
  }
  return vpc;
}

async function findSubnets(ctx: StepContext, vpcId: string, n: Tiers): Promise<Subnet[]> {
  const tiered = [...(n.publicSubnetIds ?? []), ...(n.privateSubnetIds ?? []), ...(n.dataSubnetIds ?? [])];
  const ids = tiered.length ? tiered : n.subnetIds;
  const res = await ctx.aws.ec2.send(
    new DescribeSubnetsCommand(
      ids
        ? { SubnetIds: ids }
        : {
            Filters: [
              { Name: 'vpc-id', Values: [vpcId] },
              { Name: 'default-for-az', Values: ['true'] },
            ],
          },
    ),
  );
  const subnets = (res.Subnets ?? []).sort((a, b) => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? ''));
  const wrongVpc = subnets.filter((s) => s.VpcId !== vpcId).map((s) => s.SubnetId);
  if (wrongVpc.length)
    throw new StepError('network', `check subnets: ${wrongVpc.join(', ')} are not in ${vpcId}`, { hint: 'List subnets of network.vpcId only.' });
  const azs = new Set(subnets.map((s) => s.AvailabilityZone));
  if (azs.size < 2) {
    throw new StepError('network', `check subnets: the subnets span ${azs.size} availability zone(s); RDS and ElastiCache subnet groups need at least two`, {
      hint: 'Set network.subnetIds to subnets in two or more availability zones.',
    });
  }
  return subnets;
}

/** A subnet is public when its route table (or the VPC's main one) routes 0.0.0.0/0 to an internet gateway. */
async function publicSubnets(ctx: StepContext, vpcId: string, subnets: Subnet[]): Promise<string[]> {
  const tables = (await ctx.aws.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables ?? [];
  const toIgw = (t: (typeof tables)[number]) => (t.Routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.GatewayId?.startsWith('igw-'));
  const main = tables.find((t) => t.Associations?.some((a) => a.Main));
  return subnets
    .filter((s) => {
      const own = tables.find((t) => t.Associations?.some((a) => a.SubnetId === s.SubnetId));
      const table = own ?? main;
      return table ? toIgw(table) : !!s.MapPublicIpOnLaunch;
    })
    .map((s) => s.SubnetId!);
}

/** One public subnet per AZ, in AZ order: what the load balancer is given. */
function oneSubnetPerAz(subnets: Subnet[], publicIds: string[]): string[] {
  const byAz = new Map<string, string>();
  for (const s of subnets) if (publicIds.includes(s.SubnetId!) && !byAz.has(s.AvailabilityZone!)) byAz.set(s.AvailabilityZone!, s.SubnetId!);
  return [...byAz.values()];
}

/** Which subnets each part of the app uses: the configured tiers, else every subnet for tasks and data (today's shape). */
function tiers(n: Tiers, subnets: Subnet[], publicIds: string[]) {
  const all = subnets.map((s) => s.SubnetId!);
  const task = n.privateSubnetIds ?? n.publicSubnetIds ?? all;
  const data = n.dataSubnetIds ?? n.privateSubnetIds ?? all;
  // With tiers, the load balancer is given the public tier only, and only what routes to an internet gateway.
  const lbCandidates = n.publicSubnetIds ? publicIds.filter((id) => n.publicSubnetIds!.includes(id)) : publicIds;
  const of = (ids: string[]) => subnets.filter((s) => ids.includes(s.SubnetId!));
  return { task, data, lbCandidates, taskSubnets: of(task), dataSubnets: of(data) };
}

/** The VPC endpoints a task in a subnet without a route to the internet needs to pull its image, read its secret and write logs. */
const NEEDED_ENDPOINTS = ['ecr.api', 'ecr.dkr', 's3', 'logs', 'secretsmanager'];

/**
 * Why tasks in these subnets could not start, or undefined. Tasks get a
 * public IP only when every subnet is public; otherwise each subnet needs a
 * NAT route, or the VPC needs endpoints for ECR, S3, Logs and Secrets
 * Manager. Without either, Fargate fails to pull the image after everything
 * else was created; this says so before anything is.
 */
async function egressProblem(ctx: StepContext, vpcId: string, subnets: Subnet[], publicIds: string[]): Promise<string | undefined> {
  if (subnets.every((s) => publicIds.includes(s.SubnetId!))) return undefined;
  const tables = (await ctx.aws.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables ?? [];
  const main = tables.find((t) => t.Associations?.some((a) => a.Main));
  const natted = (s: Subnet) => {
    const t = tables.find((x) => x.Associations?.some((a) => a.SubnetId === s.SubnetId)) ?? main;
    return (t?.Routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && (r.NatGatewayId || r.InstanceId || r.TransitGatewayId));
  };
  const stranded = subnets.filter((s) => !natted(s));
  if (!stranded.length) return undefined;
  const endpoints = (await ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).VpcEndpoints ?? [];
  const have = new Set(endpoints.filter((e) => e.State?.toLowerCase() === 'available' || !e.State).map((e) => e.ServiceName?.split('.').slice(3).join('.')));
  const missing = NEEDED_ENDPOINTS.filter((n) => !have.has(n));
  if (!missing.length) return undefined;
  return (
    `network.${ctx.config.network?.privateSubnetIds ? 'privateSubnetIds' : 'subnetIds'}: ${stranded.map((s) => s.SubnetId).join(', ')} ${stranded.length > 1 ? 'have' : 'has'} no route to a NAT gateway, and the subnets are not all public (tasks get no public IP), ` +
    `so tasks could not pull their image. Add a NAT gateway route, create VPC endpoints for ${missing.map((m) => `com.amazonaws.${ctx.region}.${m}`).join(', ')}, or list only public subnets`
  );
}

/** Where each part of the app sits, for the plan. */
function placement(ctx: StepContext, n: Tiers, subnets: Subnet[], pub: string[]): string[] {
  const t = tiers(n, subnets, pub);
  const where = (ids: string[]) => ids.join(', ');
  const taskPublic = t.task.every((id) => pub.includes(id));
  const lines = [
    `load balancer in ${where(oneSubnetPerAz(subnets, t.lbCandidates))} (public)`,
    `services and one-off tasks in ${where(t.task)} (${taskPublic ? 'public, with a public IP' : 'no public IP'})`,
  ];
  if (ctx.config.database || ctx.config.cache)
    lines.push(
      `${[ctx.config.database && 'database', ctx.config.cache && 'cache'].filter(Boolean).join(' and ')} in ${where(t.data)}${n.dataSubnetIds ? ' (data tier, no route to the internet)' : ''}`,
    );
  return lines;
}

/** Everything about the network that would fail later, found with read-only calls before anything is created. */
async function networkProblems(ctx: StepContext, n: Tiers | undefined): Promise<string[]> {
  // A VPC the wizard makes is laid out right by the vpc step (and, before it ran, is not there to check).
  if (!n || n.created) return [];
  let vpcId: string;
  let subnets: Subnet[];
  try {
    vpcId = await findVpc(ctx, n);
    subnets = await findSubnets(ctx, vpcId, n);
  } catch (e) {
    if (e instanceof StepError) return [`${e.message}${e.hint ? `. ${e.hint}` : ''}`];
    throw e;
  }
  const problems: string[] = [];
  const pub = await publicSubnets(ctx, vpcId, subnets);
  const t = tiers(n, subnets, pub);
  const notPublic = (n.publicSubnetIds ?? []).filter((id) => !pub.includes(id));
  if (notPublic.length)
    problems.push(
      `network.publicSubnetIds: ${notPublic.join(', ')} ${notPublic.length > 1 ? 'have' : 'has'} no route to an internet gateway; the load balancer needs public subnets`,
    );
  const lbAzs = oneSubnetPerAz(subnets, t.lbCandidates).length;
  if (lbAzs < 2) {
    problems.push(
      `network.${n?.publicSubnetIds ? 'publicSubnetIds' : 'subnetIds'}: an internet-facing load balancer needs public subnets (routed to an internet gateway) in two availability zones; these subnets have public ones in ${lbAzs}`,
    );
  }
  if (n?.dataSubnetIds) {
    // The data tier: nothing on the internet can route to it, and it routes nowhere out.
    const open = n.dataSubnetIds.filter((id) => pub.includes(id));
    if (open.length)
      problems.push(
        `network.dataSubnetIds: ${open.join(', ')} ${open.length > 1 ? 'route' : 'routes'} to an internet gateway; the data tier must have no route to the internet`,
      );
    const azs = new Set(t.dataSubnets.map((s) => s.AvailabilityZone)).size;
    if (azs < 2) problems.push(`network.dataSubnetIds: the subnets span ${azs} availability zone(s); RDS and ElastiCache subnet groups need at least two`);
  }
  const egress = await egressProblem(ctx, vpcId, t.taskSubnets, pub);
  if (egress) problems.push(egress);
  return problems;
}

/**
 * Why the config would move a deployed load balancer to another VPC, or nothing. A load balancer and its target
 * groups cannot change VPC: found here, before the new network is made, rather than half way. (A database or
 * cache is refused by its own step: moving it would lose its data.)
 */
async function loadBalancerMoveProblem(ctx: StepContext, t: Tiers | undefined): Promise<string[]> {
  if (!Object.values(ctx.config.services).some((s) => s.kind === 'web')) return [];
  const lb = await findLoadBalancer(ctx);
  if (!lb?.VpcId) return [];
  // The VPC the config names, the one the wizard made (none yet: a new one), or the account's default.
  const want =
    t?.vpcId ??
    (ctx.config.network?.vpc === 'create'
      ? undefined
      : (await ctx.aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs?.[0]?.VpcId);
  if (want === lb.VpcId) return [];
  const key = ctx.config.network?.vpcId ? 'vpcId' : 'vpc';
  return [
    `network.${key}: the load balancer ${lb.LoadBalancerName} and its target groups sit in ${lb.VpcId}; the config moves the app to ${want ?? 'a new VPC'}, and neither can change VPC. ` +
      `To move: run deploy-wizard destroy (data is kept unless --delete-data), then deploy; or deploy the new network as a new env (--env) and switch traffic to it; or keep network.${key} as it was`,
  ];
}

async function findGroups(ctx: StepContext, vpcId: string): Promise<Map<GroupRole, SecurityGroup>> {
  const names = roles(ctx).map((r) => groupName(ctx, r));
  const res = await ctx.aws.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: names },
      ],
    }),
  );
  const out = new Map<GroupRole, SecurityGroup>();
  for (const role of roles(ctx)) {
    const g = res.SecurityGroups?.find((x) => x.GroupName === groupName(ctx, role));
    if (g) out.set(role, g);
  }
  return out;
}

async function ensureGroup(ctx: StepContext, vpcId: string, role: GroupRole, existing?: SecurityGroup): Promise<SecurityGroup> {
  if (existing) {
    const tags = existing.Tags ?? [];
    if (!ownedBy(ctx, tags)) {
      throw new StepError('network', `adopt security group: ${groupName(ctx, role)} (${existing.GroupId}) exists but was not created by deploy-wizard`, {
        hint: `Rename or delete it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} so the wizard may manage its rules.`,
      });
    }
    return existing;
  }
  ctx.log.info(`creating security group ${groupName(ctx, role)}`);
  try {
    await ctx.aws.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: groupName(ctx, role),
        Description: `deploy-wizard ${ctx.app} ${ctx.env} ${role}`,
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [...ownershipTags(ctx, 'network'), { Key: 'Name', Value: groupName(ctx, role) }] }],
      }),
    );
  } catch (e) {
    // A concurrent run created it between our lookup and our create.
    if (!isError(e, 'InvalidGroup.Duplicate')) throw e;
  }
  const again = (await findGroups(ctx, vpcId)).get(role);
  if (!again) throw new Error(`security group ${groupName(ctx, role)} was created but cannot be described`);
  return again;
}

/** Adds missing rules and removes rules of ours that no longer apply. Returns what changed. */
async function convergeRules(
  ctx: StepContext,
  role: GroupRole,
  group: SecurityGroup,
  ids: Partial<Record<GroupRole, string>>,
  dryRun: boolean,
  cdn: string | undefined,
): Promise<string[]> {
  const want = wantedRules(ctx, role, cdn);
  const have = existingRules(group);
  const wantKeys = new Set(want.map((r) => keyOf(r, ids)));
  const changes: string[] = [];
  const add = want.filter((r) => !have.has(keyOf(r, ids)));
  const remove = [...have.entries()].filter(([k]) => !wantKeys.has(k));
  for (const r of add) {
    changes.push(`allow ${keyOf(r, ids).replace(/^tcp:/, 'tcp ')}`);
    if (dryRun) continue;
    try {
      await ctx.aws.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: [permissionFor(r, ids)] }));
    } catch (e) {
      if (!isError(e, 'InvalidPermission.Duplicate')) throw e;
    }
  }
  for (const [k, perm] of remove) {
    changes.push(`remove ${k.replace(/^tcp:/, 'tcp ')}`);
    if (dryRun) continue;
    try {
      await ctx.aws.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: [perm] }));
    } catch (e) {
      if (!isError(e, 'InvalidPermission.NotFound')) throw e;
    }
  }
  return changes;
}

export const network: StepCode<'network'> = {
  async inputs(ctx) {
    return {
      network: ctx.config.network ?? {},
      // A VPC the wizard made: its subnets, so a third AZ (or tasks moving to the private tier) reaches the groups' users.
      ...(ctx.config.network?.vpc === 'create' ? { made: ctx.output('vpc') } : {}),
      ports: webPorts(ctx.config),
      ...(hasServiceConnect(ctx.config) ? { connectPorts: connectPorts(ctx.config) } : {}),
      roles: roles(ctx),
      https: lbHttps(ctx.config),
      behindCdn: lbBehindCdn(ctx.config),
    };
  },

  async preflight(ctx) {
    const t = await tiersOf(ctx);
    return [...(await networkProblems(ctx, t)), ...(await loadBalancerMoveProblem(ctx, t))];
  },

  async plan(ctx) {
    const n = await tiersOf(ctx);
    const cdn = await cdnPrefixList(ctx);
    const creates = (roles: GroupRole[]): PlanItem[] =>
      roles.map((role) => ({
        action: 'create',
        resource: `security group ${groupName(ctx, role)}`,
        detail: wantedRules(ctx, role, cdn)
          .filter((r) => !r.ipv6)
          .map((r) => `${r.port} from ${r.prefixList ? 'CloudFront' : (r.source ?? r.cidr)}`)
          .join(', '),
      }));
    // The VPC the wizard makes is not there yet: its groups are all new (the vpc step's plan shows the layout).
    if (!n) return creates(roles(ctx));
    const vpcId = await findVpc(ctx, n);
    const subnets = await findSubnets(ctx, vpcId, n);
    const pub = await publicSubnets(ctx, vpcId, subnets);
    const items: PlanItem[] = n.created
      ? []
      : [
          {
            action: 'keep',
            resource: `VPC ${vpcId}`,
            detail: `${subnets.length} subnets in ${new Set(subnets.map((s) => s.AvailabilityZone)).size} AZs, ${pub.length} public`,
            changes: placement(ctx, n, subnets, pub),
          },
        ];
    const groups = await findGroups(ctx, vpcId);
    const ids = Object.fromEntries([...groups].map(([r, g]) => [r, g.GroupId]));
    for (const role of roles(ctx)) {
      const g = groups.get(role);
      if (!g) items.push(...creates([role]));
      else {
        const changes = await convergeRules(ctx, role, g, ids, true, cdn);
        items.push({ action: changes.length ? 'update' : 'keep', resource: `security group ${groupName(ctx, role)}`, detail: changes.join(', ') || undefined });
      }
    }
    return items;
  },

  async apply(ctx) {
    const n = (await tiersOf(ctx, true))!;
    const vpcId = await findVpc(ctx, n);
    const subnets = await findSubnets(ctx, vpcId, n);
    // The public tier of a VPC the wizard just made is public by construction (its route read back may lag).
    const pub = n.created ? n.publicSubnetIds! : await publicSubnets(ctx, vpcId, subnets);
    const problems = await networkProblems(ctx, n);
    if (problems.length) throw new StepError('network', `check network: ${problems.join('; ')}`);
    let groups = await findGroups(ctx, vpcId);
    for (const role of roles(ctx)) groups.set(role, await ensureGroup(ctx, vpcId, role, groups.get(role)));
    const ids = Object.fromEntries([...groups].map(([r, g]) => [r, g.GroupId!])) as NetworkOutput['securityGroups'];
    // Re-read after creates so rule comparison sees what AWS has, then converge each group.
    groups = await findGroups(ctx, vpcId);
    const cdn = await cdnPrefixList(ctx);
    for (const role of roles(ctx)) {
      const changes = await convergeRules(ctx, role, groups.get(role)!, ids, false, cdn);
      if (changes.length) ctx.log.info(`${groupName(ctx, role)}: ${changes.join(', ')}`);
    }
    const t = tiers(n, subnets, pub);
    return {
      vpcId,
      subnetIds: subnets.map((s) => s.SubnetId!),
      publicSubnetIds: pub,
      loadBalancerSubnetIds: oneSubnetPerAz(subnets, t.lbCandidates),
      taskSubnetIds: t.task,
      dataSubnetIds: t.data,
      availabilityZones: [...new Set(subnets.map((s) => s.AvailabilityZone!))],
      securityGroups: ids,
    };
  },

  async verify(ctx, out) {
    const checks: Check[] = [{ name: 'load balancer subnets, one per AZ', ok: (out.loadBalancerSubnetIds?.length ?? 0) >= 2 }];
    const groups = await findGroups(ctx, out.vpcId);
    const cdn = await cdnPrefixList(ctx);
    for (const role of roles(ctx)) {
      const g = groups.get(role);
      const drift = g ? await convergeRules(ctx, role, g, out.securityGroups, true, cdn) : ['missing'];
      checks.push({
        name: `security group ${groupName(ctx, role)}`,
        ok: !!g && g.GroupId === out.securityGroups[role] && drift.length === 0,
        detail: drift.join(', ') || undefined,
      });
    }
    return checks;
  },
};
