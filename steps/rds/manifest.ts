import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { generatedSecret } from '../../src/aws/grants.js';
import { appDbSecretName, rdsMasterSecretName } from '../../src/aws/names.js';
import { AURORA_GB_MONTH, auroraMonthly, pricesFor, rdsMonthly, round, secretsCost } from '../../src/pricing.js';
import type { Config } from '../../src/config/schema.js';
import type { CostLine } from '../../src/pipeline/step.js';

export const manifest = defineStep({
  id: 'rds',
  title: 'Create the Postgres database (RDS)',
  dependsOn: ['network'],
  enabled: (c) => !!c.database,
  // Secrets Manager adds "-" and six characters to a secret's name.
  resources: (w) =>
    [rdsMasterSecretName(w), appDbSecretName(w)].map((n) => ({ kind: 'database-secret', arn: arnIn(w, 'secretsmanager', `secret:${n}-??????`) })),
  grants: [
    {
      // The instance and its subnet group: authorized on ARNs RDS builds from names, but tag-on-create and the
      // subnet group's VPC lookups need "*"; scoped by action.
      sid: 'Database',
      calls: [
        'RDS:DescribeDBInstances',
        'RDS:DescribeDBSubnetGroups',
        'RDS:CreateDBInstance',
        'RDS:CreateDBSubnetGroup',
        'RDS:ModifyDBInstance',
        'RDS:ModifyDBSubnetGroup',
        // The snapshot before a change that means downtime.
        'RDS:DescribeDBSnapshots',
        'RDS:CreateDBSnapshot',
        // Aurora: the cluster, and its writer and readers.
        'RDS:DescribeDBClusters',
        'RDS:CreateDBCluster',
        'RDS:ModifyDBCluster',
        'RDS:DeleteDBInstance',
      ],
      actions: ['rds:AddTagsToResource', 'rds:ListTagsForResource'],
      on: '*',
    },
    generatedSecret('DatabaseSecrets', 'database-secret'),
  ],
  cost(config) {
    const d = config.database!;
    if (d.engine === 'aurora-postgresql') return auroraCost(config);
    const one = rdsMonthly(config.region, d.instanceClass, d.allocatedStorageGb);
    // Multi-AZ runs and bills a standby of the same class and storage: twice the single-AZ price.
    const lines: CostLine[] = [
      {
        component: 'RDS PostgreSQL',
        size: `${d.instanceClass}${d.multiAz ? ' Multi-AZ (a standby in a second AZ)' : ''}, ${d.allocatedStorageGb} GB gp3`,
        monthly: one === undefined ? undefined : round(one * (d.multiAz ? 2 : 1)),
      },
    ];
    if (d.maxAllocatedStorageGb) {
      // Not in the total: storage grows only when the database fills it.
      const more = round((d.maxAllocatedStorageGb - d.allocatedStorageGb) * pricesFor(config.region).p.rdsGp3GbMonth * (d.multiAz ? 2 : 1));
      lines.push({ component: 'RDS storage autoscaling', size: `up to ${d.maxAllocatedStorageGb} GB, at most $${more} more a month when full`, monthly: 0 });
    }
    if (d.performanceInsights) lines.push({ component: 'RDS Performance Insights', size: '7-day retention (free)', monthly: 0 });
    // The master credentials and the application role's.
    lines.push(secretsCost(2));
    return lines;
  },
  load: async () => (await import('./apply.js')).rds,
  loadTeardown: async () => (await import('./teardown.js')).destroyDatabase,
});

/** Aurora: capacity (ACU-hours at the floor, the ceiling stated), storage as it grows, and the two secrets. */
function auroraCost(config: Config): CostLine[] {
  const d = config.database!;
  const instances = 1 + d.readers;
  const lines: CostLine[] = [];
  if (d.serverless) {
    const atMax = auroraMonthly(config.region, d.serverless.maxAcu * instances);
    lines.push({
      component: 'Aurora Serverless v2',
      size: `${instances} instance(s) at ${d.serverless.minAcu} ACU when idle, up to $${atMax} a month at ${d.serverless.maxAcu} ACU`,
      monthly: auroraMonthly(config.region, d.serverless.minAcu * instances),
    });
  } else lines.push({ component: 'Aurora PostgreSQL', size: `${instances} × ${d.instanceClass} (price not on file)`, monthly: undefined });
  lines.push({
    component: 'Aurora storage',
    size: `${d.allocatedStorageGb} GB assumed, billed as it grows; I/O not counted`,
    monthly: round(d.allocatedStorageGb * AURORA_GB_MONTH),
  });
  lines.push(secretsCost(2));
  return lines;
}
