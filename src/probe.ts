import { request as httpsRequest } from 'node:https';

export interface ProbeOptions {
  /**
   * host[:port] to connect to instead of the URL's host, while TLS verifies
   * and Host names the URL's host: a load balancer reached by its own DNS name
   * but serving a certificate for the app's domain.
   */
  connectTo?: string;
  /** Extra trusted CA (PEM), for tests with a private CA; never used to skip verification. */
  ca?: string;
}

/** One HTTP GET with a timeout: what first-boot asks of the app. Injectable so tests can stand in an app that never answers. */
export type Probe = (url: string, signal: AbortSignal, opts?: ProbeOptions) => Promise<{ status: number; body: string }>;

const TIMEOUT_MS = 5_000;

export const httpProbe: Probe = async (url, signal, opts = {}) => {
  if (!opts.connectTo && !opts.ca) {
    const res = await fetch(url, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
      redirect: 'manual',
      headers: { 'user-agent': 'deploy-wizard first-boot' },
    });
    const body = (await res.text()).slice(0, 64 * 1024);
    return { status: res.status, body };
  }
  const u = new URL(url);
  if (u.protocol !== 'https:') throw new Error(`probe: connectTo is for https URLs, not ${url}`);
  const [host, port] = (opts.connectTo ?? u.host).split(':');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port: Number(port || u.port || 443),
        path: `${u.pathname}${u.search}`,
        method: 'GET',
        // Verify the certificate against the app's name, whatever address we dial.
        servername: u.hostname,
        headers: { host: u.host, 'user-agent': 'deploy-wizard first-boot' },
        ...(opts.ca ? { ca: opts.ca } : {}),
        signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 64 * 1024) body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
};
