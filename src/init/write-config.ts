import { existsSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import * as clack from '@clack/prompts';
import { InputError, InterruptedError } from '../errors.js';
import { parseConfig } from '../config/load-config.js';
import type { CommonOptions, InitFlags, Io } from '../options.js';
import { scanRepo, type RepoScan } from './scan-repo.js';
import { defaultAnswers, draftConfig, type InitAnswers, type SecretChoice } from './draft-config.js';
import type { Component } from './classify-env-key.js';
import { estimateConfigCost } from '../session.js';
import { formatCost } from '../ui/format-plan.js';
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { createAwsClients } from '../aws/clients.js';
import { inZone } from '../config/normalize.js';
import { HOSTNAME } from '../config/edge-schema.js';

const COMPONENTS: { value: Component; label: string }[] = [
  { value: 'database', label: 'Postgres with pgvector (RDS)' },
  { value: 'cache', label: 'Redis (ElastiCache)' },
  { value: 'buckets', label: 'S3 buckets' },
  { value: 'cognito', label: 'Cognito sign-in' },
];
const APP_NAME = /^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$/;

function answer<T>(value: T): Exclude<T, symbol> {
  if (clack.isCancel(value)) {
    clack.cancel('Cancelled.');
    throw new InterruptedError('init: cancelled', 'Nothing was written.');
  }
  return value as Exclude<T, symbol>;
}

const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The flags over the repo's answers; every bad value is named before anything is asked or written. */
function applyFlags(a: InitAnswers, f: InitFlags | undefined, scan: RepoScan): InitAnswers {
  if (!f) return a;
  const problems: string[] = [];
  const out = { ...a, secrets: { ...a.secrets } };
  if (f.app !== undefined) {
    if (APP_NAME.test(f.app)) out.app = f.app;
    else problems.push(`--app ${f.app}: use 2-32 lowercase letters, digits and single hyphens, starting with a letter`);
  }
  if (f.dockerfile !== undefined) out.dockerfile = f.dockerfile;
  if (f.port !== undefined) {
    const n = Number(f.port);
    if (Number.isInteger(n) && n >= 1 && n <= 65535) out.port = n;
    else problems.push(`--port ${f.port}: a port from 1 to 65535`);
  }
  if (f.healthPath !== undefined) {
    if (f.healthPath.startsWith('/')) out.healthCheckPath = f.healthPath;
    else problems.push(`--health-path ${f.healthPath}: must start with /`);
  }
  if (f.single) out.useProcesses = false;
  if (f.with !== undefined) {
    const want = list(f.with).filter((c) => c !== 'none');
    const bad = want.filter((c) => !COMPONENTS.some((x) => x.value === c));
    if (bad.length) problems.push(`--with ${f.with}: ${bad.join(', ')} is not one of database, cache, buckets, cognito, none`);
    out.components = want as Component[];
  }
  if (f.buckets !== undefined || f.bucketPrefix !== undefined) {
    out.buckets = { prefix: f.bucketPrefix ?? out.buckets?.prefix ?? `${out.app}-`, names: f.buckets ? list(f.buckets) : (out.buckets?.names ?? ['uploads']) };
    if (!out.components.includes('buckets')) out.components = [...out.components, 'buckets'];
  }
  if (f.domain !== undefined) {
    const zone = f.zone ?? f.domain.split('.').slice(1).join('.');
    if (!HOSTNAME.test(f.domain)) problems.push(`--domain ${f.domain}: a lowercase DNS name such as app.example.com`);
    else if (!HOSTNAME.test(zone)) problems.push(`--zone ${zone}: a lowercase DNS name such as example.com`);
    else if (!inZone(f.domain, zone)) problems.push(`--domain ${f.domain}: not in the zone ${zone}; pass --zone with the zone that holds it`);
    else out.domain = { name: f.domain, zone };
  } else if (f.zone !== undefined) problems.push(`--zone ${f.zone}: give --domain too (the name to serve in that zone)`);
  if (f.site !== undefined) out.site = { dir: f.site, spa: !!f.spa };
  else if (f.spa) problems.push('--spa: give --site DIR too (the built frontend)');
  const known = new Set(scan.envKeys.map((k) => k.key));
  for (const [flag, how] of [
    ['generate', 'generate'],
    ['ask', 'ask'],
    ['optional', 'optional'],
    ['skip', 'skip'],
  ] as [keyof InitFlags, SecretChoice][]) {
    for (const key of list(f[flag] as string | undefined)) {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) problems.push(`--${flag} ${key}: secret keys are UPPER_SNAKE_CASE`);
      else if (how === 'skip' && !known.has(key)) problems.push(`--skip ${key}: not a key of ${scan.envFile ?? '.env.example'}`);
      else out.secrets[key] = how;
    }
  }
  if (problems.length) throw new InputError('init: invalid answers', problems, { hint: 'Nothing was written. Run deploy-wizard init --help for the flags.' });
  return out;
}

/** What the repo told init, in a few lines, so the defaults that follow make sense. */
function findings(scan: RepoScan): string[] {
  const lines: string[] = [];
  if (scan.framework) lines.push(`${scan.framework.name}: port ${scan.framework.port}, health ${scan.framework.healthCheckPath}`);
  if (scan.processes.length) {
    lines.push(
      `${scan.processes[0]!.source}: ${scan.processes.map((p) => `${p.name} (${p.kind === 'web' ? `web${p.port ? ` :${p.port}` : ''}` : 'worker'})`).join(', ')}${scan.release ? ', release (migrations)' : ''}`,
    );
  }
  if (scan.dockerfiles.length) lines.push(`Dockerfiles: ${scan.dockerfiles.join(', ')}`);
  if (scan.envFile) {
    const by = (kind: string) => scan.envKeys.filter((k) => k.kind === kind).map((k) => k.key);
    const handled = [...by('derived'), ...by('bucket'), ...by('platform')];
    lines.push(`${scan.envFile}: ${scan.envKeys.length} keys${handled.length ? `; ${handled.join(', ')} set by the wizard or the platform` : ''}`);
  }
  if (scan.components.length) lines.push(`Needs: ${scan.components.join(', ')}`);
  return lines;
}

async function ask(scan: RepoScan, a: InitAnswers, f: InitFlags | undefined, io: Io, env: string): Promise<InitAnswers> {
  const given = (k: keyof InitFlags) => f?.[k] !== undefined;
  if (!given('app')) {
    a.app = answer(
      await clack.text({
        message: 'App name (used in AWS resource names)',
        initialValue: a.app,
        validate: (v) => (APP_NAME.test(v ?? '') ? undefined : '2-32 lowercase letters, digits and single hyphens, starting with a letter'),
      }),
    );
  }
  a.region = answer(
    await clack.text({
      message: 'AWS region',
      initialValue: a.region,
      validate: (v) => (/^[a-z]{2}(?:-gov)?-[a-z]+-\d$/.test(v ?? '') ? undefined : 'an AWS region such as us-east-1'),
    }),
  );
  if (scan.processes.length > 1 && !given('single')) {
    a.useProcesses = answer(
      await clack.confirm({
        message: `Deploy the ${scan.processes.length} processes from ${scan.processes[0]!.source} as services (${scan.processes.map((p) => p.name).join(', ')})?`,
        initialValue: a.useProcesses,
      }),
    );
  }
  const needsDockerfile = !a.useProcesses || scan.processes.some((p) => !p.dockerfile);
  if (needsDockerfile && !given('dockerfile')) {
    if (scan.dockerfiles.length === 0) {
      a.dockerfile = answer(
        await clack.text({
          message: 'Path to the Dockerfile (none found in this repo)',
          initialValue: 'Dockerfile',
          validate: (v) => (v && existsSync(resolve(io.cwd, v)) ? undefined : 'no such file'),
        }),
      );
    } else if (scan.dockerfiles.length === 1) {
      clack.log.info(`Using ${scan.dockerfiles[0]}`);
    } else {
      a.dockerfile = answer(
        await clack.select({
          message: 'Which Dockerfile builds the app?',
          options: scan.dockerfiles.map((d) => ({ value: d, label: d })),
          initialValue: a.dockerfile,
        }),
      );
    }
    a.port = scan.exposed[a.dockerfile] ?? a.port;
  }
  const webNeedsPort = !a.useProcesses || scan.processes.some((p) => p.kind === 'web' && !p.port);
  if (webNeedsPort && !given('port')) {
    a.port = Number(
      answer(
        await clack.text({
          message: 'Port the app listens on',
          initialValue: String(a.port),
          validate: (v) => (/^\d+$/.test(v ?? '') && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'a port from 1 to 65535'),
        }),
      ),
    );
  }
  if (!given('healthPath')) {
    a.healthCheckPath = answer(
      await clack.text({
        message: 'Health check path',
        initialValue: a.healthCheckPath,
        validate: (v) => (v?.startsWith('/') ? undefined : 'must start with /'),
      }),
    );
  }
  if (!given('with')) {
    a.components = answer(
      await clack.multiselect({
        message: `What does the app need?${scan.components.length ? ` (${scan.envFile ?? 'the repo'} says ${scan.components.join(', ')})` : ''} (space to toggle, enter to accept)`,
        options: COMPONENTS,
        initialValues: a.components,
        required: false,
      }),
    ) as Component[];
  }
  if (a.components.includes('buckets') && !given('buckets')) {
    const names = answer(
      await clack.text({
        message: 'Bucket names, comma-separated (the prefix is added in front)',
        initialValue: (a.buckets?.names ?? ['uploads']).join(','),
        validate: (v) => (list(v).length ? undefined : 'at least one name'),
      }),
    );
    const prefix = given('bucketPrefix')
      ? a.buckets!.prefix
      : answer(await clack.text({ message: 'Bucket name prefix (bucket names are global; make it yours)', initialValue: `${a.app}-` }));
    a.buckets = { prefix, names: list(names) };
  }
  if (!given('domain')) a.domain = await askDomain(a, io);
  if (!given('site')) a.site = await askSite(scan, io);
  // The monthly cost of what was chosen so far, before the secrets (which cost cents).
  clack.note(formatCost(estimateConfigCost(draftConfig(scan, a), env)), 'Estimated monthly cost');
  const keys = scan.envKeys.filter((k) => k.kind === 'generate' || k.kind === 'ask');
  if (keys.length) clack.log.info(`Found ${keys.length} keys in ${scan.envFile}`);
  const flagged = new Set([...list(f?.generate), ...list(f?.ask), ...list(f?.optional), ...list(f?.skip)]);
  for (const k of keys) {
    if (flagged.has(k.key)) continue;
    a.secrets[k.key] = answer(
      await clack.select({
        message: k.key,
        initialValue: a.secrets[k.key] ?? 'ask',
        options: [
          { value: 'ask' as const, label: 'ask for it at deploy (CI reads the env var)', hint: k.kind === 'ask' ? 'a key someone issues you' : undefined },
          { value: 'generate' as const, label: 'generate a random value once', hint: k.kind === 'generate' ? "the app's own secret" : undefined },
          { value: 'optional' as const, label: 'optional: ask, but allow it empty' },
          { value: 'skip' as const, label: 'leave it out' },
        ],
      }),
    );
  }
  return a;
}

/** The account's public hosted zones, to offer; none (no credentials yet, no zones) only means the name is typed. */
async function hostedZones(region: string, io: Io): Promise<string[]> {
  try {
    const aws = createAwsClients({ region, customEndpoint: !!io.env.AWS_ENDPOINT_URL, maxAttempts: 2, signal: io.signal });
    const res = await aws.route53.send(new ListHostedZonesCommand({ MaxItems: 100 }));
    return (res.HostedZones ?? [])
      .filter((z) => !z.Config?.PrivateZone)
      .map((z) => z.Name!.replace(/\.$/, ''))
      .sort();
  } catch {
    return [];
  }
}

async function askDomain(a: InitAnswers, io: Io): Promise<InitAnswers['domain']> {
  const zones = await hostedZones(a.region, io);
  const message = 'Serve the app at your own domain over HTTPS?';
  let zone: string;
  if (zones.length) {
    const pick = answer(
      await clack.select({
        message: `${message} (Route 53 zones in this account: ${zones.length})`,
        initialValue: '',
        options: [
          { value: '', label: "No, use the load balancer's address for now" },
          { value: '\0other', label: 'Yes, in a zone not listed here (type it)' },
          ...zones.map((z) => ({ value: z, label: `Yes, a name in ${z}` })),
        ],
      }),
    );
    if (!pick) return undefined;
    zone = pick === '\0other' ? await askZone() : pick;
  } else {
    if (!answer(await clack.confirm({ message: `${message} (no Route 53 zone found; it must exist before deploy)`, initialValue: false }))) return undefined;
    zone = await askZone();
  }
  const name = answer(
    await clack.text({
      message: `Domain name (in ${zone})`,
      initialValue: `${a.app}.${zone}`,
      validate: (v) => (v && HOSTNAME.test(v) && inZone(v, zone) ? undefined : `a lowercase name in ${zone}, such as app.${zone} or ${zone}`),
    }),
  );
  return { name, zone };
}

async function askZone(): Promise<string> {
  return answer(
    await clack.text({
      message: 'Route 53 hosted zone',
      placeholder: 'example.com',
      validate: (v) => (v && HOSTNAME.test(v) ? undefined : 'a lowercase DNS name such as example.com'),
    }),
  );
}

async function askSite(scan: RepoScan, io: Io): Promise<InitAnswers['site']> {
  const message = 'A static frontend to serve from the CDN?';
  let dir: string;
  if (scan.siteDirs.length) {
    const pick = answer(
      await clack.select({
        message,
        initialValue: scan.siteDirs[0]!,
        options: [
          ...scan.siteDirs.map((d) => ({ value: d, label: `${d}/`, hint: 'has an index.html' })),
          { value: '\0other', label: 'Another directory (type it)' },
          { value: '', label: 'No static frontend' },
        ],
      }),
    );
    if (!pick) return undefined;
    dir = pick === '\0other' ? await askSiteDir(io) : pick;
  } else {
    if (!answer(await clack.confirm({ message: `${message} (no dist/, build/ or out/ found)`, initialValue: false }))) return undefined;
    dir = await askSiteDir(io);
  }
  const spa = answer(await clack.confirm({ message: 'Does it route on the client (a single-page app: unknown paths answer index.html)?', initialValue: true }));
  return { dir, spa };
}

async function askSiteDir(io: Io): Promise<string> {
  return answer(
    await clack.text({
      message: 'Directory of the built frontend (relative to the repo; build it before deploy)',
      placeholder: 'web/dist',
      validate: (v) => (v && !v.startsWith('/') && !v.startsWith('..') ? undefined : `a path inside ${io.cwd}`),
    }),
  );
}

/** Writes deploy-wizard.json from the repo, the flags and (on a terminal) the answers. Nothing is written until the last answer. */
export async function runInit(opts: CommonOptions, io: Io): Promise<string> {
  const interactive = io.isTTY && !opts.nonInteractive && !opts.json;
  const path = resolve(io.cwd, opts.configPath);
  const root = dirname(path);
  const scan = await scanRepo(root);
  let answers = applyFlags(defaultAnswers(scan, opts.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1'), opts.init, scan);
  if (interactive) {
    clack.intro('deploy-wizard');
    if (existsSync(path)) {
      const overwrite = answer(await clack.confirm({ message: `${relative(io.cwd, path) || path} exists. Replace it?`, initialValue: false }));
      if (!overwrite) throw new InterruptedError('init: kept the existing config', 'Nothing was written.');
    }
    const found = findings(scan);
    if (found.length) clack.note(found.join('\n'), 'Found in this repo');
    answers = await ask(scan, answers, opts.init, io, opts.env);
  } else if (existsSync(path)) {
    throw new InputError(`init: ${relative(io.cwd, path) || path} exists`, [], {
      hint: 'Nothing was written. Remove it first, or run init on a terminal to replace it.',
    });
  }
  const text = JSON.stringify(draftConfig(scan, answers), null, 2) + '\n';
  parseConfig(text, path, opts.env); // what init writes must load
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
  const done = `Wrote ${relative(io.cwd, path) || path}. Commit it: it holds no secret values.`;
  if (interactive) clack.log.success(done);
  else io.stderr.write(`${findings(scan).join('\n')}${findings(scan).length ? '\n' : ''}${done}\n`);
  return path;
}
