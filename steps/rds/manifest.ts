import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { generatedSecret } from '../../src/aws/grants.js';
import { appDbSecretName, rdsMasterSecretName } from '../../src/aws/names.js';
import { rdsMonthly, secretsCost } from '../../src/pricing.js';

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
      ],
      actions: ['rds:AddTagsToResource', 'rds:ListTagsForResource'],
      on: '*',
    },
    generatedSecret('DatabaseSecrets', 'database-secret'),
  ],
  cost(config) {
    const d = config.database!;
    return [
      {
        component: 'RDS PostgreSQL',
        size: `${d.instanceClass}, ${d.allocatedStorageGb} GB gp3`,
        monthly: rdsMonthly(config.region, d.instanceClass, d.allocatedStorageGb),
      },
      // The master credentials and the application role's.
      secretsCost(2),
    ];
  },
  load: async () => (await import('./apply.js')).rds,
  loadTeardown: async () => (await import('./teardown.js')).destroyDatabase,
});
