import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFrontClient, GetDistributionConfigCommand, type DistributionConfig } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * A stand-in for CloudFront's request path, reading the distribution's
 * configuration from moto and the objects from moto's S3: the first cache
 * behavior whose pattern matches picks the origin, `/` serves the default
 * root object, and a missing object (S3 answers 403 when the policy grants
 * only GetObject) goes through the custom error responses. What it serves is
 * what a browser would get, so a wrong Content-Type or a broken SPA fallback
 * fails a test. Requests for the app origin answer `app:<path>`.
 */
export async function serveDistribution(distributionId: string, bucket: string, region: string): Promise<{ url: string; close: () => Promise<void> }> {
  const cfg = (await new CloudFrontClient({ region: 'us-east-1' }).send(new GetDistributionConfigCommand({ Id: distributionId }))).DistributionConfig!;
  const s3 = new S3Client({ region, forcePathStyle: true });
  const get = async (key: string): Promise<Served | undefined> => {
    try {
      const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { status: 200, type: o.ContentType, cache: o.CacheControl, body: await o.Body!.transformToString() };
    } catch {
      return undefined;
    }
  };
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    const behavior = (cfg.CacheBehaviors?.Items ?? []).find((b) => globMatch(b.PathPattern!, path));
    if (behavior && behavior.TargetOriginId !== cfg.DefaultCacheBehavior!.TargetOriginId) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`app:${path}`);
      return;
    }
    let hit = await get(path === '/' ? cfg.DefaultRootObject! : path.slice(1));
    if (!hit) hit = await errorPage(cfg, 403, get);
    if (!hit) {
      res.writeHead(403).end('AccessDenied');
      return;
    }
    res.writeHead(hit.status, { ...(hit.type ? { 'content-type': hit.type } : {}), ...(hit.cache ? { 'cache-control': hit.cache } : {}) }).end(hit.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

interface Served {
  status: number;
  type?: string;
  cache?: string;
  body: string;
}

async function errorPage(cfg: DistributionConfig, code: number, get: (k: string) => Promise<Served | undefined>): Promise<Served | undefined> {
  const rule = cfg.CustomErrorResponses?.Items?.find((e) => e.ErrorCode === code);
  if (!rule?.ResponsePagePath) return undefined;
  const page = await get(rule.ResponsePagePath.slice(1));
  return page && { ...page, status: Number(rule.ResponseCode) };
}

/** CloudFront path patterns: `*` any run of characters (slashes included), `?` one character. */
export const globMatch = (pattern: string, path: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(path);
