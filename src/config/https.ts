import type { Config } from './schema.js';

/** The load balancer serves HTTPS (443, with 80 redirecting) when the user brings a certificate or the app has a domain. */
export const lbHttps = (config: Config): boolean =>
  !!config.loadBalancer?.certificateArn || (!!config.domain && Object.values(config.services).some((s) => s.kind === 'web'));
