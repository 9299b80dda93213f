import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { startAwsProxy, type AwsRequest, type Verdict } from './aws-proxy.js';

/**
 * A stand-in for AWS Chatbot, which moto lacks, in front of moto. Each call is answered as the AWS Chatbot API
 * reference documents it (https://docs.aws.amazon.com/chatbot/latest/APIReference/):
 * - the API answers only in us-east-2, us-west-2, eu-west-1 and ap-southeast-1 (the SigV4 scope says where the
 *   request was signed for; any other region is refused);
 * - DescribeSlackWorkspaces lists the workspaces authorised in the console (`authorised`);
 * - CreateSlackChannelConfiguration answers 201, refuses a name already taken (ConflictException, 409) and a
 *   workspace not authorised (InvalidParameterException), and subscribes Chatbot's HTTPS endpoint to each topic,
 *   as Chatbot does; UpdateSlackChannelConfiguration re-subscribes for the new topic list; Delete answers 204 and
 *   unsubscribes; an unknown ARN is ResourceNotFoundException (404).
 * Anything not for Chatbot is undefined: the caller's proxy sends it on to moto. The global proxy of the test run
 * answers Chatbot with the workspace of the examples authorised (test/helpers/global-setup.ts).
 */
export function chatbotStandin(upstream: string, o: { authorised?: { id: string; name: string }[] } = {}) {
  const configs = new Map<string, Record<string, any>>();
  const subscriptions = new Map<string, string[]>();
  const calls: AwsRequest[] = [];
  const regions: string[] = [];
  const sns = (region: string) => new SNSClient({ region, endpoint: upstream });
  const json = (status: number, body?: unknown) => ({
    respond: { status, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) },
  });
  const fail = (status: number, code: string, message: string) => ({
    respond: { status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': code }, body: JSON.stringify({ message }) },
  });
  // Chatbot subscribes its own endpoint to each topic of a configuration.
  const subscribe = async (arn: string, topics: string[]) => {
    for (const s of subscriptions.get(arn) ?? []) await sns(s.split(':')[3]!).send(new UnsubscribeCommand({ SubscriptionArn: s }));
    const made: string[] = [];
    for (const t of topics)
      made.push(
        (await sns(t.split(':')[3]!).send(new SubscribeCommand({ TopicArn: t, Protocol: 'https', Endpoint: 'https://global.sns-api.chatbot.amazonaws.com' })))
          .SubscriptionArn!,
      );
    subscriptions.set(arn, made);
  };
  const decide = (r: AwsRequest): Verdict | Promise<Verdict> | undefined => {
    if (r.service !== 'chatbot') return undefined;
    calls.push(r);
    const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(String(r.headers.authorization))?.[1] ?? '';
    regions.push(region);
    if (!['us-east-2', 'us-west-2', 'eu-west-1', 'ap-southeast-1'].includes(region))
      return fail(400, 'UnrecognizedClientException', `AWS Chatbot has no endpoint in ${region}`);
    const q = JSON.parse(r.body || '{}');
    const path = r.url.split('?')[0];
    switch (path) {
      case '/describe-slack-workspaces':
        return json(200, { SlackWorkspaces: (o.authorised ?? []).map((w) => ({ SlackTeamId: w.id, SlackTeamName: w.name })) });
      case '/describe-slack-channel-configurations':
        return json(200, {
          SlackChannelConfigurations: [...configs.values()].filter((c) => !q.ChatConfigurationArn || c.ChatConfigurationArn === q.ChatConfigurationArn),
        });
      case '/create-slack-channel-configuration': {
        if ([...configs.values()].some((c) => c.ConfigurationName === q.ConfigurationName))
          return fail(409, 'ConflictException', `A configuration named ${q.ConfigurationName} already exists`);
        const team = (o.authorised ?? []).find((w) => w.id === q.SlackTeamId);
        if (!team) return fail(400, 'InvalidParameterException', `Slack workspace ${q.SlackTeamId} is not authorized`);
        const arn = `arn:aws:chatbot::123456789012:chat-configuration/slack-channel/${q.ConfigurationName}`;
        const c = { ...q, ChatConfigurationArn: arn, SlackTeamName: team.name, SnsTopicArns: q.SnsTopicArns ?? [], State: 'ENABLED' };
        configs.set(arn, c);
        return subscribe(arn, c.SnsTopicArns).then(() => json(201, { ChannelConfiguration: c }));
      }
      case '/update-slack-channel-configuration': {
        const c = configs.get(q.ChatConfigurationArn);
        if (!c) return fail(404, 'ResourceNotFoundException', 'No such configuration');
        Object.assign(c, q);
        return subscribe(c.ChatConfigurationArn, c.SnsTopicArns).then(() => json(200, { ChannelConfiguration: c }));
      }
      case '/delete-slack-channel-configuration': {
        if (!configs.delete(q.ChatConfigurationArn)) return fail(404, 'ResourceNotFoundException', 'No such configuration');
        return subscribe(q.ChatConfigurationArn, []).then(() => json(204));
      }
      default:
        return fail(404, 'UnknownOperationException', `no operation at ${path}`);
    }
  };
  return { decide, configs, calls, regions, subscriptions };
}

/** The stand-in on a proxy of its own, in front of `upstream`, for a test that looks into its state. */
export async function startChatbot(upstream: string, o: { authorised?: { id: string; name: string }[] } = {}) {
  const stand = chatbotStandin(upstream, o);
  const proxy = await startAwsProxy(upstream, (r) => stand.decide(r) ?? 'pass');
  return { ...proxy, ...stand };
}

/** The workspace the examples post their alarms to (fixtures/examples/whole-apps/espejo.json). */
export const EXAMPLE_WORKSPACE = { id: 'T0123ABCD', name: 'example' };
