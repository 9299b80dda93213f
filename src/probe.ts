/** One HTTP GET with a timeout: what first-boot asks of the app. Injectable so tests can stand in an app that never answers. */
export type Probe = (url: string, signal: AbortSignal) => Promise<{ status: number; body: string }>;

export const httpProbe: Probe = async (url, signal) => {
  const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]), redirect: 'manual', headers: { 'user-agent': 'deploy-wizard first-boot' } });
  const body = (await res.text()).slice(0, 64 * 1024);
  return { status: res.status, body };
};
