import { isAbsolute, posix } from 'node:path';
import type { z } from 'zod';
import type { RawConfig } from './sections.js';
import type { image as imageSchema, service as serviceSchema } from './services-schema.js';
import { ALL_DERIVED_KEYS, derivedKeys } from '../secrets/derived-keys.js';
import { urlVariable } from './url-variable.js';

// One shape for every config: `images` and `services`. Today's singular
// `image` and `service` mean one image named "default" and one web service
// named "web" on "/*", so every config written before several services
// existed means exactly what it meant.

export type ImageSpec = z.output<typeof imageSchema> & { dockerfile: string };
type ServiceInput = z.output<typeof serviceSchema>;

export interface ServiceSpec {
  name: string;
  /** Where it is in the config, for messages: "services.api", or "service" for the one web service. */
  key: string;
  /**
   * web: has a port, a target group and routes on the load balancer; internal: a port reached by the other
   * services only (Service Connect); worker: none of those.
   */
  kind: 'web' | 'worker' | 'internal';
  image: string;
  port?: number;
  routes: string[];
  hosts?: string[];
  healthCheckPath: string;
  healthCheckGracePeriodSeconds: number;
  command?: string[];
  cpu: number;
  memory: number;
  desiredCount: number;
  /** App-level environment with the service's own merged over it. */
  environment: Record<string, string>;
  /** The app secret keys it lists, as { name: the variable it sees, key: the app secret's key }; undefined means all. */
  secretEnv?: { name: string; key: string }[];
  /** Its own DATABASE_URL shape, kept in the app secret under serviceDatabaseKey(name) and seen as DATABASE_URL. */
  database?: ServiceInput['database'];
  logRetentionDays: number;
  containerHealthCheck?: ServiceInput['containerHealthCheck'];
  autoscaling?: ServiceInput['autoscaling'];
  validation?: ServiceInput['validation'];
  /** Its own task-role statements: the service then runs with a task role of its own. */
  permissions?: ServiceInput['permissions'];
  /** `deploy-wizard exec` may open a shell in its tasks (ECS Exec). */
  exec?: boolean;
  /** More containers in its task, in the order written. */
  sidecars?: SidecarSpec[];
  /** Fargate and Fargate Spot by weight, instead of the Fargate launch type. */
  capacity?: { spot: number; onDemand: number; base: number };
  /** Volumes mounted into its container, in path order. */
  mounts?: MountSpec[];
}

export interface MountSpec {
  path: string;
  volume: string;
  readOnly: boolean;
}

export interface SidecarSpec {
  name: string;
  image: string;
  command?: string[];
  cpu?: number;
  memory: number;
  essential: boolean;
  /** The service's environment with its own merged over it. */
  environment: Record<string, string>;
  /** Its own secrets list; undefined reads what the service reads. */
  secretEnv?: { name: string; key: string }[];
  dependsOn?: Record<string, 'START' | 'HEALTHY' | 'COMPLETE' | 'SUCCESS'>;
}

/**
 * A service with permissions of its own, ECS Exec or volumes runs with a task role of its own: nothing it adds
 * reaches the others (a volume's access point is granted to the services that mount it, and no other).
 */
export const hasOwnTaskRole = (s: Pick<ServiceSpec, 'permissions' | 'exec' | 'mounts'>) => !!s.permissions?.length || !!s.exec || !!s.mounts?.length;

type Ctx = z.RefinementCtx;

/** One `secrets` entry as the variable the service sees and the app secret key it reads. */
const secretRef = (r: NonNullable<ServiceInput['secrets']>[number]) =>
  typeof r === 'string' ? { name: r, key: r } : { name: Object.keys(r)[0]!, key: Object.values(r)[0]! };
type Raw = Omit<Partial<RawConfig>, 'images' | 'services'> & { images?: Record<string, unknown>; services?: Record<string, Partial<ServiceInput>> };

const issue = (ctx: Ctx, path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });

/** The service names in a config, singular form included. */
function serviceEntries(c: Raw): [string, Partial<ServiceInput>][] {
  if (c.services) return Object.entries(c.services);
  return c.service ? [['web', { ...c.service, routes: ['/*'] } as Partial<ServiceInput>]] : [];
}

/** Reserved for a sidecar when it names none: enough for a worker process's runtime, and what moto needs to run it. */
export const SIDECAR_MEMORY = 128;
/** The least the service's own container keeps of the task's memory. */
const MAIN_MEMORY_MIN = 128;

/** Sidecars: their images and secrets exist, what they depend on is in the task, and the task's size fits them all. */
function checkSidecars(c: Raw, name: string, s: Partial<ServiceInput>, imageNames: string[], secretNames: Set<string>, ctx: Ctx): void {
  const sidecars = Object.entries(s.sidecars ?? {});
  if (!sidecars.length) return;
  const at = (...p: PropertyKey[]) => ['services', name, 'sidecars', ...p];
  const containers = new Set([name, ...sidecars.map(([n]) => n)]);
  for (const [sc, d] of sidecars) {
    if (sc === name) issue(ctx, at(sc), `a sidecar cannot have its service's name (${name} is the service's own container)`);
    if (sc === c.app) issue(ctx, at(sc), `a sidecar cannot have the app's name (${c.app} is the name of the service's own container)`);
    if (d.image !== undefined && !imageNames.includes(d.image)) issue(ctx, at(sc, 'image'), `no image "${d.image}"; images are ${imageNames.join(', ')}`);
    for (const [i, ref] of (d.secrets ?? []).entries()) {
      const { key } = secretRef(ref);
      if (!secretNames.has(key)) issue(ctx, at(sc, 'secrets', i), `${key} is not a secret of this app; known: ${[...secretNames].join(', ') || 'none'}`);
    }
    for (const [dep, cond] of Object.entries(d.dependsOn ?? {})) {
      if (!containers.has(dep) || dep === sc)
        issue(
          ctx,
          at(sc, 'dependsOn', dep),
          `not a container of this task; name the service (${name}) or another sidecar (${[...containers].filter((x) => x !== name && x !== sc).join(', ') || 'none'})`,
        );
      else if (cond === 'HEALTHY' && (dep !== name || !s.containerHealthCheck))
        issue(
          ctx,
          at(sc, 'dependsOn', dep),
          `HEALTHY needs a container health check on ${dep}${dep === name ? ` (services.${name}.containerHealthCheck)` : '; sidecars have none: use START'}`,
        );
    }
  }
  const memory = s.memory ?? 0;
  const cpu = s.cpu ?? 0;
  const sideMemory = sidecars.reduce((n, [, d]) => n + (d.memory ?? SIDECAR_MEMORY), 0);
  const sideCpu = sidecars.reduce((n, [, d]) => n + (d.cpu ?? 0), 0);
  const takes = sidecars.map(([sc, d]) => `${sc} ${d.memory ?? SIDECAR_MEMORY} MiB${d.cpu ? ` and ${d.cpu} CPU` : ''}`).join(', ');
  if (memory && memory - sideMemory < MAIN_MEMORY_MIN)
    issue(
      ctx,
      ['services', name, 'memory'],
      `${memory} MiB does not fit the task: ${takes} leave ${memory - sideMemory} MiB for ${name}, which needs at least ${MAIN_MEMORY_MIN}; raise memory (and cpu to match)`,
    );
  if (cpu && sideCpu > cpu)
    issue(ctx, ['services', name, 'cpu'], `${cpu} CPU units do not fit the task: the sidecars reserve ${sideCpu} (${takes}); raise cpu`);
}

/** Checks that span keys; each names the key to fix. Runs on the base and on every merged overlay. */
export function checkApp(c: Raw, ctx: Ctx): void {
  if (c.image && c.images) issue(ctx, ['images'], 'use either image (one image) or images (several), not both');
  // Named as the singular key: that is what a first config has (images is for several).
  if (!c.image && !c.images) issue(ctx, ['image'], 'required but missing');
  if (c.images && Object.keys(c.images).length === 0) issue(ctx, ['images'], 'name at least one image');
  if (c.service && c.services) issue(ctx, ['services'], 'use either service (one web service) or services (several), not both');
  if (!c.service && !c.services) issue(ctx, ['service'], 'required but missing');
  if (c.services && Object.keys(c.services).length === 0) issue(ctx, ['services'], 'name at least one service');
  const imageNames = c.images ? Object.keys(c.images) : ['default'];
  const entries = serviceEntries(c);
  const secretNames = new Set([...Object.keys(c.secrets ?? {}), ...derivedKeys(c as Parameters<typeof derivedKeys>[0])]);

  let defaultOwner: string | undefined;
  const webs = entries.filter(([, s]) => s.port !== undefined && !s.internal);
  for (const [name, s] of entries) {
    const at = (...p: PropertyKey[]) => ['services', name, ...p];
    if (s.image === undefined && imageNames.length > 1) issue(ctx, at('image'), `required with several images; use one of ${imageNames.join(', ')}`);
    if (s.image !== undefined && !imageNames.includes(s.image)) issue(ctx, at('image'), `no image "${s.image}"; images are ${imageNames.join(', ')}`);
    if (s.port !== undefined && s.routes === undefined && webs.length > 1) {
      issue(ctx, at('routes'), `required with several web services: the paths this one answers, e.g. ["/${name}/*"] (or ["/*"] for the default)`);
    }
    for (const [i, r] of (s.routes ?? []).entries()) {
      if (r === '/*' && !s.hosts) {
        if (defaultOwner) issue(ctx, at('routes', i), `"/*" is already the route of ${defaultOwner}; only one web service can be the default`);
        defaultOwner ??= name;
      }
    }
    const seen = new Set<string>();
    for (const [i, ref] of (s.secrets ?? []).entries()) {
      const { name, key } = secretRef(ref);
      if (!secretNames.has(key)) issue(ctx, at('secrets', i), `${key} is not a secret of this app; known: ${[...secretNames].join(', ') || 'none'}`);
      if (seen.has(name)) issue(ctx, at('secrets', i), `${name} is listed twice; each variable reads one key`);
      seen.add(name);
      if (s.environment?.[name] !== undefined)
        issue(ctx, at('secrets', i), `${name} is also in this service's environment; a variable is plain or secret, not both`);
    }
    if (s.database && !c.database) issue(ctx, at('database'), 'needs the app-level "database" (the database whose URL it shapes)');
    const volumes = Object.keys(c.volumes ?? {});
    for (const [path, m] of Object.entries(s.mounts ?? {})) {
      const v = typeof m === 'string' ? m : m.volume;
      if (!volumes.includes(v))
        issue(
          ctx,
          at('mounts', path),
          `no volume "${v}"; ${volumes.length ? `volumes are ${volumes.join(', ')}` : 'declare it under volumes, e.g. "volumes": { "' + v + '": { "efs": {} } }'}`,
        );
    }
    checkSidecars(c, name, s, imageNames, secretNames, ctx);
    for (const key of Object.keys(s.environment ?? {})) {
      if (secretNames.has(key) || ALL_DERIVED_KEYS.includes(key)) {
        issue(ctx, c.services ? at('environment', key) : ['service', 'environment', key], secretInEnv(key, c.services ? `services.${name}` : 'service'));
      }
    }
  }
  for (const key of Object.keys(c.environment ?? {})) {
    if (secretNames.has(key) || ALL_DERIVED_KEYS.includes(key)) issue(ctx, ['environment', key], secretInEnv(key, ''));
  }
  // Every volume is an access point on the app's one file system, whose throughput mode is one setting.
  const modes = Object.entries(c.volumes ?? {}).map(([n, v]) => [n, v.efs.throughputMode] as const);
  const firstMode = modes[0];
  for (const [n, mode] of modes.slice(1))
    if (mode !== firstMode![1])
      issue(
        ctx,
        ['volumes', n, 'efs', 'throughputMode'],
        `every volume is on one file system: use "${firstMode![1]}" as volumes.${firstMode![0]} does, or change both`,
      );
  // With an internal service every service gets <NAME>_URL of the others: a name that is also a secret would clash.
  if (entries.some(([, s]) => s.internal))
    for (const [name, s] of entries) {
      const v = urlVariable(name);
      if (s.port !== undefined && (secretNames.has(v) || ALL_DERIVED_KEYS.includes(v)))
        issue(
          ctx,
          ['services', name],
          `its address is given to the other services as ${v}, which is also a secret of this app; rename the service or the secret`,
        );
    }
  const totalRoutes = webs.reduce((n, [, s]) => n + (s.routes ?? ['/*']).length, 0);
  if (totalRoutes > 95) issue(ctx, ['services'], `${totalRoutes} routes in all; a load balancer listener takes at most 100 rules`);

  const names = entries.map(([n]) => n);
  for (const [name, sch] of Object.entries(c.schedules ?? {})) {
    if (!names.includes(sch.service)) issue(ctx, ['schedules', name, 'service'], `no service "${sch.service}"; services are ${names.join(', ')}`);
  }
  const mig = c.migrations?.service;
  if (mig !== undefined && !names.includes(mig)) issue(ctx, ['migrations', 'service'], `no service "${mig}"; services are ${names.join(', ')}`);

  // A secret with a derived key's name would silently lose to the derived value, or replace it: say which.
  for (const [key, spec] of Object.entries(c.secrets ?? {})) {
    if (ALL_DERIVED_KEYS.includes(key) && !spec.replaceDerived) {
      issue(ctx, ['secrets', key], `${key} is derived by the wizard; remove it, or add "replaceDerived": true to make your value win over the derived one`);
    }
    if (!ALL_DERIVED_KEYS.includes(key) && spec.replaceDerived)
      issue(ctx, ['secrets', key, 'replaceDerived'], `${key} is not a derived key; remove replaceDerived`);
  }
  if (c.database?.driver === 'asyncpg' && c.database.urlScheme === 'postgresql+psycopg') {
    issue(ctx, ['database', 'urlScheme'], 'postgresql+psycopg is for psycopg; with driver asyncpg use postgresql+asyncpg or postgresql');
  }
  checkEdge(c, ctx);
  checkPreviews(c, entries, ctx);
}

/**
 * A preview runs some of the services on the parent's shared resources: what would reach into the parent's data
 * (its volumes) or be unreachable (a load balancer only CloudFront may reach) is refused here, naming the key.
 */
function checkPreviews(c: Raw, entries: [string, { port?: number; internal?: boolean; mounts?: unknown }][], ctx: Ctx): void {
  const p = c.previews;
  if (!p) return;
  const names = entries.map(([n]) => n);
  for (const [i, s] of (p.services ?? []).entries()) {
    const e = entries.find(([n]) => n === s);
    if (!e) issue(ctx, ['previews', 'services', i], `no service "${s}"; services are ${names.join(', ')}`);
    else if (e[1].mounts && Object.keys(e[1].mounts).length)
      issue(ctx, ['previews', 'services', i], `${s} mounts volumes, which a preview would share with ${p.from}; leave it out of previews.services`);
    else if (e[1].internal) issue(ctx, ['previews', 'services', i], `${s} is internal (Service Connect), which previews do not run; leave it out`);
  }
  if (!p.services && !entries.some(([, s]) => s.port !== undefined && !s.internal))
    issue(ctx, ['previews', 'services'], 'the app has no web service: list the services a preview runs');
  if (p.database !== 'empty' && !c.database) issue(ctx, ['previews', 'database'], `"${p.database}" needs the app's database; use "empty" or add database`);
  if (c.site || c.edge?.cdn)
    issue(
      ctx,
      ['previews'],
      `the load balancer of ${p.from} answers only CloudFront (site or edge.cdn), so a preview's name could not reach it; remove previews or the CDN`,
    );
  if (c.domain && (p.domain === c.domain.name || !p.domain.endsWith(`.${c.domain.zone}`)))
    issue(ctx, ['previews', 'domain'], `must be a name under the zone ${c.domain.zone} other than ${c.domain.name}, such as preview.${c.domain.zone}`);
}

const secretInEnv = (key: string, where: string) =>
  `${key} is a secret; remove it from ${where ? `${where}.` : ''}environment (it reaches the app through Secrets Manager)`;

/** Images and services in one shape, defaults filled in; only called on a config that passed checkApp. */
export function normalizeApp(c: RawConfig) {
  const { image, images, service, services, environment, ...rest } = c;
  // As docker build does: without a dockerfile, the one at the root of the context.
  const withDockerfile = (i: z.output<typeof imageSchema>): ImageSpec => ({ ...i, dockerfile: i.dockerfile ?? posix.join(i.context, 'Dockerfile') });
  const imgs: Record<string, ImageSpec> = Object.fromEntries(Object.entries(images ?? { default: image! }).map(([k, v]) => [k, withDockerfile(v)]));
  const only = Object.keys(imgs).length === 1 ? Object.keys(imgs)[0]! : undefined;
  const out: Record<string, ServiceSpec> = {};
  if (services) {
    const webCount = Object.values(services).filter((s) => s.port !== undefined && !s.internal).length;
    for (const [name, s] of Object.entries(services)) {
      const web = s.port !== undefined && !s.internal;
      out[name] = {
        name,
        key: `services.${name}`,
        kind: s.internal ? 'internal' : web ? 'web' : 'worker',
        image: s.image ?? only!,
        ...(s.port !== undefined ? { port: s.port } : {}),
        routes: web ? (s.routes ?? (webCount === 1 ? ['/*'] : [])) : [],
        ...(s.hosts ? { hosts: s.hosts } : {}),
        healthCheckPath: s.healthCheckPath ?? '/health',
        healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds ?? 60,
        ...(s.command ? { command: s.command } : {}),
        cpu: s.cpu,
        memory: s.memory,
        desiredCount: s.desiredCount ?? s.autoscaling?.min ?? 1,
        environment: { ...environment, ...s.environment },
        ...(s.secrets ? { secretEnv: s.secrets.map(secretRef) } : {}),
        ...(s.database && c.database ? { database: s.database } : {}),
        logRetentionDays: s.logRetentionDays ?? 30,
        ...(s.containerHealthCheck ? { containerHealthCheck: s.containerHealthCheck } : {}),
        ...(s.autoscaling ? { autoscaling: s.autoscaling } : {}),
        ...(s.validation ? { validation: s.validation } : {}),
        ...(s.permissions?.length ? { permissions: s.permissions } : {}),
        ...(s.exec ? { exec: true } : {}),
        ...(s.capacity ? { capacity: s.capacity } : {}),
        ...(s.mounts && Object.keys(s.mounts).length
          ? {
              mounts: Object.entries(s.mounts)
                .map(([path, m]): MountSpec =>
                  typeof m === 'string' ? { path, volume: m, readOnly: false } : { path, volume: m.volume, readOnly: m.readOnly },
                )
                .sort((a, b) => a.path.localeCompare(b.path)),
            }
          : {}),
        ...(s.sidecars && Object.keys(s.sidecars).length
          ? {
              sidecars: Object.entries(s.sidecars).map(([sc, d]): SidecarSpec => ({
                name: sc,
                image: d.image ?? s.image ?? only!,
                ...(d.command ? { command: d.command } : {}),
                ...(d.cpu ? { cpu: d.cpu } : {}),
                memory: d.memory ?? SIDECAR_MEMORY,
                essential: d.essential,
                environment: { ...environment, ...s.environment, ...d.environment },
                ...(d.secrets ? { secretEnv: d.secrets.map(secretRef) } : {}),
                ...(d.dependsOn ? { dependsOn: d.dependsOn } : {}),
              })),
            }
          : {}),
      };
    }
  } else {
    const s = service!;
    out.web = {
      name: 'web',
      key: 'service',
      kind: 'web',
      image: 'default',
      port: s.port,
      routes: ['/*'],
      healthCheckPath: s.healthCheckPath,
      healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
      cpu: s.cpu,
      memory: s.memory,
      desiredCount: s.desiredCount,
      environment: { ...environment, ...s.environment },
      logRetentionDays: s.logRetentionDays,
      ...(s.containerHealthCheck ? { containerHealthCheck: s.containerHealthCheck } : {}),
      ...(s.exec ? { exec: true } : {}),
    };
  }
  const list = Object.values(out);
  // The service one-off tasks (migrations, the pgvector task) borrow a task definition from.
  const primary = (list.find((s) => s.kind === 'web' && s.routes.includes('/*') && !s.hosts) ?? list.find((s) => s.kind === 'web') ?? list[0]!).name;
  const { migrations, ...others } = rest;
  return {
    ...others,
    environment,
    images: imgs,
    services: out,
    primaryService: primary,
    ...(migrations ? { migrations: { command: migrations.command, service: migrations.service ?? primary, when: migrations.when } } : {}),
  };
}

/** True when name is zone itself or a name under it. */
export const inZone = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);

/** Rules across domain, site, edge and the services: what the CDN and the load balancer can serve. */
export function checkEdge(c: Raw, ctx: Ctx): void {
  const webs = serviceEntries(c).filter(([, s]) => s.port !== undefined && !s.internal);
  if (c.domain) {
    const { name, zone, aliases } = c.domain;
    if (!inZone(name, zone)) issue(ctx, ['domain', 'name'], `${name} is not in the zone ${zone}; use a name that ends in .${zone}, or the zone that holds it`);
    const seen = new Set([name]);
    for (const [i, a] of aliases.entries()) {
      if (!inZone(a, zone)) issue(ctx, ['domain', 'aliases', i], `${a} is not in the zone ${zone}; every alias must be in domain.zone`);
      if (seen.has(a)) issue(ctx, ['domain', 'aliases', i], `${a} is listed twice (or is domain.name)`);
      seen.add(a);
    }
    if (aliases.length > 9) issue(ctx, ['domain', 'aliases'], 'at most 9 aliases: an ACM certificate covers 10 names by default');
    if (!webs.length && !c.site) issue(ctx, ['domain'], 'nothing to point the domain at: add a web service (with a port) or a site');
  }
  if (c.edge?.cdn && !webs.length) issue(ctx, ['edge', 'cdn'], 'a CDN in front of the load balancer needs a web service (with a port); or remove edge.cdn');
  if (c.edge?.cdn && c.site) issue(ctx, ['edge', 'cdn'], 'a site already puts CloudFront in front of the web routes; remove edge.cdn');
  if ((c.site || c.edge?.cdn) && webs.length && c.loadBalancer?.certificateArn && !c.domain) {
    // CloudFront would call the load balancer by its AWS name over HTTP (the certificate covers another
    // name), and a listener with a certificate redirects HTTP to HTTPS on CloudFront's own host: a loop.
    issue(
      ctx,
      ['loadBalancer', 'certificateArn'],
      'behind the CDN, CloudFront reaches the load balancer over HTTP, which this certificate turns into a redirect loop; add "domain" (the wizard then makes the certificates) or remove loadBalancer.certificateArn',
    );
  }
  if (c.site) {
    const dir = c.site.dir;
    if (isAbsolute(dir) || posix.normalize(dir.replaceAll('\\', '/')).startsWith('..')) {
      issue(ctx, ['site', 'dir'], `${dir} is outside the app; give a path inside it, relative to deploy-wizard.json (e.g. web/dist)`);
    }
    for (const [name, s] of webs) {
      if ((s.routes ?? (webs.length === 1 ? ['/*'] : [])).includes('/*') && !s.hosts) {
        issue(
          ctx,
          c.services ? ['services', name, 'routes'] : ['service'],
          `the site serves "/*" on the CDN; give ${name} the paths it answers (e.g. ["/api/*"]) so the CDN can send them to the load balancer`,
        );
      }
    }
  }
  if (c.edge?.waf && !webs.length && !c.site) {
    issue(ctx, ['edge', 'waf'], 'a web ACL needs something to protect: add a web service (load balancer) or a site (CDN)');
  }
}
