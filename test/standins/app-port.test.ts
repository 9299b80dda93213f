import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { inject, it, expect } from 'vitest';

// The sample app stands in for the load balancer's answer. Published with
// `podman run -p`, its port was podman's: held open by the container's
// conmon, and a CNI DNAT rule sending connections to the container. Once
// conmon was gone (a session's processes end; the container record and the
// rule stay), listen(0) could hand that port to a test server, which bound
// it and never saw a connection: they all went to the rule's container (seen
// as ECONNREFUSED from aws-faults' own proxy and from pgvector.tls' own
// Postgres). On the host's network, the port is held by the app serving it,
// and freed only when it stops.
it('the sample app holds its port itself on the host, so no test server can be handed it', async () => {
  const port = Number(new URL(inject('standins').env.DEPLOY_WIZARD_HEALTH_URL).port);
  expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  const holders = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  expect(holders).toContain('"busybox"');
  expect(holders).not.toContain('conmon');
  const code = await new Promise<string>((resolve) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve('bound')));
  });
  expect(code).toBe('EADDRINUSE');
});
