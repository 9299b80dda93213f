import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { IAMClient } from '@aws-sdk/client-iam';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SNSClient } from '@aws-sdk/client-sns';
import { BudgetsClient } from '@aws-sdk/client-budgets';
import { KMSClient } from '@aws-sdk/client-kms';
import { ACMClient } from '@aws-sdk/client-acm';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { Route53Client } from '@aws-sdk/client-route-53';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { WAFV2Client } from '@aws-sdk/client-wafv2';

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
      return lazy('ECR', () => new ECRClient(base));
    },
    get s3() {
      return lazy('S3', () => new S3Client({ ...base, forcePathStyle: !!opts.customEndpoint }));
    },
    /**
     * S3 for the state bucket, which may live in another region. Reported as
     * "State" so its writes are told apart from the app's resources, and each
     * answer carries S3's own clock (serverDateOf) for the lock's lease.
     */
    stateS3(region?: string) {
      return lazy(
        'State',
        () => withServerDate(new S3Client({ ...base, region: region ?? opts.region, forcePathStyle: !!opts.customEndpoint, followRegionRedirects: true })),
        region,
      );
    },
    get sts() {
      return lazy('STS', () => new STSClient(base));
    },
    get ec2() {
      return lazy('EC2', () => new EC2Client(base));
    },
    get rds() {
      return lazy('RDS', () => new RDSClient(base));
    },
    get elasticache() {
      return lazy('ElastiCache', () => new ElastiCacheClient(base));
    },
    get secrets() {
      return lazy('SecretsManager', () => new SecretsManagerClient(base));
    },
    get cognito() {
      return lazy('Cognito', () => new CognitoIdentityProviderClient(base));
    },
    get iam() {
      return lazy('IAM', () => new IAMClient(base));
    },
    get ecs() {
      return lazy('ECS', () => new ECSClient(base));
    },
    get elbv2() {
      return lazy('ELBv2', () => new ElasticLoadBalancingV2Client(base));
    },
    get logs() {
      return lazy('Logs', () => new CloudWatchLogsClient(base));
    },
    get cloudwatch() {
      return lazy('CloudWatch', () => new CloudWatchClient(base));
    },
    get kms() {
      return lazy('KMS', () => new KMSClient(base));
    },
    get sns() {
      return lazy('SNS', () => new SNSClient(base));
    },
    /** AWS Budgets answers from us-east-1 only; budgets are per account. */
    get budgets() {
      return lazy('Budgets', () => new BudgetsClient({ ...base, region: GLOBAL_REGION }), GLOBAL_REGION);
    },
    get acm() {
      return lazy('ACM', () => new ACMClient(base));
    },
    get autoscaling() {
      return lazy('ApplicationAutoScaling', () => new ApplicationAutoScalingClient(base));
    },
    get scheduler() {
      return lazy('Scheduler', () => new SchedulerClient(base));
    },
    // Global services, and what CloudFront uses, live in us-east-1 whatever the app's region.
    get route53() {
      return lazy('Route53', () => new Route53Client({ ...base, region: GLOBAL_REGION }));
    },
    get cloudfront() {
      return lazy('CloudFront', () => new CloudFrontClient({ ...base, region: GLOBAL_REGION }));
    },
    /** ACM in us-east-1: CloudFront takes certificates only from there. */
    get acmEdge() {
      return lazy('ACM', () => new ACMClient({ ...base, region: GLOBAL_REGION }), GLOBAL_REGION);
    },
    get wafv2() {
      return lazy('WAFV2', () => new WAFV2Client(base));
    },
    /** WAFv2 with the CLOUDFRONT scope, which AWS serves only from us-east-1. */
    get wafv2Edge() {
      return lazy('WAFV2', () => new WAFV2Client({ ...base, region: GLOBAL_REGION }), GLOBAL_REGION);
    },
  };
}

export type AwsClients = ReturnType<typeof createAwsClients>;

/**
 * The `Date` header of S3's answer, kept on the output: a lease measured
 * between two of S3's own timestamps (this and LastModified) does not depend
 * on this machine's clock.
 */
function withServerDate(client: S3Client): S3Client {
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
      if (signal.aborted) return Promise.reject(signal.reason);
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
