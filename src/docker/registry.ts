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

/**
 * Copies `from@digest` to `to:tag` in the same registry through its HTTP API (the Docker Registry HTTP API V2,
 * which ECR serves), with no Docker engine and no rebuild: each blob the target lacks is mounted from the source
 * repository where the registry can ("Cross repository blob mount"), else downloaded and uploaded in one piece;
 * then the manifest's exact bytes are put, so the digest is the same. An image index copies each of its manifests
 * first. Returns the digest the registry answers.
 */
export async function copyImage(
  endpoint: RegistryEndpoint,
  auth: { username: string; password: string },
  from: string,
  digest: string,
  to: string,
  tag: string,
  signal?: AbortSignal,
): Promise<string> {
  const h = headers(auth);
  const fail = async (what: string, res: Response) => {
    throw new Error(`registry ${endpoint.host}: ${what} answered HTTP ${res.status} ${(await res.text().catch(() => '')).slice(0, 200)}`);
  };
  const copyBlob = async (d: string) => {
    const has = await fetch(`${endpoint.base}/v2/${to}/blobs/${d}`, { method: 'HEAD', headers: h, signal });
    if (has.ok) return;
    const mount = await fetch(`${endpoint.base}/v2/${to}/blobs/uploads/?mount=${encodeURIComponent(d)}&from=${encodeURIComponent(from)}`, {
      method: 'POST',
      headers: h,
      signal,
    });
    if (mount.status === 201) return;
    if (mount.status !== 202) return fail(`mounting ${d} into ${to}`, mount);
    const location = new URL(mount.headers.get('location') ?? '', endpoint.base);
    // The blob itself; ECR answers with a redirect to its storage, which fetch follows without the registry's credentials.
    const blob = await fetch(`${endpoint.base}/v2/${from}/blobs/${d}`, { headers: h, signal });
    if (!blob.ok) return fail(`reading ${d} from ${from}`, blob);
    location.searchParams.set('digest', d);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { Authorization: h.Authorization, 'Content-Type': 'application/octet-stream' },
      body: Buffer.from(await blob.arrayBuffer()),
      signal,
    });
    if (put.status !== 201) return fail(`uploading ${d} to ${to}`, put);
  };
  const copyManifest = async (ref: string, as: string): Promise<string> => {
    const res = await fetch(`${endpoint.base}/v2/${from}/manifests/${ref}`, { headers: h, signal });
    if (!res.ok) await fail(`reading the manifest ${from}@${ref}`, res);
    const type = res.headers.get('content-type') ?? 'application/vnd.docker.distribution.manifest.v2+json';
    const bytes = Buffer.from(await res.arrayBuffer());
    const m = JSON.parse(bytes.toString('utf8')) as { manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string }[] };
    for (const child of m.manifests ?? []) await copyManifest(child.digest, child.digest);
    for (const d of [m.config?.digest, ...(m.layers ?? []).map((l) => l.digest)]) if (d) await copyBlob(d);
    const put = await fetch(`${endpoint.base}/v2/${to}/manifests/${encodeURIComponent(as)}`, {
      method: 'PUT',
      headers: { Authorization: h.Authorization, 'Content-Type': type },
      body: bytes,
      signal,
    });
    if (put.status !== 201) await fail(`putting the manifest ${to}:${as}`, put);
    return put.headers.get('docker-content-digest') ?? ref;
  };
  return copyManifest(digest, tag);
}
