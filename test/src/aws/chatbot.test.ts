import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { ChatbotClient, chatbotRegion } from '../../../src/aws/chatbot.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A local endpoint answering each request with the next of `answers`, recording what it got. */
async function endpoint(answers: { status: number; headers?: Record<string, string>; body?: unknown }[]) {
  const seen: { req: IncomingMessage; body: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ req, body });
      const a = answers.shift()!;
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as { port: number }).port}`, seen };
}

const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });

describe('the Chatbot REST client', () => {
  it('POSTs JSON to the operation path, signed for chatbot in its region with the session token, and reports the call', async () => {
    const ep = await endpoint([{ status: 200, body: { SlackWorkspaces: [{ SlackTeamId: 'T1', SlackTeamName: 'a' }] } }]);
    const calls: string[] = [];
    const c = new ChatbotClient({ region: 'us-east-2', credentials, endpoint: ep.url, onCall: (x) => calls.push(`${x.service}:${x.command}:${x.ok}`) });
    expect(await c.send('DescribeSlackWorkspaces', { MaxResults: 10 })).toEqual({ SlackWorkspaces: [{ SlackTeamId: 'T1', SlackTeamName: 'a' }] });
    const { req, body } = ep.seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/describe-slack-workspaces');
    expect(JSON.parse(body)).toEqual({ MaxResults: 10 });
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-2\/chatbot\/aws4_request, SignedHeaders=[^,]*host/);
    expect(req.headers['x-amz-security-token']).toBe('token');
    expect(calls).toEqual(['Chatbot:DescribeSlackWorkspaces:true']);
  });

  it('retries a 5xx or throttling answer; an error AWS sends is raised by its code, with the call named, and not retried', async () => {
    const ep = await endpoint([
      { status: 503, body: { message: 'busy' } },
      { status: 429, headers: { 'x-amzn-errortype': 'TooManyRequestsException' }, body: { message: 'slow down' } },
      { status: 201, body: { ChannelConfiguration: { ChatConfigurationArn: 'arn:x' } } },
      { status: 409, headers: { 'x-amzn-errortype': 'ConflictException:http://internal.amazon.com/coral/' }, body: { message: 'name taken' } },
    ]);
    const c = new ChatbotClient({ region: 'eu-west-1', credentials, endpoint: ep.url });
    const input = { ConfigurationName: 'a', SlackTeamId: 'T1', SlackChannelId: 'C1', IamRoleArn: 'arn:r', SnsTopicArns: [] };
    expect((await c.send('CreateSlackChannelConfiguration', input)).ChannelConfiguration?.ChatConfigurationArn).toBe('arn:x');
    expect(ep.seen.length).toBe(3);
    const e = await c.send('CreateSlackChannelConfiguration', input).catch((x) => x);
    expect(e).toMatchObject({ name: 'ConflictException', message: 'name taken', $service: 'Chatbot', $command: 'CreateSlackChannelConfiguration' });
    expect(e.$metadata.httpStatusCode).toBe(409);
    expect(ep.seen.length).toBe(4);
  });

  it('answers from the app region where Chatbot has an API, else from us-east-2', () => {
    expect(chatbotRegion('eu-west-1')).toBe('eu-west-1');
    expect(chatbotRegion('us-east-1')).toBe('us-east-2');
    expect(chatbotRegion('ap-northeast-1')).toBe('us-east-2');
  });
});
