import { DescribeDBClustersCommand, DescribeDBInstancesCommand, type DBCluster, type DBInstance } from '@aws-sdk/client-rds';
import type { AwsClients } from './clients.js';

/** What a lookup needs: the RDS client and whose database it is. */
type Where = { aws: Pick<AwsClients, 'rds'>; app: string; env: string };
import { rdsIdentifier } from './names.js';
import { unlessNotFound } from './not-found.js';
import { ownedBy } from '../pipeline/step.js';

/** The app's instance by its deterministic identifier (or `id`: a restore's), or undefined. */
export async function findInstance(ctx: Where, id = rdsIdentifier(ctx.app, ctx.env)): Promise<DBInstance | undefined> {
  const res = await unlessNotFound(
    ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    'DBInstanceNotFoundFault',
    'DBInstanceNotFound',
  );
  return res?.DBInstances?.[0];
}

/** The app's Aurora cluster (database.engine "aurora-postgresql"), by the same identifier, or undefined. */
export async function findCluster(ctx: Where, id = rdsIdentifier(ctx.app, ctx.env)): Promise<DBCluster | undefined> {
  const res = await unlessNotFound(ctx.aws.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })), 'DBClusterNotFoundFault', 'DBClusterNotFound');
  return res?.DBClusters?.[0];
}

/**
 * The database that holds the app's data, instance or cluster: what a teardown keeps the network for. Any instance
 * of the app's counts (a restore makes <app>-<env>-r<N>), found by its tags.
 */
export async function findDatabase(ctx: Where): Promise<{ id: string; securityGroupIds: string[] } | undefined> {
  const inst = (await findInstance(ctx)) ?? (await ownInstances(ctx))[0];
  if (inst) return { id: inst.DBInstanceIdentifier!, securityGroupIds: (inst.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!) };
  const cluster = await findCluster(ctx);
  if (cluster) return { id: cluster.DBClusterIdentifier!, securityGroupIds: (cluster.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!) };
  return undefined;
}

/** Every RDS instance of the region tagged as this app's and env's (DescribeDBInstances pages through them all). */
export async function ownInstances(ctx: Where): Promise<DBInstance[]> {
  const out: DBInstance[] = [];
  let Marker: string | undefined;
  do {
    const res = await ctx.aws.rds.send(new DescribeDBInstancesCommand({ Marker, MaxRecords: 100 }));
    out.push(...(res.DBInstances ?? []).filter((i) => ownedBy(ctx, i.TagList)));
    Marker = res.Marker;
  } while (Marker);
  return out;
}

/** Every Aurora cluster of the region tagged as this app's and env's. */
export async function ownClusters(ctx: Where): Promise<DBCluster[]> {
  const out: DBCluster[] = [];
  let Marker: string | undefined;
  do {
    const res = await ctx.aws.rds.send(new DescribeDBClustersCommand({ Marker, MaxRecords: 100 }));
    out.push(...(res.DBClusters ?? []).filter((c) => ownedBy(ctx, c.TagList)));
    Marker = res.Marker;
  } while (Marker);
  return out;
}
