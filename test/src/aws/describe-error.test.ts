import { describe, expect, it, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { createAwsClients } from '../../../src/aws/clients.js';
import { describeAwsError } from '../../../src/aws/describe-error.js';

// A stand-in for what moto cannot produce: throttling storms, AccessDenied and
// expired tokens. It speaks ECR's JSON protocol, so the real SDK parses real
// error responses and runs its real retry strategy.
function fakeEcr(answers: { status: number; type?: string; message?: string }[]): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = answers[Math.min(hits, answers.length - 1)]!;
      hits++;
      res.writeHead(a.status, { 'content-type': 'application/x-amz-json-1.1', ...(a.type ? { 'x-amzn-errortype': a.type } : {}) });
      res.end(JSON.stringify(a.type ? { __type: a.type, message: a.message } : { repositories: [] }));
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, url: `http://127.0.0.1:${(server.address() as any).port}`, hits: () => hits })));
}

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function call(answers: Parameters<typeof fakeEcr>[0], maxAttempts = 4) {
  const fake = await fakeEcr(answers);
  servers.push(fake.server);
  const prev = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = fake.url;
  try {
    const clients = createAwsClients({ region: 'us-east-1', maxAttempts });
    const res = await clients.ecr.send(new DescribeRepositoriesCommand({})).then(
      (v) => ({ ok: true as const, v }),
      (e) => ({ ok: false as const, e }),
    );
    return { res, hits: fake.hits() };
  } finally {
    process.env.AWS_ENDPOINT_URL = prev;
  }
}

describe('AWS errors', () => {
  it('retries throttling in the SDK until it succeeds', async () => {
    const { res, hits } = await call([
      { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
      { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
      { status: 200 },
    ]);
    expect(res.ok).toBe(true);
    expect(hits).toBe(3);
  });

  it('maps AccessDenied to the action and resource, with what to do', async () => {
    const { res, hits } = await call([
      {
        status: 400,
        type: 'AccessDeniedException',
        message:
          'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:DescribeRepositories on resource: arn:aws:ecr:us-east-1:123456789012:repository/web because no identity-based policy allows it',
      },
    ]);
    expect(hits).toBe(1); // not retried: it will not heal
    const err = describeAwsError(!res.ok && res.e, 'ecr-push');
    expect(err.message).toBe('ecr-push: access denied to ecr:DescribeRepositories on arn:aws:ecr:us-east-1:123456789012:repository/web');
    expect(err.hint).toContain('Grant ecr:DescribeRepositories');
  });

  it('names the call when AccessDenied has no detail', async () => {
    const { res } = await call([{ status: 400, type: 'AccessDeniedException', message: 'Access denied' }]);
    expect(describeAwsError(!res.ok && res.e, 'ecr-push').message).toBe('ecr-push: access denied to ecr:DescribeRepositories on the resource');
  });

  it('tells the user to re-authenticate on an expired token', async () => {
    const { res } = await call([{ status: 400, type: 'ExpiredTokenException', message: 'The security token included in the request is expired' }]);
    const err = describeAwsError(!res.ok && res.e, 'ecr-push');
    expect(err.message).toMatch(/credentials have expired/);
    expect(err.hint).toMatch(/Re-authenticate .* run the same command again/);
  });
});
