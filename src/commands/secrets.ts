import { resolve } from 'node:path';
import * as clack from '@clack/prompts';
import { loadConfig } from '../config/load-config.js';
import { openSession } from '../session.js';
import { checkIdentity } from '../state/state-store.js';
import { openState } from '../state/open-state.js';
import { describeSecretByName, getSecretObject, putSecretObject, randomAlnum } from '../secrets/store.js';
import { lbBehindCdn } from '../config/features.js';
import { describeAwsError } from '../aws/describe-error.js';
import { closest } from '../config/suggest.js';
import { InputError, InterruptedError, WizardError } from '../errors.js';
import { systemClock } from '../clock.js';
import { keySource } from '../secrets/key-source.js';
import type { StepOutputs } from '../pipeline/step.js';
import { derivedKeys } from '../secrets/derived-keys.js';
import { keysFor } from '../secrets/secret-version.js';
import type { CommonOptions, Io } from '../options.js';
import { isError } from '../aws/not-found.js';
import { appSecretName, originVerifySecretName } from '../aws/names.js';

const USAGE = 'usage: deploy-wizard secrets set KEY | deploy-wizard secrets list | deploy-wizard secrets rotate origin-verify';

async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(Buffer.from(c));
  // One trailing newline is from `echo`; the value itself is kept as given.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `secrets set KEY`: a masked prompt on a terminal, else the value from stdin. Never printed. */
async function setKey(opts: CommonOptions, io: Io, key: string | undefined): Promise<number> {
  const loaded = await loadConfig(resolve(io.cwd, opts.configPath), opts.env);
  const declared = Object.keys(loaded.config.secrets);
  if (!key) throw new InputError('secrets set: missing KEY', [USAGE]);
  if (derivedKeys(loaded.config).includes(key)) {
    throw new InputError(`secrets set: ${key} is derived by the wizard`, [
      `${key}: comes from the ${key.startsWith('COGNITO') ? 'cognito' : key === 'REDIS_URL' ? 'elasticache' : 'rds'} step and is rewritten on every deploy`,
    ]);
  }
  if (!declared.includes(key)) {
    const near = closest(key, declared);
    throw new InputError(`secrets set: ${key} is not in the config's secrets`, [`secrets.${key}: not declared${near ? `; did you mean ${near}?` : ''}`], {
      hint: `Add "${key}": { "prompt": "..." } under secrets in deploy-wizard.json first.`,
    });
  }
  let value: string;
  if (io.isTTY && !opts.nonInteractive) {
    const v = await clack.password({ message: `${key}`, validate: (x) => (x ? undefined : 'required') });
    if (clack.isCancel(v)) throw new InterruptedError('secrets set: cancelled', 'Nothing was changed.');
    value = v;
  } else {
    value = await readStdin(io);
    if (!value) throw new InputError(`secrets set: no value for ${key} on stdin`, [`pipe it in: printf %s "$VALUE" | deploy-wizard secrets set ${key}`]);
  }

  const store = openState(loaded, opts, io);
  const session = await openSession(opts, io, false, loaded);
  const lock = await store.lock(`deploy-wizard secrets set ${key}`, () => systemClock.now());
  const name = appSecretName({ app: loaded.config.app, env: opts.env });
  try {
    const state = await store.load(loaded.config.app, systemClock.now());
    checkIdentity(state, session.account, session.region);
    let arn: string;
    let current: Record<string, string>;
    try {
      const d = await describeSecretByName(session.aws.secrets, name);
      if (d.deleted) throw new WizardError(`secrets set: ${name} is scheduled for deletion`, { hint: 'Run deploy-wizard deploy --yes to restore it first.' });
      arn = d.arn;
      current = await getSecretObject(session.aws.secrets, arn, name);
    } catch (e) {
      if (e instanceof WizardError) throw e;
      if (isError(e, 'ResourceNotFoundException')) {
        throw new WizardError(`secrets set: ${name} does not exist yet`, {
          hint: `Run the first deploy with ${key} in the environment (${key}=... deploy-wizard deploy); later changes can use secrets set.`,
        });
      }
      throw describeAwsError(e, 'secrets set');
    }
    if (current[key] === value) {
      io.stderr.write(`${key} already has that value; nothing changed.\n`);
      return 0;
    }
    await putSecretObject(session.aws.secrets, arn, { ...current, [key]: value });
    const step = state.steps.secrets;
    if (step?.outputs) {
      const out = step.outputs as unknown as StepOutputs['secrets'];
      out.keys = [...new Set([...out.keys, key])].sort();
      out.changedAt = { ...out.changedAt, [key]: systemClock.now().toISOString() };
      await store.save(state, systemClock.now());
    }
  } finally {
    await lock.release();
  }
  // ECS hands a task its secrets when it starts: only new tasks see the new value.
  const readers = Object.values(loaded.config.services)
    .filter((s) => keysFor(s, [key], loaded.config).length)
    .map((s) => s.name);
  const who = readers.length ? readers.join(', ') : 'no service';
  if (opts.noDeploy) {
    io.stderr.write(`Set ${key} in ${name} (--no-deploy). Running tasks keep the old value until the next deploy, which rolls ${who}.\n`);
    return 0;
  }
  io.stderr.write(
    `Set ${key} in ${name}. Deploying: ${who} ${readers.length === 1 ? 'reads' : 'read'} it and ${readers.length === 1 ? 'rolls' : 'roll'} to new tasks.\n`,
  );
  return (await import('../deploy/deploy-app.js')).deployApp(opts, io);
}

/** `secrets list`: names, where each comes from, when it last changed. Never values. */
async function listKeys(opts: CommonOptions, io: Io): Promise<number> {
  const loaded = await loadConfig(resolve(io.cwd, opts.configPath), opts.env);
  const store = openState(loaded, opts, io);
  const session = await openSession(opts, io, false, loaded);
  const state = await store.load(loaded.config.app, systemClock.now());
  const out = state.steps.secrets?.outputs as StepOutputs['secrets'] | undefined;
  const name = appSecretName({ app: loaded.config.app, env: opts.env });
  let live: string[] = [];
  try {
    live = Object.keys(await getSecretObject(session.aws.secrets, name));
  } catch (e) {
    if (e instanceof WizardError) throw e;
    if (!isError(e, 'ResourceNotFoundException')) throw describeAwsError(e, 'secrets list');
  }
  const keys = [...new Set([...Object.keys(loaded.config.secrets), ...derivedKeys(loaded.config), ...live])].sort();
  const rows = keys.map((k) => ({
    key: k,
    source: keySource(loaded.config, k),
    stored: live.includes(k),
    optional: 'prompt' in (loaded.config.secrets[k] ?? {}) && (loaded.config.secrets[k] as { optional?: boolean }).optional === true,
    changedAt: out?.changedAt?.[k],
  }));
  if (opts.json) {
    io.stdout.write(JSON.stringify({ type: 'secrets', secret: name, keys: rows }) + '\n');
    return 0;
  }
  io.stdout.write(`${name}\n`);
  const w = Math.max(...rows.map((r) => r.key.length), 3);
  for (const r of rows) {
    const status = r.stored ? `last changed ${r.changedAt ?? 'unknown'}` : r.optional ? 'not set (optional)' : 'not stored yet';
    io.stdout.write(`  ${r.key.padEnd(w)}  ${r.source.padEnd(9)}  ${status}\n`);
  }
  return 0;
}

/**
 * `secrets rotate origin-verify`: a new value for the header CloudFront sends the load balancer, with no
 * request refused on the way. First the new value is stored with the old one kept as `previous`, and a
 * deploy makes the routes accept both while CloudFront moves to the new one (the site step waits until the
 * distribution is deployed); then `previous` goes, and a second deploy makes the routes want the new one alone.
 */
async function rotateOriginSecret(opts: CommonOptions, io: Io, what: string | undefined): Promise<number> {
  if (what !== 'origin-verify')
    throw new InputError(`secrets rotate: unknown secret "${what ?? ''}"`, ['origin-verify: the header CloudFront sends the load balancer']);
  const loaded = await loadConfig(resolve(io.cwd, opts.configPath), opts.env);
  if (!lbBehindCdn(loaded.config))
    throw new InputError('secrets rotate origin-verify: this app has no load balancer behind the CDN', [
      'site: the origin secret exists when a site serves the web routes through CloudFront',
    ]);
  if (opts.noDeploy)
    throw new InputError('secrets rotate: --no-deploy does not apply', ['--no-deploy: the old value stays accepted until the deploys that follow finish']);
  const session = await openSession(opts, io, false, loaded);
  const name = originVerifySecretName({ app: loaded.config.app, env: opts.env });
  const put = async (value: Record<string, string>) => {
    try {
      await putSecretObject(session.aws.secrets, name, value);
    } catch (e) {
      throw describeAwsError(e, `secrets rotate: write ${name}`);
    }
  };
  let current: Record<string, string>;
  try {
    current = await getSecretObject(session.aws.secrets, name);
  } catch (e) {
    if (e instanceof WizardError) throw e;
    throw describeAwsError(e, `secrets rotate: read ${name} (deploy first: the load-balancer step makes it)`);
  }
  // A rotation cut short keeps its new value: run again, and the old one is dropped as planned.
  const next = current.previous ? current.value! : randomAlnum(48);
  if (!current.previous) await put({ value: next, previous: current.value! });
  io.stderr.write(`Rotating ${name}: the routes accept the old and the new value while CloudFront moves to the new one.\n`);
  const deploy = (await import('../deploy/deploy-app.js')).deployApp;
  const first = await deploy(opts, io);
  if (first !== 0) return first;
  await put({ value: next });
  io.stderr.write(`Rotated ${name}: the routes now want the new value alone.\n`);
  return deploy(opts, io);
}

export async function secretsCommand(opts: CommonOptions, io: Io, args: readonly string[]): Promise<number> {
  const [verb, key] = args;
  if (verb === 'set') return setKey(opts, io, key);
  if (verb === 'list') return listKeys(opts, io);
  if (verb === 'rotate') return rotateOriginSecret(opts, io, key);
  throw new InputError(`secrets: unknown action "${verb ?? ''}"`, [USAGE]);
}
