import { DescribeDBInstancesCommand, type DBInstance } from '@aws-sdk/client-rds';
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
