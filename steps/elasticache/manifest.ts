import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { generatedSecret } from '../../src/aws/grants.js';
import { redisAuthSecretName } from '../../src/aws/names.js';
import { cacheHourly, HOURS, round, secretsCost } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 'elasticache',
  title: 'Create the Redis cache (ElastiCache)',
  dependsOn: ['network'],
  enabled: (c) => !!c.cache,
  resources: (w) => [{ kind: 'cache-secret', arn: arnIn(w, 'secretsmanager', `secret:${redisAuthSecretName(w)}-??????`) }],
  grants: [
    {
      sid: 'Cache',
      calls: [
        'ElastiCache:DescribeReplicationGroups',
        'ElastiCache:DescribeCacheClusters',
        'ElastiCache:DescribeCacheSubnetGroups',
        'ElastiCache:ListTagsForResource',
        'ElastiCache:CreateCacheSubnetGroup',
        'ElastiCache:CreateReplicationGroup',
        'ElastiCache:ModifyCacheSubnetGroup',
        'ElastiCache:ModifyReplicationGroup',
        'ElastiCache:IncreaseReplicaCount',
        'ElastiCache:DecreaseReplicaCount',
      ],
      actions: ['elasticache:AddTagsToResource'],
      on: '*',
    },
    generatedSecret('CacheSecret', 'cache-secret'),
  ],
  cost(config) {
    const c = config.cache!;
    const h = cacheHourly(config.region, c.nodeType);
    return [
      { component: 'ElastiCache Redis', size: `${c.numNodes} × ${c.nodeType}`, monthly: h === undefined ? undefined : round(h * HOURS * c.numNodes) },
      secretsCost(1),
    ];
  },
  load: async () => (await import('./apply.js')).elasticache,
  loadTeardown: async () => (await import('./teardown.js')).destroyCache,
});
