import { DescribeDBClustersCommand, DescribeDBInstancesCommand, type DBCluster, type DBInstance } from '@aws-sdk/client-rds';
import type { StepContext } from '../pipeline/context.js';
import { rdsIdentifier } from './names.js';
import { unlessNotFound } from './not-found.js';

/** The app's instance by its deterministic identifier, or undefined. */
export async function findInstance(ctx: Pick<StepContext, 'aws' | 'app' | 'env'>): Promise<DBInstance | undefined> {
  const res = await unlessNotFound(
    ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: rdsIdentifier(ctx.app, ctx.env) })),
    'DBInstanceNotFoundFault',
    'DBInstanceNotFound',
  );
  return res?.DBInstances?.[0];
}

/** The app's Aurora cluster (database.engine "aurora-postgresql"), by the same identifier, or undefined. */
export async function findCluster(ctx: Pick<StepContext, 'aws' | 'app' | 'env'>): Promise<DBCluster | undefined> {
  const res = await unlessNotFound(
    ctx.aws.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: rdsIdentifier(ctx.app, ctx.env) })),
    'DBClusterNotFoundFault',
    'DBClusterNotFound',
  );
  return res?.DBClusters?.[0];
}

/** The database that holds the app's data, instance or cluster: what a teardown keeps the network for. */
export async function findDatabase(ctx: Pick<StepContext, 'aws' | 'app' | 'env'>): Promise<{ id: string; securityGroupIds: string[] } | undefined> {
  const inst = await findInstance(ctx);
  if (inst) return { id: inst.DBInstanceIdentifier!, securityGroupIds: (inst.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!) };
  const cluster = await findCluster(ctx);
  if (cluster) return { id: cluster.DBClusterIdentifier!, securityGroupIds: (cluster.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!) };
  return undefined;
}
