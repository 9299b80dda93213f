import type { ConfigInput } from '../config/schema.js';
import type { Component } from './classify-env-key.js';
import { contextOf, dockerfileFor, type RepoScan } from './scan-repo.js';

export type SecretChoice = 'generate' | 'ask' | 'optional' | 'skip';

/** Every answer init needs; each comes from a prompt, a flag, or what the repo says. */
export interface InitAnswers {
  app: string;
  region: string;
  /** Deploy the repo's processes (Procfile, docker-compose) as services; otherwise one web service. */
  useProcesses: boolean;
  dockerfile: string;
  port: number;
  healthCheckPath: string;
  components: Component[];
  buckets?: { prefix: string; names: string[] };
  secrets: Record<string, SecretChoice>;
  /** The app's own name over HTTPS, in a Route 53 zone of the account. */
  domain?: { name: string; zone: string };
  /** A built static frontend to serve from the CDN. */
  site?: { dir: string; spa: boolean };
}

/** The answers init starts from: the repo's own. */
export function defaultAnswers(scan: RepoScan, region: string): InitAnswers {
  const dockerfile = scan.dockerfiles[0] ?? 'Dockerfile';
  const secrets: Record<string, SecretChoice> = {};
  for (const k of scan.envKeys) if (k.kind === 'generate' || k.kind === 'ask') secrets[k.key] = k.kind;
  return {
    app: scan.appName,
    region,
    useProcesses: scan.processes.length > 1 || scan.processes.some((p) => p.source === 'docker-compose'),
    dockerfile,
    port: scan.exposed[dockerfile] ?? scan.framework?.port ?? 3000,
    healthCheckPath: scan.framework?.healthCheckPath ?? '/health',
    components: [...scan.components],
    ...(scan.components.includes('buckets') ? { buckets: { prefix: `${scan.appName}-`, names: ['uploads'] } } : {}),
    secrets,
  };
}

const SIZE = { cpu: 512, memory: 1024, desiredCount: 1 };
const API_ROUTES = ['/api/*'];

/** deploy-wizard.json from the answers. What it returns must load (init checks). */
export function draftConfig(scan: RepoScan, a: InitAnswers): ConfigInput {
  const config: ConfigInput = { app: a.app, region: a.region };
  if (a.useProcesses && scan.processes.length) {
    const images: NonNullable<ConfigInput['images']> = {};
    const imageOf = new Map<string, string>();
    for (const p of scan.processes) {
      const dockerfile = dockerfileFor(scan, p) ?? a.dockerfile;
      if (!imageOf.has(dockerfile)) {
        const name = imageOf.size === 0 && scan.processes.every((x) => (dockerfileFor(scan, x) ?? a.dockerfile) === dockerfile) ? 'app' : p.name;
        imageOf.set(dockerfile, name);
        images[name] = { context: p.context ?? contextOf(dockerfile), dockerfile };
      }
    }
    const webs = scan.processes.filter((p) => p.kind === 'web');
    const services: NonNullable<ConfigInput['services']> = {};
    for (const p of scan.processes) {
      const image = imageOf.get(dockerfileFor(scan, p) ?? a.dockerfile)!;
      if (p.kind === 'web') {
        const first = p === webs[0];
        const port = p.port ?? a.port;
        services[p.name] = {
          image,
          port,
          routes: first ? ['/*'] : [`/${p.name}/*`],
          // The target group asks the container itself, so this is the app's own path, not one under its route.
          healthCheckPath: p.healthCheckPath ?? (first ? a.healthCheckPath : '/health'),
          ...SIZE,
          ...(p.command ? { command: p.command } : {}),
          // Procfile commands read $PORT.
          ...(p.source === 'Procfile' ? { environment: { PORT: String(port) } } : {}),
        };
      } else {
        services[p.name] = { image, ...SIZE, ...(p.command ? { command: p.command } : {}) };
      }
    }
    config.images = images;
    config.services = services;
  } else if (a.site) {
    // The site takes "/*" on the CDN, so the one web service answers under /api/* (its own paths are the user's to adjust).
    config.image = { context: contextOf(a.dockerfile), dockerfile: a.dockerfile };
    config.services = { web: { port: a.port, routes: API_ROUTES, healthCheckPath: a.healthCheckPath, ...SIZE } };
  } else {
    config.image = { context: contextOf(a.dockerfile), dockerfile: a.dockerfile };
    config.service = { port: a.port, healthCheckPath: a.healthCheckPath, ...SIZE };
  }
  if (a.site && config.services) {
    for (const s of Object.values(config.services)) if (s.routes?.includes('/*')) s.routes = API_ROUTES;
  }
  if (a.domain) config.domain = { name: a.domain.name, zone: a.domain.zone };
  if (a.site) config.site = { dir: a.site.dir, spa: a.site.spa };
  if (a.components.includes('database')) {
    config.database = {
      engineVersion: '16.4',
      instanceClass: 'db.t4g.micro',
      allocatedStorageGb: 20,
      name: a.app.replace(/-/g, '_'),
      extensions: ['vector'],
      ...(scan.envKeys.some((k) => k.urlParts) ? { urlParts: true } : {}),
    };
  }
  if (a.components.includes('cache')) config.cache = { nodeType: 'cache.t4g.micro' };
  if (a.components.includes('buckets')) {
    const b = a.buckets ?? { prefix: `${a.app}-`, names: ['uploads'] };
    config.buckets = { prefix: b.prefix, names: b.names };
    // The app reads its bucket's name from these keys: plain environment, not a secret.
    const bucketKeys = scan.envKeys.filter((k) => k.kind === 'bucket').map((k) => k.key);
    if (bucketKeys.length) config.environment = Object.fromEntries(bucketKeys.map((k, i) => [k, `${b.prefix}${b.names[Math.min(i, b.names.length - 1)]}`]));
  }
  if (a.components.includes('cognito')) config.auth = { cognito: { passwordMinLength: 12, mfa: 'OPTIONAL' } };
  const secrets: NonNullable<ConfigInput['secrets']> = {};
  for (const [key, how] of Object.entries(a.secrets)) {
    if (how === 'generate') secrets[key] = { generate: /SECRET_KEY_BASE/.test(key) ? 'hex-64' : 'hex-32' };
    else if (how === 'ask') secrets[key] = { prompt: key };
    else if (how === 'optional') secrets[key] = { prompt: key, optional: true };
  }
  if (Object.keys(secrets).length) config.secrets = secrets;
  if (scan.release) {
    const web = Object.entries(config.services ?? {}).find(([, s]) => s.port !== undefined)?.[0];
    config.migrations = { command: scan.release, ...(config.services && web ? { service: web } : {}) };
  }
  return config;
}
