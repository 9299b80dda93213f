import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportCertificateCommand } from '@aws-sdk/client-acm';
import { UploadServerCertificateCommand } from '@aws-sdk/client-iam';
import { httpProbe } from '../../src/probe.js';
import { nameToProbe, probeTargets, routedPath } from '../../steps/first-boot/apply.js';
import { stepContext } from '../helpers/step-context.js';

/** A private CA and a certificate it signed for app.example.com (and www.), made with openssl. */
function pki() {
  const dir = mkdtempSync(join(tmpdir(), 'dw-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=app.example.com', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:app.example.com,DNS:www.example.com\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key') };
}

describe('first-boot with a certificate', () => {
  it('probes the name the certificate covers through the load balancer address, verifying it; a name it does not cover fails, never silently skipped', async () => {
    const { ca, cert, key } = pki();
    const hosts: string[] = [];
    const server = createServer({ cert, key }, (req, res) => {
      hosts.push(String(req.headers.host));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const lb = `127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const signal = new AbortController().signal;
      const ok = await httpProbe('https://app.example.com/health', signal, { connectTo: lb, ca });
      expect(ok).toEqual({ status: 200, body: '{"status":"ok"}' });
      expect(hosts).toEqual(['app.example.com']);
      await expect(httpProbe('https://api.other.com/health', signal, { connectTo: lb, ca })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      // Without the private CA the chain is not trusted: the probe fails rather than skipping verification.
      await expect(httpProbe('https://app.example.com/health', signal, { connectTo: lb })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    } finally {
      server.close();
    }
  });

  it('finds the name in an ACM certificate and in an IAM server certificate, and says it probes through the load balancer', async () => {
    const { cert, key, ca } = pki();
    const svc = { url: 'https://my-lb-123.us-east-1.elb.amazonaws.com', dnsName: 'my-lb-123.us-east-1.elb.amazonaws.com' };
    const { ctx } = stepContext({});
    const acmArn = (
      await ctx.aws.acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert), PrivateKey: Buffer.from(key), CertificateChain: Buffer.from(ca) }))
    ).CertificateArn!;
    ctx.config.loadBalancer = { idleTimeoutSeconds: 60, certificateArn: acmArn };
    expect(await probeTargets(ctx, svc)).toEqual([
      {
        service: 'web',
        url: 'https://app.example.com/health',
        connectTo: svc.dnsName,
        label: `https://app.example.com/health (through ${svc.dnsName})`,
      },
    ]);

    const iamArn = (
      await ctx.aws.iam.send(new UploadServerCertificateCommand({ ServerCertificateName: `dw-${Date.now()}`, CertificateBody: cert, PrivateKey: key }))
    ).ServerCertificateMetadata!.Arn!;
    const second = stepContext({ loadBalancer: { certificateArn: iamArn } }).ctx;
    expect((await probeTargets(second, svc))[0]!.url).toBe('https://app.example.com/health');

    const explicit = stepContext({ loadBalancer: { certificateArn: iamArn }, validation: { url: 'https://status.example.com/up' } }).ctx;
    expect(await probeTargets(explicit, svc)).toEqual([{ service: 'web', url: 'https://status.example.com/up', label: 'https://status.example.com/up' }]);
  });

  it('with a domain, probes https://<domain><path> through the CDN when there is a site, else through the load balancer', async () => {
    const svc = { url: 'https://my-lb-123.eu-west-1.elb.amazonaws.com', dnsName: 'my-lb-123.eu-west-1.elb.amazonaws.com' };
    const api = { services: { api: { port: 8080, cpu: 256, memory: 512, routes: ['/api/*'], healthCheckPath: '/health' } }, service: undefined };
    const onLb = stepContext({ domain: { name: 'app.example.com', zone: 'example.com' } }).ctx;
    expect(await probeTargets(onLb, svc)).toEqual([
      { service: 'web', url: 'https://app.example.com/health', connectTo: svc.dnsName, label: `https://app.example.com/health (through ${svc.dnsName})` },
    ]);
    const { ctx: onCdn } = stepContext({ ...api, domain: { name: 'app.example.com', zone: 'example.com' }, site: { dir: 'dist' } });
    onCdn.output = ((id: string) => (id === 'site' ? { domainName: 'd111.cloudfront.net' } : undefined)) as never;
    expect(await probeTargets(onCdn, svc)).toEqual([
      {
        service: 'api',
        url: 'https://app.example.com/api/health',
        connectTo: 'd111.cloudfront.net',
        label: 'https://app.example.com/api/health (through d111.cloudfront.net)',
      },
    ]);
  });

  it('probes each web service at a path its routes send to it', () => {
    const web = { routes: ['/api/*', '/health'], healthCheckPath: '/health' };
    expect(routedPath(web as never)).toBe('/health');
    expect(routedPath({ routes: ['/ai/*'], healthCheckPath: '/health' } as never)).toBe('/ai/health');
    expect(routedPath({ routes: ['/admin'], healthCheckPath: '/up' } as never)).toBe('/admin/up');
    expect(routedPath({ routes: ['/*'], healthCheckPath: '/up' } as never)).toBe('/up');
  });

  it('picks a concrete name under a wildcard', () => {
    expect(nameToProbe(['*.example.com', 'example.com'])).toBe('example.com');
    expect(nameToProbe(['*.example.com'])).toBe('www.example.com');
    expect(nameToProbe([])).toBeUndefined();
  });
});
