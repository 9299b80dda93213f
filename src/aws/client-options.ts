import type { CommonOptions, Io } from '../options.js';
import type { ClientOptions } from './clients.js';

/** The AWS client options of one run: region, profile, the call hook, the abort signal and the timeouts. */
export function clientOptionsFor(opts: CommonOptions, io: Io, region: string): ClientOptions {
  return {
    region,
    profile: opts.profile,
    customEndpoint: !!(io.env.AWS_ENDPOINT_URL || io.env.AWS_ENDPOINT_URL_S3),
    onCall: io.onCall,
    signal: io.signal,
    ...timeoutsFrom(io.env),
  };
}

/** DEPLOY_WIZARD_AWS_TIMEOUT_MS shortens the per-request timeout (tests of a hung endpoint; very slow links may raise it). */
function timeoutsFrom(env: Io['env']): { requestTimeoutMs?: number } {
  const v = Number(env.DEPLOY_WIZARD_AWS_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? { requestTimeoutMs: v } : {};
}
