import { createServer } from 'node:net';
import { inject, it, expect } from 'vitest';

// The sample app stands in for the load balancer's answer. Published with
// `podman run -p`, its port was a CNI DNAT rule that did not hold the port:
// a test server later given that port by listen(0) bound it, and every
// connection to it went to the container instead (seen in CI as
// ECONNREFUSED from a test's own AWS proxy and "server closed the connection"
// from its own Postgres). On the host's network the app holds its port.
it('the sample app holds its port on the host, so no test server can be handed it', async () => {
  const port = Number(new URL(inject('standins').env.DEPLOY_WIZARD_HEALTH_URL).port);
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  expect(res.status).toBe(200);
  const code = await new Promise<string>((resolve) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve('bound')));
  });
  expect(code).toBe('EADDRINUSE');
});
