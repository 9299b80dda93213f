import { inject, onTestFinished } from 'vitest';
import { startAwsProxy } from './aws-proxy.js';

/**
 * A proxy in front of moto that answers the calls moto does not implement as
 * AWS does (DeleteCacheSubnetGroup), and records every call. Closed when the
 * test ends. Pass `env` to runCli.
 */
export async function motoWithGapsFilled() {
  const proxy = await startAwsProxy(inject('standins').env.AWS_ENDPOINT_URL!, (r) =>
    r.action === 'DeleteCacheSubnetGroup'
      ? { reply: '<DeleteCacheSubnetGroupResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteCacheSubnetGroupResponse>' }
      : 'pass',
  );
  onTestFinished(() => proxy.close());
  return { seen: proxy.seen, env: { AWS_ENDPOINT_URL: proxy.url } };
}
