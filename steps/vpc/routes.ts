import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, tagOf } from '../../src/pipeline/step.js';
import { tagsFor, type Run } from './act.js';

const TABLE = 'deploy-wizard:route-table';

/** A route table the VPC should have: which subnets use it, and where its default route (0.0.0.0/0) goes, if anywhere. */
export interface TableWanted {
  /** "public", "data", or "private-<az>": one private table per AZ, so "per-az" NAT changes only routes. */
  key: string;
  subnetIds: string[];
  defaultRoute?: { GatewayId: string } | { NatGatewayId: string };
}

export async function vpcRouteTables(ctx: StepContext, vpcId: string): Promise<RouteTable[]> {
  return (await ctx.aws.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables ?? [];
}

export const ourTables = (ctx: StepContext, tables: RouteTable[]) => tables.filter((t) => ownedBy(ctx, t.Tags) && tagOf(t.Tags, TABLE));

const target = (r: { GatewayId?: string; NatGatewayId?: string } | undefined) => r?.GatewayId ?? r?.NatGatewayId;

/**
 * Makes each wanted route table exist with exactly its default route and its subnets: a missing table is
 * created (tagged, found by its tag again), a default route added, replaced or deleted, and a subnet moved
 * onto its table (ReplaceRouteTableAssociation when it used another). Returns each table's id by key.
 */
export async function convergeRouteTables(run: Run, vpcId: string | undefined, wanted: TableWanted[]): Promise<Map<string, string>> {
  const ctx = run.ctx;
  const tables = vpcId ? await vpcRouteTables(ctx, vpcId) : [];
  const ours = ourTables(ctx, tables);
  const assoc = new Map<string, { tableId: string; associationId: string }>();
  for (const t of tables)
    for (const a of t.Associations ?? []) if (a.SubnetId) assoc.set(a.SubnetId, { tableId: t.RouteTableId!, associationId: a.RouteTableAssociationId! });
  const ids = new Map<string, string>();
  for (const w of wanted) {
    const found = ours.find((t) => tagOf(t.Tags, TABLE) === w.key);
    const id =
      found?.RouteTableId ??
      (await run.change(`create route table ${w.key}`, async () => {
        const res = await ctx.aws.ec2.send(
          new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: 'route-table', Tags: tagsFor(ctx, w.key, { [TABLE]: w.key }) }] }),
        );
        return res.RouteTable!.RouteTableId!;
      })) ??
      `(new route table ${w.key})`;
    ids.set(w.key, id);
    const have = (found?.Routes ?? []).find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    const want = w.defaultRoute;
    const to = target(want as never);
    const dest = { RouteTableId: id, DestinationCidrBlock: '0.0.0.0/0' };
    if (want && !have) await run.change(`route ${w.key}: 0.0.0.0/0 → ${to}`, () => ctx.aws.ec2.send(new CreateRouteCommand({ ...dest, ...want })));
    else if (want && target(have) !== to)
      await run.change(`route ${w.key}: 0.0.0.0/0 → ${to} (was ${target(have) ?? 'nowhere'})`, () =>
        ctx.aws.ec2.send(new ReplaceRouteCommand({ ...dest, ...want })),
      );
    else if (!want && have) await run.change(`route ${w.key}: remove 0.0.0.0/0 → ${target(have)}`, () => ctx.aws.ec2.send(new DeleteRouteCommand(dest)));
    for (const subnetId of w.subnetIds) {
      const a = assoc.get(subnetId);
      if (a?.tableId === id) continue;
      if (a)
        await run.change(`move ${subnetId} onto route table ${w.key}`, () =>
          ctx.aws.ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: a.associationId, RouteTableId: id })),
        );
      else
        await run.change(`associate ${subnetId} with route table ${w.key}`, () =>
          ctx.aws.ec2.send(new AssociateRouteTableCommand({ SubnetId: subnetId, RouteTableId: id })),
        );
    }
  }
  return ids;
}
