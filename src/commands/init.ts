import { existsSync, type Dirent } from 'node:fs';
import { readFile, readdir, writeFile, rename } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as clack from '@clack/prompts';
import { InputError, InterruptedError } from '../errors.js';
import { parseConfig } from '../config/load-config.js';
import type { ConfigInput } from '../config/schema.js';
import type { CommonOptions, Io } from '../options.js';

// Keys the wizard derives itself; .env.example often lists them for local dev.
const DERIVED = /^(DATABASE_URL|REDIS_URL|COGNITO_[A-Z_]+|AWS_[A-Z_]+|PORT|NODE_ENV)$/;

function answer<T>(value: T): Exclude<T, symbol> {
  if (clack.isCancel(value)) {
    clack.cancel('Cancelled.');
    throw new InterruptedError('init: cancelled', 'Nothing was written.');
  }
  return value as Exclude<T, symbol>;
}

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
      if (e.isDirectory() && depth < 3 && !['node_modules', '.git', '.deploy-wizard', 'dist', '.next', 'venv', '.venv'].includes(e.name)) {
        await walk(join(dir, e.name), depth + 1);
      } else if (e.isFile() && /^(Dockerfile|Containerfile)(\..+)?$|\.Dockerfile$/.test(e.name)) {
        out.push(relative(root, join(dir, e.name)));
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

async function defaultAppName(root: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name?: string };
    if (pkg.name) return sanitize(pkg.name.replace(/^@[^/]+\//, ''));
  } catch {
    /* no package.json */
  }
  return sanitize(basename(root));
}

const sanitize = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 32) || 'app';

/** Asks for what deploy-wizard.json needs and writes it. Nothing is written until the last answer. */
export async function runInit(opts: CommonOptions, io: Io): Promise<string> {
  if (!io.isTTY || opts.nonInteractive) {
    throw new InputError('init: needs an interactive terminal', ['--non-interactive: init only asks questions'], {
      hint: 'Run it on a terminal, or write deploy-wizard.json by hand (see shared/examples and the JSON Schema in the package).',
    });
  }
  const path = resolve(io.cwd, opts.configPath);
  const root = dirname(path);
  clack.intro('deploy-wizard');
  if (existsSync(path)) {
    const overwrite = answer(await clack.confirm({ message: `${relative(io.cwd, path) || path} exists. Replace it?`, initialValue: false }));
    if (!overwrite) throw new InterruptedError('init: kept the existing config', 'Nothing was written.');
  }

  const app = answer(
    await clack.text({
      message: 'App name (used in AWS resource names)',
      initialValue: await defaultAppName(root),
      validate: (v) =>
        /^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$/.test(v ?? '') ? undefined : '2-32 lowercase letters, digits and single hyphens, starting with a letter',
    }),
  );
  const region = answer(
    await clack.text({
      message: 'AWS region',
      initialValue: io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || 'us-east-1',
      validate: (v) => (/^[a-z]{2}(?:-gov)?-[a-z]+-\d$/.test(v ?? '') ? undefined : 'an AWS region such as us-east-1'),
    }),
  );

  const found = await findDockerfiles(root);
  let dockerfile: string;
  if (found.length === 0) {
    dockerfile = answer(
      await clack.text({
        message: 'Path to the Dockerfile (none found in this repo)',
        initialValue: 'Dockerfile',
        validate: (v) => (v && existsSync(resolve(root, v)) ? undefined : 'no such file'),
      }),
    );
  } else if (found.length === 1) {
    clack.log.info(`Using ${found[0]}`);
    dockerfile = found[0]!;
  } else {
    dockerfile = answer(await clack.select({ message: 'Which Dockerfile builds the app?', options: found.map((f) => ({ value: f, label: f })) }));
  }
  const dockerText = await readFile(resolve(root, dockerfile), 'utf8').catch(() => '');
  const exposed = /^\s*EXPOSE\s+(\d+)/im.exec(dockerText)?.[1];

  const port = Number(
    answer(
      await clack.text({
        message: 'Port the app listens on',
        initialValue: exposed ?? '3000',
        validate: (v) => (/^\d+$/.test(v ?? '') && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'a port from 1 to 65535'),
      }),
    ),
  );
  const healthCheckPath = answer(
    await clack.text({ message: 'Health check path', initialValue: '/health', validate: (v) => (v?.startsWith('/') ? undefined : 'must start with /') }),
  );
  const components = answer(
    await clack.multiselect({
      message: 'What does the app need? (space to toggle, enter to accept)',
      options: [
        { value: 'database', label: 'Postgres with pgvector (RDS)' },
        { value: 'cache', label: 'Redis (ElastiCache)' },
        { value: 'buckets', label: 'S3 buckets' },
        { value: 'cognito', label: 'Cognito sign-in' },
      ],
      required: false,
    }),
  ) as string[];

  const config: ConfigInput = {
    app,
    region,
    image: { context: '.', dockerfile },
    service: { port, healthCheckPath, desiredCount: 1, cpu: 512, memory: 1024 },
  };
  if (components.includes('database')) {
    config.database = { engineVersion: '16.4', instanceClass: 'db.t4g.micro', allocatedStorageGb: 20, name: app.replace(/-/g, '_'), extensions: ['vector'] };
  }
  if (components.includes('cache')) config.cache = { nodeType: 'cache.t4g.micro' };
  if (components.includes('buckets')) {
    const names = answer(
      await clack.text({
        message: 'Bucket names, comma-separated (the prefix is added in front)',
        initialValue: 'uploads',
        validate: (v) => ((v ?? '').split(',').some((s) => s.trim()) ? undefined : 'at least one name'),
      }),
    );
    const prefix = answer(await clack.text({ message: 'Bucket name prefix (bucket names are global; make it yours)', initialValue: `${app}-` }));
    config.buckets = {
      prefix,
      names: names
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  }
  if (components.includes('cognito')) config.auth = { cognito: { passwordMinLength: 12, mfa: 'OPTIONAL' } };

  const examplePath = join(root, '.env.example');
  if (existsSync(examplePath)) {
    const keys = envExampleKeys(await readFile(examplePath, 'utf8')).filter((k) => !DERIVED.test(k));
    if (keys.length) clack.log.info(`Found ${keys.length} keys in .env.example`);
    const secrets: NonNullable<ConfigInput['secrets']> = {};
    for (const key of keys) {
      const how = answer(
        await clack.select({
          message: `${key}`,
          options: [
            { value: 'prompt', label: 'ask for it at deploy (CI reads the env var)' },
            { value: 'generate', label: 'generate a random value once' },
            { value: 'optional', label: 'optional: ask, but allow it empty' },
            { value: 'skip', label: 'leave it out' },
          ],
        }),
      );
      if (how === 'generate') secrets[key] = { generate: 'hex-32' };
      else if (how === 'prompt') secrets[key] = { prompt: key };
      else if (how === 'optional') secrets[key] = { prompt: key, optional: true };
    }
    if (Object.keys(secrets).length) config.secrets = secrets;
  }

  const text = JSON.stringify(config, null, 2) + '\n';
  parseConfig(text, path, opts.env); // what init writes must load
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
  clack.log.success(`Wrote ${relative(io.cwd, path) || path}. Commit it: it holds no secret values.`);
  return path;
}

export async function initCommand(opts: CommonOptions, io: Io): Promise<number> {
  await runInit(opts, io);
  clack.outro('Next: deploy-wizard plan, then deploy-wizard deploy');
  return 0;
}
