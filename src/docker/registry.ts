/** Where to reach a registry over its HTTP API: scheme and host[:port]. */
export interface RegistryEndpoint {
  base: string;
  host: string;
}

/**
 * ECR's proxy endpoint, or DEPLOY_WIZARD_REGISTRY for emulators. A loopback
 * override without a scheme is plain HTTP (the local registry has no TLS).
 */
export function registryEndpoint(proxyEndpoint: string, override?: string): RegistryEndpoint {
  const raw = override || proxyEndpoint;
  const withScheme = /^https?:\/\//.test(raw) ? raw : `${/^(127\.|localhost)/.test(raw) ? 'http' : 'https'}://${raw}`;
  const url = new URL(withScheme);
  return { base: `${url.protocol}//${url.host}`, host: url.host };
}

function headers(auth: { username: string; password: string }) {
  return { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`, Accept: MANIFEST_TYPES };
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * Asks the registry itself whether `repo:tag` exists, with the ECR token as
 * basic auth (ECR and distribution both accept it). Returns the digest, or
 * undefined when the tag is not there.
 */
export async function manifestDigest(
  endpoint: RegistryEndpoint,
  auth: { username: string; password: string },
  repo: string,
  tag: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const res = await fetch(`${endpoint.base}/v2/${repo}/manifests/${encodeURIComponent(tag)}`, {
    method: 'HEAD',
    headers: headers(auth),
    signal,
  });
  if (res.status === 404) return undefined;
  if (res.status === 401 || res.status === 403) {
    throw new Error(`registry ${endpoint.host} refused the ECR token (HTTP ${res.status})`);
  }
  if (!res.ok) throw new Error(`registry ${endpoint.host} answered HTTP ${res.status} for ${repo}:${tag}`);
  const digest = res.headers.get('docker-content-digest');
  if (!digest) throw new Error(`registry ${endpoint.host} did not return a digest for ${repo}:${tag}`);
  return digest;
}

/**
 * The architecture of `repo@digest`, from the image config blob the manifest
 * points at (for an index, the first linux entry). Read from the registry so
 * it is right even when this run did not build the image.
 */
export async function imageArchitecture(
  endpoint: RegistryEndpoint,
  auth: { username: string; password: string },
  repo: string,
  digest: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const res = await fetch(`${endpoint.base}/v2/${repo}/manifests/${digest}`, { headers: headers(auth), signal });
  if (!res.ok) return undefined;
  const manifest = (await res.json()) as { manifests?: { platform?: { os?: string; architecture?: string } }[]; config?: { digest?: string } };
  if (manifest.manifests) return manifest.manifests.find((m) => m.platform?.os === 'linux')?.platform?.architecture;
  if (!manifest.config?.digest) return undefined;
  const blob = await fetch(`${endpoint.base}/v2/${repo}/blobs/${manifest.config.digest}`, { headers: headers(auth), signal });
  if (!blob.ok) return undefined;
  return ((await blob.json()) as { architecture?: string }).architecture;
}
