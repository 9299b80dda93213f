import { createRequire } from 'node:module';
import type { S3Client } from '@aws-sdk/client-s3';
import { ChatbotClient, chatbotRegion } from './chatbot.js';

/**
 * The SDK's client packages are loaded when a client is first built, not when
 * this module is: the EC2 package alone takes some 90 MB, and an app without
 * a database or a CDN never needs RDS's or CloudFront's. They are CommonJS,
 * so require() loads them synchronously, into the same module cache as the
 * steps' imports of their commands (one copy of each class).
 */
interface SdkPackages {
  '@aws-sdk/client-acm': typeof import('@aws-sdk/client-acm');
  '@aws-sdk/client-application-auto-scaling': typeof import('@aws-sdk/client-application-auto-scaling');
  '@aws-sdk/client-budgets': typeof import('@aws-sdk/client-budgets');
  '@aws-sdk/client-cloudfront': typeof import('@aws-sdk/client-cloudfront');
  '@aws-sdk/client-cloudwatch': typeof import('@aws-sdk/client-cloudwatch');
  '@aws-sdk/client-cloudwatch-logs': typeof import('@aws-sdk/client-cloudwatch-logs');
  '@aws-sdk/client-cognito-identity-provider': typeof import('@aws-sdk/client-cognito-identity-provider');
  '@aws-sdk/client-cost-explorer': typeof import('@aws-sdk/client-cost-explorer');
  '@aws-sdk/client-ec2': typeof import('@aws-sdk/client-ec2');
  '@aws-sdk/client-ecr': typeof import('@aws-sdk/client-ecr');
  '@aws-sdk/client-ecs': typeof import('@aws-sdk/client-ecs');
  '@aws-sdk/client-elastic-load-balancing-v2': typeof import('@aws-sdk/client-elastic-load-balancing-v2');
  '@aws-sdk/client-efs': typeof import('@aws-sdk/client-efs');
  '@aws-sdk/client-elasticache': typeof import('@aws-sdk/client-elasticache');
  '@aws-sdk/client-iam': typeof import('@aws-sdk/client-iam');
  '@aws-sdk/client-kms': typeof import('@aws-sdk/client-kms');
  '@aws-sdk/client-rds': typeof import('@aws-sdk/client-rds');
  '@aws-sdk/client-route-53': typeof import('@aws-sdk/client-route-53');
  '@aws-sdk/client-s3': typeof import('@aws-sdk/client-s3');
  '@aws-sdk/client-scheduler': typeof import('@aws-sdk/client-scheduler');
  '@aws-sdk/client-sqs': typeof import('@aws-sdk/client-sqs');
  '@aws-sdk/client-secrets-manager': typeof import('@aws-sdk/client-secrets-manager');
  '@aws-sdk/client-servicediscovery': typeof import('@aws-sdk/client-servicediscovery');
  '@aws-sdk/client-sns': typeof import('@aws-sdk/client-sns');
  '@aws-sdk/client-sts': typeof import('@aws-sdk/client-sts');
  '@aws-sdk/client-wafv2': typeof import('@aws-sdk/client-wafv2');
}
const requireSdk = createRequire(import.meta.url);
const sdk = <P extends keyof SdkPackages>(pkg: P): SdkPackages[P] => requireSdk(pkg) as SdkPackages[P];

/** Route 53, CloudFront, and ACM and WAF for CloudFront answer only here. */
export const GLOBAL_REGION = 'us-east-1';

/** Called for every AWS call, after it finishes: --verbose logging and tests that record calls. */
export type CallHook = (call: { service: string; command: string; ok: boolean; input: unknown }) => void;

export interface ClientOptions {
  region: string;
  profile?: string;
  /** Attempts per call, including the first; the SDK backs off between them (throttling included). */
  maxAttempts?: number;
  /** True when AWS_ENDPOINT_URL points at an emulator: S3 then needs path-style addressing. */
  customEndpoint?: boolean;
  onCall?: CallHook;
  /** Aborts every call in flight (Ctrl-C): a hanging request must not keep the run alive. */
  signal?: AbortSignal;
  /** Milliseconds to open a connection, and to wait for a response once sent. A hung endpoint fails (and is retried) instead of hanging. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** Defaults: AWS answers control-plane calls in well under a second; a minute of silence is a broken connection. */
export const DEFAULT_TIMEOUTS = { connectTimeoutMs: 5_000, requestTimeoutMs: 60_000 };

/**
 * The little of an SDK client this module touches: its middleware stack and
 * send. The SDK's middleware types are generic per client, so no single type
 * covers them all.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type AnyClient = { middlewareStack: { add: (mw: any, opts: any) => void }; send: (...a: any[]) => Promise<any> };

/**
 * The one place AWS clients are made. Region and profile come from the CLI;
 * credentials from the SDK's default chain; the endpoint from the SDK's own
 * AWS_ENDPOINT_URL. Clients are built on first use.
 */
export function createAwsClients(opts: ClientOptions) {
  const base = {
    region: opts.region,
    ...(opts.profile ? { profile: opts.profile } : {}),
    maxAttempts: opts.maxAttempts ?? 8,
    retryMode: 'adaptive' as const,
    requestHandler: {
      connectionTimeout: opts.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectTimeoutMs,
      requestTimeout: opts.requestTimeoutMs ?? DEFAULT_TIMEOUTS.requestTimeoutMs,
      // Without this the handler only logs a warning and the call hangs on.
      throwOnRequestTimeout: true,
    },
  };
  const cache = new Map<string, unknown>();
  // A client for another region is cached apart, but reports under the same service name.
  const lazy = <T extends AnyClient>(service: string, make: () => T, region?: string): T => {
    const key = region ? `${service}@${region}` : service;
    // The state's own calls never take the abort signal: after Ctrl-C the state must still be saved and the lock released.
    if (!cache.has(key)) cache.set(key, instrument(make(), service, opts.onCall, service === 'State' ? undefined : opts.signal));
    return cache.get(key) as T;
  };
  return {
    region: opts.region,
    get ecr() {
      return lazy('ECR', () => new (sdk('@aws-sdk/client-ecr').ECRClient)(base));
    },
    get s3() {
      return lazy('S3', () => new (sdk('@aws-sdk/client-s3').S3Client)({ ...base, forcePathStyle: !!opts.customEndpoint }));
    },
    /**
     * S3 for the state bucket, which may live in another region. Reported as
     * "State" so its writes are told apart from the app's resources, and each
     * answer carries S3's own clock (serverDateOf) for the lock's lease.
     */
    stateS3(region?: string) {
      return lazy(
        'State',
        () =>
          withServerDate(
            new (sdk('@aws-sdk/client-s3').S3Client)({
              ...base,
              region: region ?? opts.region,
              forcePathStyle: !!opts.customEndpoint,
              followRegionRedirects: true,
            }),
          ),
        region,
      );
    },
    get sts() {
      return lazy('STS', () => new (sdk('@aws-sdk/client-sts').STSClient)(base));
    },
    get ec2() {
      return lazy('EC2', () => new (sdk('@aws-sdk/client-ec2').EC2Client)(base));
    },
    get rds() {
      return lazy('RDS', () => new (sdk('@aws-sdk/client-rds').RDSClient)(base));
    },
    get elasticache() {
      return lazy('ElastiCache', () => new (sdk('@aws-sdk/client-elasticache').ElastiCacheClient)(base));
    },
    get efs() {
      return lazy('EFS', () => new (sdk('@aws-sdk/client-efs').EFSClient)(base));
    },
    get serviceDiscovery() {
      return lazy('ServiceDiscovery', () => new (sdk('@aws-sdk/client-servicediscovery').ServiceDiscoveryClient)(base));
    },
    get secrets() {
      return lazy('SecretsManager', () => new (sdk('@aws-sdk/client-secrets-manager').SecretsManagerClient)(base));
    },
    get cognito() {
      return lazy('Cognito', () => new (sdk('@aws-sdk/client-cognito-identity-provider').CognitoIdentityProviderClient)(base));
    },
    /**
     * Cognito without the SDK's own retries, for CreateUserPool: it has no
     * idempotency token, so a retry after an answer lost on the way back makes
     * a second pool. The step retries itself, looking for the pool first.
     */
    get cognitoOnce() {
      return lazy('Cognito', () => new (sdk('@aws-sdk/client-cognito-identity-provider').CognitoIdentityProviderClient)({ ...base, maxAttempts: 1 }), 'once');
    },
    get iam() {
      return lazy('IAM', () => new (sdk('@aws-sdk/client-iam').IAMClient)(base));
    },
    get ecs() {
      return lazy('ECS', () => new (sdk('@aws-sdk/client-ecs').ECSClient)(base));
    },
    get elbv2() {
      return lazy('ELBv2', () => new (sdk('@aws-sdk/client-elastic-load-balancing-v2').ElasticLoadBalancingV2Client)(base));
    },
    get logs() {
      return lazy('Logs', () => new (sdk('@aws-sdk/client-cloudwatch-logs').CloudWatchLogsClient)(base));
    },
    get cloudwatch() {
      return lazy('CloudWatch', () => new (sdk('@aws-sdk/client-cloudwatch').CloudWatchClient)(base));
    },
    get kms() {
      return lazy('KMS', () => new (sdk('@aws-sdk/client-kms').KMSClient)(base));
    },
    get sns() {
      return lazy('SNS', () => new (sdk('@aws-sdk/client-sns').SNSClient)(base));
    },
    /** AWS Budgets answers from us-east-1 only; budgets are per account. */
    get budgets() {
      return lazy('Budgets', () => new (sdk('@aws-sdk/client-budgets').BudgetsClient)({ ...base, region: GLOBAL_REGION }), GLOBAL_REGION);
    },
    /** Cost Explorer (anomaly detection, cost allocation tags) answers from us-east-1 only. */
    get costExplorer() {
      return lazy('CostExplorer', () => new (sdk('@aws-sdk/client-cost-explorer').CostExplorerClient)({ ...base, region: GLOBAL_REGION }), GLOBAL_REGION);
    },
    get acm() {
      return lazy('ACM', () => new (sdk('@aws-sdk/client-acm').ACMClient)(base));
    },
    get autoscaling() {
      return lazy('ApplicationAutoScaling', () => new (sdk('@aws-sdk/client-application-auto-scaling').ApplicationAutoScalingClient)(base));
    },
    get scheduler() {
      return lazy('Scheduler', () => new (sdk('@aws-sdk/client-scheduler').SchedulerClient)(base));
    },
    get sqs() {
      return lazy('SQS', () => new (sdk('@aws-sdk/client-sqs').SQSClient)(base));
    },
    // Global services, and what CloudFront uses, live in us-east-1 whatever the app's region.
    get route53() {
      return lazy('Route53', () => new (sdk('@aws-sdk/client-route-53').Route53Client)({ ...base, region: GLOBAL_REGION }));
    },
    get cloudfront() {
      return lazy('CloudFront', () => new (sdk('@aws-sdk/client-cloudfront').CloudFrontClient)({ ...base, region: GLOBAL_REGION }));
    },
    /** ACM in us-east-1: CloudFront takes certificates only from there. */
    get acmEdge() {
      return lazy('ACM', () => new (sdk('@aws-sdk/client-acm').ACMClient)({ ...base, region: GLOBAL_REGION }), GLOBAL_REGION);
    },
    /**
     * AWS Chatbot's REST API (src/aws/chatbot.ts), in the nearest region that has it. Credentials come from the
     * same chain as every client's (STS's resolved provider); the endpoint follows the SDK's own convention.
     */
    get chatbot() {
      const key = 'Chatbot';
      if (!cache.has(key)) {
        const sts = this.sts;
        cache.set(
          key,
          new ChatbotClient({
            region: chatbotRegion(opts.region),
            credentials: () => sts.config.credentials(),
            endpoint: process.env.AWS_ENDPOINT_URL_CHATBOT || process.env.AWS_ENDPOINT_URL || undefined,
            maxAttempts: base.maxAttempts,
            requestTimeoutMs: base.requestHandler.requestTimeout,
            onCall: opts.onCall,
            signal: opts.signal,
          }),
        );
      }
      return cache.get(key) as ChatbotClient;
    },
    get wafv2() {
      return lazy('WAFV2', () => new (sdk('@aws-sdk/client-wafv2').WAFV2Client)(base));
    },
    /** WAFv2 with the CLOUDFRONT scope, which AWS serves only from us-east-1. */
    get wafv2Edge() {
      return lazy('WAFV2', () => new (sdk('@aws-sdk/client-wafv2').WAFV2Client)({ ...base, region: GLOBAL_REGION }), GLOBAL_REGION);
    },
  };
}

export type AwsClients = ReturnType<typeof createAwsClients>;

/**
 * The `Date` header of S3's answer, kept on the output: a lease measured
 * between two of S3's own timestamps (this and LastModified) does not depend
 * on this machine's clock.
 */
export function withServerDate(client: S3Client): S3Client {
  client.middlewareStack.add(
    (next) => async (args) => {
      const r = await next(args);
      const date = (r.response as { headers?: Record<string, string> } | undefined)?.headers?.date;
      if (date && r.output && typeof r.output === 'object') Object.defineProperty(r.output, '$serverDate', { value: new Date(date), enumerable: false });
      return r;
    },
    { step: 'initialize', priority: 'low', name: 'deployWizardServerDate' },
  );
  return client;
}

/** S3's clock at the time of an answer from stateS3(), when it sent one. */
export const serverDateOf = (output: object): Date | undefined => (output as { $serverDate?: Date }).$serverDate;

/** Tags errors with the service and command that raised them (for the error mapper), and reports each call. */
function instrument<T extends AnyClient>(client: T, service: string, onCall?: CallHook, signal?: AbortSignal): T {
  if (signal) {
    // Every call carries the run's abort signal unless the caller passed its own.
    const send = (client as unknown as { send: (c: unknown, o?: Record<string, unknown>) => Promise<unknown> }).send.bind(client);
    (client as unknown as { send: unknown }).send = (command: unknown, options?: Record<string, unknown>) => {
      if (signal.aborted && !options?.abortSignal) return Promise.reject(signal.reason);
      return send(command, { abortSignal: signal, ...options });
    };
  }
  client.middlewareStack.add(
    (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const out = await next(args);
        onCall?.({ service, command, ok: true, input: (args as { input?: unknown }).input });
        return out;
      } catch (e) {
        if (e && typeof e === 'object') Object.assign(e, { $service: service, $command: command });
        onCall?.({ service, command, ok: false, input: (args as { input?: unknown }).input });
        throw e;
      }
    },
    { step: 'initialize', name: 'deployWizardCallHook', priority: 'high' },
  );
  return client;
}
