import { defineStep } from '../../src/pipeline/manifest.js';
import { passTo, roleGrants } from '../../src/aws/grants.js';
import { proxyRoleName } from '../../src/aws/names.js';
import { HOURS, pricesFor, round } from '../../src/pricing.js';

/** RDS Proxy bills each vCPU of the instance behind it, two at least (https://aws.amazon.com/rds/proxy/pricing/). */
export const PROXY_VCPU_HOUR = 0.015;
const VCPUS: Record<string, number> = { micro: 2, small: 2, medium: 2, large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32 };

export const manifest = defineStep({
  id: 'rds-proxy',
  title: 'Put RDS Proxy in front of the database',
  dependsOn: ['rds', 'network'],
  enabled: (c) => !!c.database?.proxy,
  resources: (w) => [{ kind: 'proxy-role', arn: `arn:${w.partition}:iam::${w.account}:role/${proxyRoleName(w)}` }],
  grants: [
    ...roleGrants('ProxyRole', ['proxy-role']),
    // CreateDBProxy and ModifyDBProxy pass the role to RDS.
    { sid: 'PassProxyRole', actions: ['iam:PassRole'], on: ['proxy-role'], condition: passTo('rds.amazonaws.com') },
    {
      // RDS gives a proxy a generated id (db-proxy:prx-…), and tag-on-create needs "*": scoped by action.
      sid: 'Proxy',
      calls: [
        'RDS:DescribeDBProxies',
        'RDS:CreateDBProxy',
        'RDS:ModifyDBProxy',
        'RDS:DeleteDBProxy',
        'RDS:DescribeDBProxyTargets',
        'RDS:RegisterDBProxyTargets',
        'RDS:DeregisterDBProxyTargets',
      ],
      actions: ['rds:AddTagsToResource', 'rds:ListTagsForResource'],
      on: '*',
    },
  ],
  cost(config) {
    const size = config.database!.instanceClass.split('.').pop()!;
    const vcpus = VCPUS[size];
    return [
      {
        component: 'RDS Proxy',
        size: vcpus ? `${vcpus} vCPUs of ${config.database!.instanceClass}` : `the vCPUs of ${config.database!.instanceClass} (not on file)`,
        monthly: vcpus ? round(vcpus * PROXY_VCPU_HOUR * pricesFor(config.region).p.rdsFactor * HOURS) : undefined,
      },
    ];
  },
  load: async () => (await import('./apply.js')).rdsProxy,
  loadTeardown: async () => (await import('./teardown.js')).destroyProxy,
});
