import type { Config } from './schema.js';
import type { ServiceSpec } from './normalize.js';
import { urlVariable } from './url-variable.js';

// Internal services (`internal: true`) are reached through ECS Service Connect: every service of the app joins
// the Cloud Map namespace `<app>-<env>.internal`, each one with a port is published under its own name, and a
// Service Connect proxy in every task resolves http://<name>:<port> to a healthy task of it
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts.html). Without an
// internal service nothing of this is made, so an app that has none deploys exactly as before.

type Services = Pick<Config, 'services'>;

/** True when the app has an internal service: then every service joins Service Connect. */
export const hasServiceConnect = (config: Services): boolean => Object.values(config.services).some((s) => s.kind === 'internal');

/** The namespace every service of the app and env joins. */
export const namespaceName = (ctx: { app: string; env: string }) => `${ctx.app}-${ctx.env}.internal`;

/** The services the others reach by name: internal ones, and web ones too (the same name works inside). */
export const reachableServices = (config: Services): ServiceSpec[] => Object.values(config.services).filter((s) => s.port !== undefined);

/** `<NAME>_URL` of every reachable service, for every container of the app; the config's own environment wins. */
export function serviceConnectEnv(config: Services): Record<string, string> {
  if (!hasServiceConnect(config)) return {};
  return Object.fromEntries(reachableServices(config).map((s) => [urlVariable(s.name), `http://${s.name}:${s.port}`]));
}

/** The port mapping's name (what Service Connect's portName refers to) and protocol, when the app uses it. */
export function serviceConnectPort(config: Services, s: ServiceSpec): { name?: string; appProtocol?: 'http' } {
  return hasServiceConnect(config) && s.port !== undefined ? { name: s.name, appProtocol: 'http' } : {};
}

/** A service's Service Connect configuration (CreateService/UpdateService), published under its name when it has a port. */
export function serviceConnectConfiguration(config: Services, s: ServiceSpec, namespaceArn: string) {
  return {
    enabled: true,
    namespace: namespaceArn,
    ...(s.port !== undefined ? { services: [{ portName: s.name, discoveryName: s.name, clientAliases: [{ port: s.port, dnsName: s.name }] }] } : {}),
  };
}
