import { randomBytes } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import type { AwsRequest, Verdict } from './aws-proxy.js';

// moto has no CloudFront Functions and drops a cache behavior's FunctionAssociations. This stand-in answers the
// Functions API as the CloudFront API reference describes it (2020-05-31: CreateFunction, DescribeFunction,
// GetFunction, UpdateFunction, PublishFunction, DeleteFunction), and keeps the default cache behavior's function
// associations that moto drops, answering them back on GetDistribution(Config):
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateFunction.html
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublishFunction.html
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DeleteFunction.html
// Behaviour kept from AWS: a function is created in DEVELOPMENT and only its LIVE copy can be associated
// (InvalidFunctionAssociation otherwise); every change names the current ETag (If-Match, PreconditionFailed on a
// stale one); UpdateFunction answers its ETag in the `ETtag` header, as AWS does; a function a distribution uses
// cannot be deleted (FunctionInUse). Only the default cache behavior's associations are kept: that is the one the
// wizard uses.

const NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
const ACCOUNT = '123456789012';

interface Copy {
  code: string;
  comment: string;
  runtime: string;
  etag: string;
  modified: string;
}
interface Fn {
  name: string;
  created: string;
  dev: Copy;
  live?: Copy;
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const field = (xml: string, name: string) => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? unescape(m[1]!) : undefined;
};
const etag = () => `E${randomBytes(6).toString('hex').toUpperCase()}`;
const arnOf = (name: string) => `arn:aws:cloudfront::${ACCOUNT}:function/${name}`;

function error(status: number, code: string, message: string): Verdict {
  return { error: code, message, status };
}

function summary(f: Fn, stage: 'DEVELOPMENT' | 'LIVE'): string {
  const c = stage === 'LIVE' ? f.live! : f.dev;
  const status = f.live ? 'DEPLOYED' : 'UNPUBLISHED';
  return (
    `<?xml version="1.0" encoding="UTF-8"?><FunctionSummary xmlns="${NS}"><Name>${f.name}</Name><Status>${status}</Status>` +
    `<FunctionConfig><Comment>${escape(c.comment)}</Comment><Runtime>${c.runtime}</Runtime></FunctionConfig>` +
    `<FunctionMetadata><FunctionARN>${arnOf(f.name)}</FunctionARN><Stage>${stage}</Stage><CreatedTime>${f.created}</CreatedTime>` +
    `<LastModifiedTime>${c.modified}</LastModifiedTime></FunctionMetadata></FunctionSummary>`
  );
}

const DEFAULT_BEHAVIOR = /<DefaultCacheBehavior>([\s\S]*?)<\/DefaultCacheBehavior>/;
const ASSOCIATIONS = /<FunctionAssociations>[\s\S]*?<\/FunctionAssociations>/;

/** The gap filler: a `decide` for startAwsProxy. */
export function cloudFrontFunctions(): (r: AwsRequest) => Verdict | undefined {
  const functions = new Map<string, Fn>();
  /** Distribution id → its default cache behavior's FunctionAssociations element, as last written. */
  const associations = new Map<string, string>();

  const associated = (xml: string) => [...xml.matchAll(/<FunctionARN>([^<]+)<\/FunctionARN>/g)].map((m) => m[1]!);
  const requested = (body: string) =>
    ASSOCIATIONS.exec(DEFAULT_BEHAVIOR.exec(body)?.[1] ?? '')?.[0] ?? '<FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>';
  const badAssociation = (fragment: string): Verdict | undefined => {
    for (const arn of associated(fragment)) {
      const f = functions.get(arn.split('/').pop()!);
      if (!f?.live || arnOf(f.name) !== arn)
        return error(400, 'InvalidFunctionAssociation', `The function ARN ${arn} is not valid: the function does not exist or is not published.`);
    }
    return undefined;
  };
  /** Puts what we keep back into a distribution (config) answer from moto. */
  const restore = (id: string, body: string) => {
    const keep = associations.get(id);
    if (!keep) return body;
    return body.replace(DEFAULT_BEHAVIOR, (whole, inner: string) =>
      ASSOCIATIONS.test(inner) ? whole.replace(ASSOCIATIONS, keep) : whole.replace('</DefaultCacheBehavior>', `${keep}</DefaultCacheBehavior>`),
    );
  };

  return (r) => {
    if (r.service !== 'cloudfront') return undefined;
    const url = new URL(r.url, 'http://x');
    const path = url.pathname;
    const ifMatch = typeof r.headers['if-match'] === 'string' ? r.headers['if-match'] : undefined;

    // Distributions: keep the associations moto drops.
    if (r.method === 'POST' && path === '/2020-05-31/distribution') {
      const fragment = requested(r.body);
      const bad = badAssociation(fragment);
      if (bad) return bad;
      return {
        rewrite: (status, body) => {
          const id = status < 300 ? /<Id>([^<]+)<\/Id>/.exec(body)?.[1] : undefined;
          if (!id) return body;
          associations.set(id, fragment);
          return restore(id, body);
        },
      };
    }
    const dist = /^\/2020-05-31\/distribution\/([^/]+)(\/config)?$/.exec(path);
    if (dist) {
      const id = dist[1]!;
      if (r.method === 'PUT' && dist[2]) {
        const fragment = requested(r.body);
        const bad = badAssociation(fragment);
        if (bad) return bad;
        return {
          rewrite: (status, body) => {
            if (status >= 300) return body;
            associations.set(id, fragment);
            return restore(id, body);
          },
        };
      }
      if (r.method === 'GET') return { rewrite: (status, body) => (status < 300 ? restore(id, body) : body) };
      if (r.method === 'DELETE')
        return {
          rewrite: (status, body) => {
            if (status < 300) associations.delete(id);
            return body;
          },
        };
      return undefined;
    }

    // Functions.
    if (r.method === 'POST' && path === '/2020-05-31/function') {
      const name = field(r.body, 'Name')!;
      if (functions.has(name)) return error(409, 'FunctionAlreadyExists', `A function with the name ${name} already exists.`);
      const now = new Date().toISOString();
      const f: Fn = {
        name,
        created: now,
        dev: {
          code: Buffer.from(field(r.body, 'FunctionCode') ?? '', 'base64').toString('utf8'),
          comment: field(r.body, 'Comment') ?? '',
          runtime: field(r.body, 'Runtime') ?? '',
          etag: etag(),
          modified: now,
        },
      };
      functions.set(name, f);
      return {
        respond: {
          status: 201,
          headers: { 'content-type': 'text/xml', etag: f.dev.etag, location: `https://cloudfront.amazonaws.com/2020-05-31/function/${arnOf(name)}` },
          body: summary(f, 'DEVELOPMENT'),
        },
      };
    }
    const fn = /^\/2020-05-31\/function\/([^/]+)(\/describe|\/publish)?$/.exec(path);
    if (!fn) return undefined;
    const name = decodeURIComponent(fn[1]!);
    const f = functions.get(name);
    const stage = url.searchParams.get('Stage') === 'LIVE' ? 'LIVE' : 'DEVELOPMENT';
    const missing = () => error(404, 'NoSuchFunctionExists', `The function ${name} does not exist${stage === 'LIVE' ? ' in the LIVE stage' : ''}.`);
    if (!f || (r.method === 'GET' && stage === 'LIVE' && !f.live)) return missing();
    const copy = stage === 'LIVE' ? f.live! : f.dev;
    if (r.method === 'GET' && fn[2] === '/describe')
      return { respond: { status: 200, headers: { 'content-type': 'text/xml', etag: copy.etag }, body: summary(f, stage) } };
    if (r.method === 'GET' && !fn[2])
      return { respond: { status: 200, headers: { 'content-type': 'application/octet-stream', etag: copy.etag }, body: copy.code } };
    if (!ifMatch) return error(400, 'InvalidIfMatchVersion', 'The If-Match version is missing or not valid.');
    if (ifMatch !== f.dev.etag) return error(412, 'PreconditionFailed', 'The precondition in one or more of the request fields evaluated to false.');
    if (r.method === 'POST' && fn[2] === '/publish') {
      f.live = { ...f.dev, etag: etag() };
      return { respond: { status: 200, headers: { 'content-type': 'text/xml' }, body: summary(f, 'LIVE') } };
    }
    if (r.method === 'PUT' && !fn[2]) {
      f.dev = {
        code: Buffer.from(field(r.body, 'FunctionCode') ?? '', 'base64').toString('utf8'),
        comment: field(r.body, 'Comment') ?? '',
        runtime: field(r.body, 'Runtime') ?? '',
        etag: etag(),
        modified: new Date().toISOString(),
      };
      // AWS spells this answer's header ETtag; the SDK reads it from there.
      return { respond: { status: 200, headers: { 'content-type': 'text/xml', ettag: f.dev.etag }, body: summary(f, 'DEVELOPMENT') } };
    }
    if (r.method === 'DELETE' && !fn[2]) {
      const users = [...associations].filter(([, x]) => associated(x).includes(arnOf(name))).map(([id]) => id);
      if (users.length) return error(409, 'FunctionInUse', `Cannot delete function, it's in use by distribution(s) ${users.join(', ')}.`);
      functions.delete(name);
      return { respond: { status: 204 } };
    }
    return undefined;
  };
}

/** A CloudFront Functions viewer-request event for a request (the fields the wizard's functions read). */
export interface ViewerRequest {
  method: string;
  uri: string;
  querystring: Record<string, { value: string }>;
  headers: Record<string, { value: string }>;
  cookies: Record<string, { value: string }>;
}

/**
 * Runs a function's code as the CloudFront Functions runtime does for a viewer request: `handler(event)` returns
 * the request to send on (maybe changed) or a response to answer with (it has a statusCode).
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
 */
export async function runViewerRequest(code: string, request: ViewerRequest): Promise<ViewerRequest | { statusCode: number }> {
  const event = { version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip: '127.0.0.1' }, request };
  const handler = runInNewContext(`${code}\n;handler`, {}, { timeout: 1000 }) as (e: typeof event) => unknown;
  return (await handler(event)) as ViewerRequest | { statusCode: number };
}
