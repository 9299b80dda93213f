import { createHash, createHmac } from 'node:crypto';
import type { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

// AWS Chatbot (now "Amazon Q Developer in chat applications") over its REST
// API, signed with SigV4. The registry's only @aws-sdk/client-chatbot is
// 3.670.0, hundreds of releases behind the other clients, so bundling it
// would bring a second copy of the SDK's core; the five calls the wizard
// makes are small JSON POSTs, written here as the API reference gives them
// (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_Operations.html).

/** Regions with a Chatbot API endpoint (https://docs.aws.amazon.com/general/latest/gr/chatbot.html). */
export const CHATBOT_REGIONS = ['us-east-2', 'us-west-2', 'eu-west-1', 'ap-southeast-1'] as const;

/** The app's region when Chatbot answers there, else US East (Ohio), where its console lives. A configuration may take topics of any region. */
export const chatbotRegion = (region: string): string => ((CHATBOT_REGIONS as readonly string[]).includes(region) ? region : 'us-east-2');

export interface SlackChannelConfiguration {
  ChatConfigurationArn: string;
  ConfigurationName?: string;
  IamRoleArn: string;
  SlackChannelId: string;
  SlackChannelName?: string;
  SlackTeamId: string;
  SlackTeamName?: string;
  SnsTopicArns: string[];
  GuardrailPolicyArns?: string[];
  LoggingLevel?: string;
  UserAuthorizationRequired?: boolean;
  Tags?: { TagKey: string; TagValue: string }[];
  State?: string;
}

/** What each operation takes and answers (the fields the wizard uses). */
export interface ChatbotOperations {
  DescribeSlackWorkspaces: {
    in: { MaxResults?: number; NextToken?: string };
    out: { SlackWorkspaces?: { SlackTeamId: string; SlackTeamName: string }[]; NextToken?: string };
  };
  DescribeSlackChannelConfigurations: {
    in: { ChatConfigurationArn?: string; MaxResults?: number; NextToken?: string };
    out: { SlackChannelConfigurations?: SlackChannelConfiguration[]; NextToken?: string };
  };
  CreateSlackChannelConfiguration: {
    in: Omit<SlackChannelConfiguration, 'ChatConfigurationArn' | 'SlackTeamName' | 'State'> & { ConfigurationName: string };
    out: { ChannelConfiguration?: SlackChannelConfiguration };
  };
  UpdateSlackChannelConfiguration: {
    in: Omit<SlackChannelConfiguration, 'ConfigurationName' | 'SlackTeamId' | 'SlackTeamName' | 'Tags' | 'State'>;
    out: { ChannelConfiguration?: SlackChannelConfiguration };
  };
  DeleteSlackChannelConfiguration: { in: { ChatConfigurationArn: string }; out: Record<string, never> };
}
export type ChatbotOperation = keyof ChatbotOperations;

/** An error as the SDK would raise it: `name` is AWS's error code, `$metadata.httpStatusCode` the status. */
export class ChatbotError extends Error {
  $metadata: { httpStatusCode?: number };
  $retryable?: object;
  constructor(name: string, message: string, status?: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
    if (status === undefined || status >= 500 || status === 429) this.$retryable = {};
  }
}

// The SHA-256 the signer needs (what @smithy/hash-node does, without the package).
type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data) =>
  typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);
class Sha256 {
  private h;
  constructor(secret?: Data) {
    this.h = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(d: Data) {
    this.h.update(bytes(d));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

/** /create-slack-channel-configuration for CreateSlackChannelConfiguration. */
const pathOf = (op: string) => '/' + op.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

export interface ChatbotClientOptions {
  region: string;
  credentials: () => Promise<AwsCredentialIdentity>;
  /** The SDK's own convention: AWS_ENDPOINT_URL_CHATBOT, else AWS_ENDPOINT_URL (an emulator). */
  endpoint?: string;
  maxAttempts?: number;
  requestTimeoutMs?: number;
  /** clients.ts's CallHook (declared there; repeated here so the two modules do not import each other). */
  onCall?: (call: { service: string; command: string; ok: boolean; input: unknown }) => void;
  signal?: AbortSignal;
}

export class ChatbotClient {
  readonly region: string;
  private signer?: SignatureV4;
  constructor(private opts: ChatbotClientOptions) {
    this.region = opts.region;
  }

  /** Loaded on the first call: most runs never make one, and startup stays as light as --help needs. */
  private async sign(...args: Parameters<SignatureV4['sign']>) {
    if (!this.signer) {
      const { SignatureV4 } = await import('@smithy/signature-v4');
      this.signer = new SignatureV4({ service: 'chatbot', region: this.opts.region, credentials: this.opts.credentials, sha256: Sha256 });
    }
    return this.signer.sign(...args);
  }

  async send<Op extends ChatbotOperation>(op: Op, input: ChatbotOperations[Op]['in']): Promise<ChatbotOperations[Op]['out']> {
    const attempts = this.opts.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        const out = (await this.once(op, input)) as ChatbotOperations[Op]['out'];
        this.opts.onCall?.({ service: 'Chatbot', command: op, ok: true, input });
        return out;
      } catch (e) {
        const retry = e instanceof ChatbotError && e.$retryable && attempt < attempts && !this.opts.signal?.aborted;
        if (!retry) {
          if (e && typeof e === 'object') Object.assign(e, { $service: 'Chatbot', $command: op });
          this.opts.onCall?.({ service: 'Chatbot', command: op, ok: false, input });
          throw e;
        }
        // Backoff with jitter, as the SDK's standard retry mode: up to 20 s.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(20_000, 100 * 2 ** attempt)));
      }
    }
  }

  private async once(op: ChatbotOperation, input: object): Promise<unknown> {
    const url = new URL(this.opts.endpoint ?? `https://chatbot.${this.region}.amazonaws.com`);
    const body = JSON.stringify(input);
    const signed = await this.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname.replace(/\/$/, '') + pathOf(op),
      query: {},
      headers: { 'content-type': 'application/json', host: url.host },
      body,
    });
    let res: Response;
    try {
      res = await fetch(`${url.origin}${signed.path}`, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.requestTimeoutMs ?? 60_000), ...(this.opts.signal ? [this.opts.signal] : [])]),
      });
    } catch (e) {
      if (this.opts.signal?.aborted) throw e;
      throw new ChatbotError('NetworkingError', `no answer from ${url.host}: ${(e as Error).message}`);
    }
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (res.ok) return parsed;
    // REST-JSON errors: the code in x-amzn-ErrorType (before any ":"), or in the body's __type or code.
    const code = (res.headers.get('x-amzn-errortype') ?? String(parsed.__type ?? parsed.code ?? 'UnknownError')).split(':')[0]!.split('#').pop()!;
    throw new ChatbotError(code, String(parsed.message ?? parsed.Message ?? `HTTP ${res.status}`), res.status);
  }
}
