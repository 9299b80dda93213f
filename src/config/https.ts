import type { Config } from './schema.js';

/** The app has a web service, so a load balancer. */
export const hasWebService = (config: Config): boolean => Object.values(config.services).some((s) => s.kind === 'web');

/** The load balancer serves HTTPS (443, with 80 redirecting) when the user brings a certificate or the app has a domain. */
export const lbHttps = (config: Config): boolean => !!config.loadBalancer?.certificateArn || (!!config.domain && hasWebService(config));
