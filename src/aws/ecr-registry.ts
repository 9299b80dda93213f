import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { AwsClients } from './clients.js';
import { manifestDigest, registryEndpoint, type RegistryEndpoint } from '../docker/registry.js';

export interface RegistryAuth {
  endpoint: RegistryEndpoint;
  username: string;
  password: string;
}

/** ECR's registry and a token for it (basic auth, as docker login uses it); DEPLOY_WIZARD_REGISTRY for a stand-in. */
export async function ecrRegistryAuth(aws: Pick<AwsClients, 'ecr'>, override?: string, signal?: AbortSignal): Promise<RegistryAuth> {
  const res = await aws.ecr.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
  const data = res.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) throw new Error('ECR returned no authorization token');
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return { endpoint: registryEndpoint(data.proxyEndpoint, override), username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * The images of a task definition revision, pinned by digest to this
 * account's registry, that the registry no longer has (its lifecycle rule
 * expired them, or someone deleted them): a task of that revision could not
 * start. Images from elsewhere are not checked.
 */
export async function missingImagesOf(
  aws: Pick<AwsClients, 'ecr' | 'ecs'>,
  taskDefinition: string,
  override?: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const td = (await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }), { abortSignal: signal })).taskDefinition;
  const refs = (td?.containerDefinitions ?? []).map((c) => c.image ?? '').filter((i) => /^[^/]+\/.+@sha256:[0-9a-f]{64}$/.test(i));
  if (!refs.length) return [];
  const auth = await ecrRegistryAuth(aws, override, signal);
  const missing: string[] = [];
  for (const ref of refs) {
    const host = ref.slice(0, ref.indexOf('/'));
    // Ours: ECR's host in this account, or the stand-in's.
    if (!/\.dkr\.ecr\./.test(host) && host !== auth.endpoint.host) continue;
    const [repo, digest] = ref.slice(host.length + 1).split('@') as [string, string];
    if (!(await manifestDigest(auth.endpoint, auth, repo, digest, signal))) missing.push(ref);
  }
  return missing;
}
