import type { Config } from './schema.js';
import { derivedKeys } from '../secrets/derived-keys.js';

// What a config asks for that more than one step (or a command) needs to
// know. A condition only one step has is in that step's manifest.

import { hasWebService } from './https.js';
export { hasWebService };
/** The app secret exists when the config has secrets, or components whose URLs and ids go in it. */
export const hasAppSecret = (config: Config): boolean => Object.keys(config.secrets).length > 0 || derivedKeys(config).length > 0;
export const hasBuckets = (config: Config): boolean => !!config.buckets?.names.length;
export const hasCognito = (config: Config): boolean => !!config.auth?.cognito;
/**
 * Every web route is served through CloudFront (a site fronts the API routes, and the domain points at
 * the CDN): the load balancer then admits only CloudFront, and only requests carrying the origin secret.
 */
export const lbBehindCdn = (config: Config): boolean => hasCdn(config) && hasWebService(config);
/** A CloudFront distribution: for a static site (and the web routes beside it), or in front of the load balancer alone (edge.cdn). */
export const hasCdn = (config: Config): boolean => !!config.site || !!config.edge?.cdn;
/** The web routes the distribution sends to the load balancer ("/*" stays the site's). */
export const cdnRoutes = (config: Config): string[] =>
  Object.values(config.services)
    .filter((s) => s.kind === 'web')
    .flatMap((s) => s.routes)
    .filter((r) => r !== '/*');
