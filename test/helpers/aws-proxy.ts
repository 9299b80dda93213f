import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One AWS request as the proxy sees it: service from the SigV4 scope, the API action, and the raw body. */
export interface AwsRequest {
  service: string;
  action: string;
  body: string;
  /** 0-based count of requests seen so far. */
  n: number;
  method: string;
  /** The path and query string. */
  url: string;
  headers: IncomingMessage['headers'];
}

/**
 * What to do with a request: forward it, hang forever, drop the connection,
 * answer with an AWS error, or answer with a canned success body (for an
 * API the emulator does not implement).
 */
export type Verdict =
  | 'pass'
  | 'hang'
  | 'reset'
  /** Forwarded, so it takes effect, then the connection dropped: an answer lost on the way back. */
  | 'lose-answer'
  | { error: string; message: string; status?: number }
  | { reply: string }
  | { delayMs: number }
  /** Forwarded, with these headers of the answer replaced (a proxy in the way that adds its own). */
  | { responseHeaders: Record<string, string> }
  /** Answered here in full: a stand-in for an API the emulator lacks (REST APIs need their own status and headers). */
  | { respond: { status: number; headers?: Record<string, string>; body?: string } }
  /** Forwarded, and the answer's body rewritten: a stand-in for a field the emulator drops. */
  | { rewrite: (status: number, body: string) => string };

function serviceOf(req: IncomingMessage): string {
  const m = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
  return m?.[1] ?? 'unknown';
}

function actionOf(req: IncomingMessage, body: string): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop()!;
  const m = /(?:^|&)Action=([A-Za-z]+)/.exec(body);
  if (m) return m[1]!;
  return `${req.method} ${req.url?.split('?')[0]}`;
}

/** An error in the wire format of the request's protocol, so the SDK parses its code as it would AWS's. */
function errorResponse(req: IncomingMessage, service: string, v: { error: string; message: string; status?: number }, res: ServerResponse) {
  const status = v.status ?? 400;
  if (req.headers['x-amz-target']) {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': v.error });
    return res.end(JSON.stringify({ __type: v.error, message: v.message }));
  }
  res.writeHead(status, { 'content-type': 'text/xml' });
  if (service === 'ec2')
    return res.end(`<Response><Errors><Error><Code>${v.error}</Code><Message>${v.message}</Message></Error></Errors><RequestID>r</RequestID></Response>`);
  if (service === 's3') return res.end(`<Error><Code>${v.error}</Code><Message>${v.message}</Message><RequestId>r</RequestId></Error>`);
  return res.end(
    `<ErrorResponse><Error><Type>Sender</Type><Code>${v.error}</Code><Message>${v.message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
  );
}

/** The throttling code each protocol family uses on AWS. */
export function throttlingFor(r: AwsRequest): { error: string; message: string; status: number } {
  if (r.service === 'ec2') return { error: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 };
  if (r.service === 's3') return { error: 'SlowDown', message: 'Please reduce your request rate.', status: 503 };
  if (['ecs', 'ecr', 'secretsmanager', 'cognito-idp', 'logs'].includes(r.service))
    return { error: 'ThrottlingException', message: 'Rate exceeded', status: 400 };
  return { error: 'Throttling', message: 'Rate exceeded', status: 400 };
}

/**
 * A proxy in front of moto that can throttle, fail, hang or drop any request:
 * the faults no emulator produces on its own. Every request is recorded.
 */
export async function startAwsProxy(target: string, decide: (r: AwsRequest) => Verdict | Promise<Verdict> = () => 'pass', opts: { record?: boolean } = {}) {
  const seen: AwsRequest[] = [];
  let count = 0;
  const sockets = new Set<Socket>();
  const hung: ServerResponse[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const service = serviceOf(req);
      const r: AwsRequest = {
        service,
        action: actionOf(req, raw.toString('utf8')),
        body: raw.toString('utf8'),
        n: count++,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
      };
      if (opts.record !== false) seen.push(r);
      const act = (v: Verdict) => {
        if (v === 'hang') return void hung.push(res);
        if (v === 'reset') return void req.socket.destroy();
        if (v === 'lose-answer') return forward(raw, {}, true);
        if (typeof v === 'object' && 'reply' in v) {
          res.writeHead(200, { 'content-type': 'text/xml' });
          return void res.end(v.reply);
        }
        if (typeof v === 'object' && 'delayMs' in v) return void setTimeout(() => forward(raw), v.delayMs);
        if (typeof v === 'object' && 'responseHeaders' in v) return forward(raw, v.responseHeaders);
        if (typeof v === 'object' && 'respond' in v) {
          res.writeHead(v.respond.status, v.respond.headers ?? {});
          return void res.end(v.respond.body ?? '');
        }
        if (typeof v === 'object' && 'rewrite' in v) return forward(raw, {}, false, v.rewrite);
        if (v !== 'pass') return errorResponse(req, service, v, res);
        forward(raw);
      };
      // A stand-in may answer after calls of its own (to moto): then the verdict comes later.
      const d = decide(r);
      if (d instanceof Promise) return void d.then(act, () => req.socket.destroy());
      act(d);
    });
    const forward = (raw: Buffer, extra: Record<string, string> = {}, lose = false, rewrite?: (status: number, body: string) => string) => {
      const fwd = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        if (lose) {
          up.resume();
          return void up.on('end', () => req.socket.destroy());
        }
        if (rewrite) {
          const parts: Buffer[] = [];
          up.on('data', (c: Buffer) => parts.push(c));
          return void up.on('end', () => {
            const body = Buffer.from(rewrite(up.statusCode ?? 502, Buffer.concat(parts).toString('utf8')));
            const headers = { ...up.headers, 'content-length': String(body.length) };
            delete headers['transfer-encoding'];
            res.writeHead(up.statusCode ?? 502, headers);
            res.end(body);
          });
        }
        res.writeHead(up.statusCode ?? 502, { ...up.headers, ...extra });
        up.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      fwd.end(raw);
    };
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    seen,
    decide: (d: (r: AwsRequest) => Verdict) => {
      decide = d;
    },
    close: async () => {
      for (const res of hung) res.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
