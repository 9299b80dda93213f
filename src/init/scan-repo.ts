import { existsSync, type Dirent } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join, posix, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { classifyEnvKey, type Component, type KeyVerdict } from './classify-env-key.js';

// What init can work out from the repo before asking anything: the app's
// processes (Procfile, docker-compose.yml), its Dockerfiles, the framework
// (port and health path), and from .env.example the data stores it reads and
// which keys to generate or ask. Read-only; every guess is only a default.

export interface Framework {
  name: 'Next.js' | 'Express' | 'FastAPI' | 'Django' | 'Rails';
  port: number;
  healthCheckPath: string;
}

export interface Process {
  name: string;
  /** web when it serves HTTP (a published port, or Procfile's "web"), else worker. */
  kind: 'web' | 'worker';
  port?: number;
  command?: string[];
  /** From docker-compose build: context and Dockerfile, relative to the repo. */
  context?: string;
  dockerfile?: string;
  /** From the framework found in its build context. */
  healthCheckPath?: string;
  source: 'Procfile' | 'docker-compose';
}

export interface EnvKey extends KeyVerdict {
  key: string;
}

export interface RepoScan {
  appName: string;
  dockerfiles: string[];
  /** EXPOSE of each Dockerfile. */
  exposed: Record<string, number>;
  framework?: Framework;
  processes: Process[];
  /** Procfile's release process: the migration command. */
  release?: string[];
  envFile?: string;
  envKeys: EnvKey[];
  components: Component[];
  /** Built static frontends (dist/, build/, out/ holding an index.html, here or one folder down): what site.dir may be. */
  siteDirs: string[];
}

const SKIP_DIRS = ['node_modules', '.git', '.deploy-wizard', 'dist', '.next', 'venv', '.venv', 'vendor', 'tmp', 'build', '__pycache__'];

/** Dockerfiles within three levels of the repo, skipping dependency and VCS folders. */
export async function findDockerfiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && depth < 3 && !SKIP_DIRS.includes(e.name)) {
        await walk(join(dir, e.name), depth + 1);
      } else if (e.isFile() && /^(Dockerfile|Containerfile)(\..+)?$|\.Dockerfile$/.test(e.name)) {
        out.push(relative(root, join(dir, e.name)).split('\\').join('/'));
      }
    }
  };
  await walk(root, 0);
  return out.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** KEY names from a .env.example, in order. Values are ignored: they are examples. */
export function envExampleKeys(text: string): string[] {
  const keys: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)\s*=/.exec(line);
    if (m && !keys.includes(m[1]!)) keys.push(m[1]!);
  }
  return keys;
}

const read = (path: string) => readFile(path, 'utf8').catch(() => undefined);

/** Words of a command line as a shell would split them (quotes kept together, no expansion). */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}

/** Procfile processes; commands run through a shell, as on Heroku ($PORT and friends expand). */
export function parseProcfile(text: string): { processes: Process[]; release?: string[] } {
  const processes: Process[] = [];
  let release: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line.trim());
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    const command = ['/bin/sh', '-c', m[2]!.trim()];
    if (name === 'release') release = command;
    else processes.push({ name: serviceName(name), kind: name === 'web' ? 'web' : 'worker', command, source: 'Procfile' });
  }
  return { processes, release };
}

const DATA_STORE_IMAGES: [RegExp, Component][] = [
  [/(^|\/)(postgres|postgis|pgvector|ankane\/pgvector|timescale)/, 'database'],
  [/(^|\/)(redis|valkey|keydb)/, 'cache'],
  [/(^|\/)(minio|localstack)/, 'buckets'],
];

/** docker-compose services: the app's own (with a build) become processes; postgres, redis and minio images say which data stores it uses. */
export function parseCompose(text: string): { processes: Process[]; components: Component[] } {
  const doc = parseYaml(text) as { services?: Record<string, Record<string, unknown>> } | null;
  const processes: Process[] = [];
  const components: Component[] = [];
  for (const [name, svc] of Object.entries(doc?.services ?? {})) {
    const image = typeof svc.image === 'string' ? svc.image : '';
    const store = DATA_STORE_IMAGES.find(([re]) => re.test(image));
    if (store && !svc.build) {
      if (!components.includes(store[1])) components.push(store[1]);
      continue;
    }
    if (!svc.build) continue;
    const build = typeof svc.build === 'string' ? { context: svc.build } : (svc.build as { context?: string; dockerfile?: string });
    const context = posix.normalize(build.context ?? '.').replace(/\/$/, '') || '.';
    const dockerfile = posix.join(context, build.dockerfile ?? 'Dockerfile');
    const ports = (Array.isArray(svc.ports) ? svc.ports : []).map((p) => containerPort(p)).filter((p): p is number => p !== undefined);
    const expose = (Array.isArray(svc.expose) ? svc.expose : []).map((p) => Number(String(p).split('/')[0])).filter((p) => p > 0);
    const port = ports[0] ?? expose[0];
    const command = typeof svc.command === 'string' ? splitCommand(svc.command) : Array.isArray(svc.command) ? svc.command.map(String) : undefined;
    processes.push({
      name: serviceName(name),
      kind: port ? 'web' : 'worker',
      ...(port ? { port } : {}),
      ...(command ? { command } : {}),
      context,
      dockerfile,
      source: 'docker-compose',
    });
  }
  return { processes, components };
}

/** "8000:8000", "127.0.0.1:80:8080/tcp", 3000, { target: 3000 } → the container side. */
function containerPort(p: unknown): number | undefined {
  if (typeof p === 'number') return p;
  if (p && typeof p === 'object' && 'target' in p) return Number((p as { target: unknown }).target) || undefined;
  if (typeof p !== 'string') return undefined;
  const last = p.split(':').pop()!.split('/')[0]!;
  const n = Number(last.split('-')[0]);
  return n > 0 && n < 65536 ? n : undefined;
}

/** A service key the config accepts: 2-20 lowercase letters, digits and single hyphens. */
export function serviceName(raw: string): string {
  const s = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 20)
    .replace(/-+$/, '');
  return s.length >= 2 ? s : `${s || 'svc'}-1`;
}

async function detectFramework(root: string): Promise<Framework | undefined> {
  const pkg = await read(join(root, 'package.json'));
  if (pkg) {
    try {
      const p = JSON.parse(pkg) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      const deps = { ...p.dependencies, ...p.devDependencies };
      if (deps.next) return { name: 'Next.js', port: 3000, healthCheckPath: '/api/health' };
      if (deps.express || deps.fastify || deps.koa || deps['@nestjs/core'] || deps.hono) return { name: 'Express', port: 3000, healthCheckPath: '/health' };
    } catch {
      /* not JSON: no framework from it */
    }
  }
  const python = [await read(join(root, 'requirements.txt')), await read(join(root, 'pyproject.toml')), await read(join(root, 'Pipfile'))]
    .join('\n')
    .toLowerCase();
  if (/\bfastapi\b/.test(python)) return { name: 'FastAPI', port: 8000, healthCheckPath: '/health' };
  if (/\bdjango\b/.test(python)) return { name: 'Django', port: 8000, healthCheckPath: '/health/' };
  const gemfile = await read(join(root, 'Gemfile'));
  // Rails 7.1+ routes /up to its health check.
  if (gemfile && /^\s*gem\s+["']rails["']/m.test(gemfile)) return { name: 'Rails', port: 3000, healthCheckPath: '/up' };
  return undefined;
}

async function defaultAppName(root: string): Promise<string> {
  const pkg = await read(join(root, 'package.json'));
  try {
    const name = pkg ? (JSON.parse(pkg) as { name?: string }).name : undefined;
    if (name) return sanitize(name.replace(/^@[^/]+\//, ''));
  } catch {
    /* not JSON */
  }
  return sanitize(basename(root));
}

const sanitize = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '') || 'app';

const ENV_FILES = ['.env.example', '.env.sample', '.env.template', '.env.dist', 'example.env'];
const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml'];

const SITE_DIRS = ['dist', 'build', 'out'];

/** dist/, build/ or out/ with an index.html, at the root or one folder down (web/dist, frontend/build). */
export async function findSiteDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  const check = (rel: string) => existsSync(join(root, rel, 'index.html')) && out.push(rel);
  for (const d of SITE_DIRS) check(d);
  let entries: Dirent[] = [];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    /* an unreadable root has no site to offer */
  }
  for (const e of entries) {
    if (!e.isDirectory() || SKIP_DIRS.includes(e.name) || e.name.startsWith('.')) continue;
    for (const d of SITE_DIRS) check(`${e.name}/${d}`);
  }
  return out;
}

export async function scanRepo(root: string): Promise<RepoScan> {
  const dockerfiles = await findDockerfiles(root);
  const exposed: Record<string, number> = {};
  for (const f of dockerfiles) {
    const port = /^\s*EXPOSE\s+(\d+)/im.exec((await read(join(root, f))) ?? '')?.[1];
    if (port) exposed[f] = Number(port);
  }
  const components: Component[] = [];
  let processes: Process[] = [];
  let release: string[] | undefined;
  const composeFile = COMPOSE_FILES.find((f) => existsSync(join(root, f)));
  if (composeFile) {
    try {
      const c = parseCompose((await read(join(root, composeFile)))!);
      processes = c.processes;
      components.push(...c.components);
      // Each built service's own framework says its health path (a FastAPI backend beside a Next.js frontend).
      for (const p of processes) {
        const fw = p.context ? await detectFramework(join(root, p.context)) : undefined;
        if (fw) p.healthCheckPath = fw.healthCheckPath;
      }
    } catch {
      /* a compose file YAML cannot read is only a missed hint */
    }
  }
  const procfile = await read(join(root, 'Procfile'));
  if (procfile) {
    const p = parseProcfile(procfile);
    release = p.release;
    // Procfile says how each process runs; compose (if any) said how it builds.
    if (!processes.length) processes = p.processes;
  }
  const envFile = ENV_FILES.find((f) => existsSync(join(root, f)));
  const envKeys: EnvKey[] = envFile ? envExampleKeys((await read(join(root, envFile)))!).map((key) => ({ key, ...classifyEnvKey(key) })) : [];
  for (const k of envKeys) if (k.component && !components.includes(k.component)) components.push(k.component);
  return {
    appName: await defaultAppName(root),
    dockerfiles,
    exposed,
    framework: await detectFramework(root),
    siteDirs: await findSiteDirs(root),
    processes,
    ...(release ? { release } : {}),
    ...(envFile ? { envFile } : {}),
    envKeys,
    components,
  };
}

/** The Dockerfile a process builds from: its compose build, else the one nearest the repo root. */
export function dockerfileFor(scan: RepoScan, p: Process): string | undefined {
  return p.dockerfile ?? scan.dockerfiles[0];
}

export const contextOf = (dockerfile: string) => dirname(dockerfile) || '.';
