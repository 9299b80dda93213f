import { InputError, WizardError } from '../errors.js';

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  $service?: string;
  $command?: string;
  $metadata?: { httpStatusCode?: number };
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess', 'AuthorizationError']);
const EXPIRED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);

/**
 * Turns an SDK error into a WizardError that says what to do next. Messages
 * read "verb object: cause". Throttling never gets here: the SDK retries it.
 */
export function describeAwsError(err: unknown, doing: string): WizardError {
  if (err instanceof WizardError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? e.Code ?? 'Error';
  const call = e.$service && e.$command ? `${e.$service} ${e.$command}` : 'an AWS call';
  if (ACCESS_DENIED.has(name)) {
    // AWS says "User: arn:... is not authorized to perform: ecr:CreateRepository on resource: arn:..."
    const m = /perform:?\s+([\w-]+:[\w*]+)(?:\s+on resource:?\s+(\S+))?/.exec(e.message ?? '');
    const action = m?.[1] ?? (e.$service && e.$command ? `${e.$service.toLowerCase()}:${e.$command}` : 'the action');
    const resource = m?.[2]?.replace(/[.,]$/, '') ?? 'the resource';
    return new WizardError(`${doing}: access denied to ${action} on ${resource}`, {
      hint: `Grant ${action} on ${resource} to the identity you deploy with, then run the same command again.`,
      cause: err,
    });
  }
  if (EXPIRED.has(name)) {
    return new WizardError(`${doing}: the AWS credentials have expired or are not valid (${name})`, {
      hint: 'Re-authenticate (for example `aws sso login --profile NAME`, or refresh your keys), then run the same command again; it resumes where it stopped.',
      cause: err,
    });
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
    // Bad input, like a missing config: nothing was attempted, and nothing will be until they are given.
    return new InputError(`${doing}: no AWS credentials found`, ['AWS credentials: none in the environment, the profile or the SSO cache'], {
      hint: 'Set AWS_PROFILE or pass --profile (after aws sso login if it is an SSO profile), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
    });
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|socket hang up/.test(e.message ?? '') || ['ECONNREFUSED', 'ENOTFOUND', 'TimeoutError'].includes(name)) {
    return new WizardError(`${doing}: could not reach AWS for ${call} (${e.message})`, {
      hint: 'Check the network and AWS_ENDPOINT_URL if set, then run again.',
      cause: err,
    });
  }
  const status = e.$metadata?.httpStatusCode;
  return new WizardError(`${doing}: ${call} failed: ${name}${e.message && e.message !== name ? `: ${e.message}` : ''}${status ? ` (HTTP ${status})` : ''}`, {
    cause: err,
  });
}
