import { InputError } from '../errors.js';
import { bucketNameProblem } from '../config/bucket-name.js';
import type { StateSection } from '../config/state-schema.js';

/** Where one run reads and writes its state. */
export type StateLocation = { backend: 'local' } | { backend: 's3'; bucket: string; prefix: string; region?: string };

/** The env var that points one run at an S3 state: s3://bucket/prefix. */
export const STATE_ENV = 'DEPLOY_WIZARD_STATE';

/**
 * The config's `state`, overridden for one run by DEPLOY_WIZARD_STATE and
 * then by --state-backend (the flag wins: it is the most deliberate).
 */
export function resolveStateLocation(section: StateSection | undefined, flag: 'local' | 's3' | undefined, envValue: string | undefined): StateLocation {
  const fromEnv = envValue?.trim() ? parseStateUrl(envValue.trim()) : undefined;
  const fromConfig: StateLocation | undefined =
    section?.backend === 's3' && section.bucket
      ? { backend: 's3', bucket: section.bucket, prefix: withSlash(section.prefix), ...(section.region ? { region: section.region } : {}) }
      : undefined;
  if (flag === 'local') return { backend: 'local' };
  if (flag === 's3') {
    const s3 =
      fromEnv && fromEnv.backend === 's3'
        ? fromEnv
        : (fromConfig ?? (section?.bucket ? { backend: 's3' as const, bucket: section.bucket, prefix: withSlash(section.prefix) } : undefined));
    if (!s3)
      throw new InputError(
        'read flags: --state-backend s3 needs a bucket',
        [`--state-backend s3: neither ${STATE_ENV} (s3://bucket/prefix) nor the config's state.bucket names one`],
        { hint: 'Run deploy-wizard state init to create a state bucket; it prints the config lines to add.' },
      );
    return s3;
  }
  return fromEnv ?? fromConfig ?? { backend: 'local' };
}

/** s3://bucket/prefix (prefix optional), or "local". */
export function parseStateUrl(url: string): StateLocation {
  if (url === 'local') return { backend: 'local' };
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  const problem = !m ? 'expected s3://bucket/prefix or local' : bucketNameProblem(m[1]!) && `bucket "${m[1]}" ${bucketNameProblem(m[1]!)}`;
  if (problem)
    throw new InputError(`read ${STATE_ENV}: ${problem}`, [`${STATE_ENV}=${url}: ${problem}`], {
      hint: 'For example DEPLOY_WIZARD_STATE=s3://acme-deploy-state/ledger/',
    });
  return { backend: 's3', bucket: m![1]!, prefix: withSlash(m![2] ?? '') };
}

/** A prefix is a folder: "ledger" and "ledger/" are the same place. */
const withSlash = (p: string) => (p && !p.endsWith('/') ? `${p}/` : p);

/** The object keys of one app and env's state and lock. */
export function stateKeys(loc: { prefix: string }, app: string, env: string) {
  const base = `${loc.prefix}${app}/${env}`;
  return { state: `${base}.state.json`, lock: `${base}.lock` };
}

export const describeLocation = (loc: StateLocation, app: string, env: string, localPath: string) =>
  loc.backend === 'local' ? localPath : `s3://${loc.bucket}/${stateKeys(loc, app, env).state}`;
