import type { Config } from './schema.js';
import { derivedKeys } from '../secrets/derived-keys.js';

// What a config asks for, as the pipeline decides which steps run. They are
// here, not in the steps, because the pipeline decides before it loads a
// step's module (and with it the AWS SDK package it needs): an app without a
// database never loads RDS's.

import { hasWebService } from './https.js';
export { hasWebService };
/** The app secret exists when the config has secrets, or components whose URLs and ids go in it. */
export const hasAppSecret = (config: Config): boolean => Object.keys(config.secrets).length > 0 || derivedKeys(config).length > 0;
export const hasBuckets = (config: Config): boolean => !!config.buckets?.names.length;
export const hasCognito = (config: Config): boolean => !!config.auth?.cognito;
export const hasDatabase = (config: Config): boolean => !!config.database;
export const hasCache = (config: Config): boolean => !!config.cache;
export const hasDomain = (config: Config): boolean => !!config.domain;
export const hasSite = (config: Config): boolean => !!config.site;
export const hasWaf = (config: Config): boolean => !!config.edge?.waf;
export const hasMigrations = (config: Config): boolean => !!config.migrations?.command.length;
export const hasAlarms = (config: Config): boolean => !!config.alarms;
export const hasBudget = (config: Config): boolean => !!config.budget;
/**
 * Every web route is served through CloudFront (a site fronts the API routes, and the domain points at
 * the CDN): the load balancer then admits only CloudFront, and only requests carrying the origin secret.
 */
export const lbBehindCdn = (config: Config): boolean => !!config.site && hasWebService(config);
