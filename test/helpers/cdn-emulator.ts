import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFrontClient, GetDistributionConfigCommand, GetFunctionCommand, type DistributionConfig } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runViewerRequest } from './cloudfront-functions.js';

/**
 * A stand-in for CloudFront's request path, reading the distribution's
 * configuration from moto and the objects from moto's S3: the first cache
 * behavior whose pattern matches picks the origin, `/` serves the default
 * root object, and a missing object (S3 answers 403 when the policy grants
 * only GetObject) goes through the custom error responses. What it serves is
 * what a browser would get, so a wrong Content-Type or a broken SPA fallback
 * fails a test. Requests for the app origin answer what `app` says (by
 * default 200 `app:<path>`), and go through the custom error responses too,
 * as on CloudFront, where they apply to every origin. A viewer-request
 * function on the default behavior runs first, with its LIVE code (the
 * Functions stand-in in test/helpers/cloudfront-functions.ts keeps both).
 */
export async function serveDistribution(
  distributionId: string,
  bucket: string,
  region: string,
  app: (path: string) => { status: number; body: string } = (path) => ({ status: 200, body: `app:${path}` }),
): Promise<{ url: string; close: () => Promise<void> }> {
  const cloudfront = new CloudFrontClient({ region: 'us-east-1' });
  const cfg = (await cloudfront.send(new GetDistributionConfigCommand({ Id: distributionId }))).DistributionConfig!;
  const fnArn = cfg.DefaultCacheBehavior?.FunctionAssociations?.Items?.find((f) => f.EventType === 'viewer-request')?.FunctionARN;
  const fnCode = fnArn
    ? Buffer.from((await cloudfront.send(new GetFunctionCommand({ Name: fnArn.split('/').pop()!, Stage: 'LIVE' }))).FunctionCode!).toString('utf8')
    : undefined;
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
      const answer = app(path);
      const page = answer.status >= 400 ? await errorPage(cfg, answer.status, get) : undefined;
      if (page) res.writeHead(page.status, page.type ? { 'content-type': page.type } : {}).end(page.body);
      else res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
      return;
    }
    let uri = path;
    if (fnCode) {
      const out = await runViewerRequest(fnCode, { method: req.method!, uri, querystring: {}, headers: {}, cookies: {} });
      if ('statusCode' in out) return void res.writeHead(out.statusCode).end();
      uri = out.uri;
    }
    let hit = await get(uri === '/' ? cfg.DefaultRootObject! : uri.slice(1));
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
