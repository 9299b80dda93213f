import { defineStep } from '../../src/pipeline/manifest.js';
import { hasServiceConnect } from '../../src/config/service-connect.js';

export const manifest = defineStep({
  id: 'service-connect',
  title: 'Create the Cloud Map namespace for internal services (Service Connect)',
  dependsOn: [],
  enabled: hasServiceConnect,
  grants: [
    {
      // Cloud Map gives namespaces generated ids (ns-…); the wizard finds its own by name and tags.
      sid: 'Namespace',
      calls: [
        'ServiceDiscovery:ListNamespaces',
        'ServiceDiscovery:GetNamespace',
        'ServiceDiscovery:CreateHttpNamespace',
        'ServiceDiscovery:GetOperation',
        'ServiceDiscovery:GetService',
        'ServiceDiscovery:ListTagsForResource',
        'ServiceDiscovery:DeleteNamespace',
        'ServiceDiscovery:ListServices',
        'ServiceDiscovery:DeleteService',
      ],
      actions: ['servicediscovery:TagResource'],
      on: '*',
    },
  ],
  cost() {
    // An HTTP namespace and the names ECS registers in it for Service Connect are not billed by Cloud Map; the
    // proxy runs in each task's own CPU and memory (https://aws.amazon.com/cloud-map/pricing/).
    return [{ component: 'Service Connect (Cloud Map namespace)', size: 'HTTP namespace; the proxy shares each task', monthly: 0 }];
  },
  load: async () => (await import('./apply.js')).serviceConnect,
  loadTeardown: async () => (await import('./teardown.js')).destroyNamespace,
});
