import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/schema.js';
import { appSecretName } from '../aws/names.js';
import { describeAwsError } from '../aws/describe-error.js';

/**
 * The values the parent was given for its asked secrets (API keys and the like), read from the parent's secret:
 * a preview gets the same ones. Generated values are generated afresh, derived ones point at its own database.
 */
export async function askedValues(aws: Pick<AwsClients, 'secrets'>, parent: string, config: Config): Promise<Record<string, string>> {
  const asked = Object.entries(config.secrets)
    .filter(([, s]) => !('generate' in s))
    .map(([k]) => k);
  if (!asked.length) return {};
  const res = await aws.secrets
    .send(new GetSecretValueCommand({ SecretId: appSecretName({ app: config.app, env: parent }) }))
    .catch((e: unknown) => Promise.reject(describeAwsError(e, `preview: read ${parent}'s secret for its asked values`)));
  const parsed = JSON.parse(res.SecretString ?? '{}') as Record<string, string>;
  return Object.fromEntries(asked.flatMap((k) => (parsed[k] !== undefined ? [[k, parsed[k]]] : [])));
}
