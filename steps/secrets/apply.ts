import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import type { StepContext } from '../../src/pipeline/context.js';
import { StepError } from '../../src/errors.js';
import { derivedKeys, serviceDatabaseKey, wantsUrlParts } from '../../src/secrets/derived-keys.js';
import { databaseUrl } from '../../src/config/database-url.js';
import { parseSecretObject, randomAlnum, readSecretJson } from '../../src/secrets/store.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { isError } from '../../src/aws/not-found.js';
import { appSecretName } from '../../src/aws/names.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface SecretsOutput {
  arn: string;
  name: string;
  /** Key names only, never values. */
  keys: string[];
  /** When each key's value last changed, as far as this wizard knows. */
  changedAt: Record<string, string>;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    secrets: SecretsOutput;
  }
}

/** "hex-32" → 32 random bytes as hex (as `openssl rand -hex 32`); "base64-48" → 48 bytes, base64; "alnum-N" → N characters. */
export function generateValue(spec: string): string {
  const [kind, n] = spec.split('-') as [string, string];
  const size = Number(n);
  if (kind === 'hex') return randomBytes(size).toString('hex');
  if (kind === 'base64') return randomBytes(size).toString('base64');
  return randomAlnum(size);
}

async function current(ctx: StepContext): Promise<{ arn?: string; deleted: boolean; value: Record<string, string> }> {
  try {
    const d = await ctx.aws.secrets.send(new DescribeSecretCommand({ SecretId: appSecretName(ctx) }));
    if (d.DeletedDate) return { arn: d.ARN, deleted: true, value: {} };
    const tags = d.Tags ?? [];
    if (!ownedBy(ctx, tags)) {
      throw new StepError('secrets', `adopt secret: ${appSecretName(ctx)} exists but was not created by deploy-wizard`, {
        hint: `Rename it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} if the wizard should manage it (its keys are kept).`,
      });
    }
    const v = await ctx.aws.secrets.send(new GetSecretValueCommand({ SecretId: d.ARN }));
    ctx.log.secret(v.SecretString);
    const value = parseSecretObject(v.SecretString, appSecretName(ctx));
    for (const x of Object.values(value)) ctx.log.secret(x);
    return { arn: d.ARN, deleted: false, value };
  } catch (e) {
    if (isError(e, 'ResourceNotFoundException')) return { deleted: false, value: {} };
    throw e;
  }
}

/** The values the app should see, from upstream outputs; secret values only in memory. */
async function derived(ctx: StepContext): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (ctx.config.database) {
    const rds = ctx.output('rds');
    // The app's own role, never the master user.
    const arn = rds.appSecretArn ?? rds.masterSecretArn;
    const role = await readSecretJson(ctx, arn);
    if (!role?.password || !role.username) throw new StepError('secrets', `derive DATABASE_URL: the secret ${arn} has no username or password`);
    const db = ctx.config.database!;
    const url = (host: string, port: number, shape: { driver?: typeof db.driver; urlScheme?: typeof db.urlScheme } = {}) =>
      databaseUrl({
        user: role.username!,
        password: role.password!,
        host,
        port,
        database: rds.dbName,
        driver: shape.driver ?? db.driver,
        scheme: shape.urlScheme ?? db.urlScheme,
      });
    // With RDS Proxy the app connects through it; DATABASE_DIRECT_URL reaches the instance, for what a proxy cannot
    // carry (session-level features, some migration tools' advisory locks).
    const [host, port] = db.proxy ? [ctx.output('rds-proxy').endpoint, 5432] : [rds.endpoint, rds.port];
    out.DATABASE_URL = url(host, port);
    if (db.proxy) out.DATABASE_DIRECT_URL = url(rds.endpoint, rds.port);
    // A service with a shape of its own (services.<name>.database) reads its URL from a key of its own as DATABASE_URL.
    for (const svc of Object.values(ctx.config.services)) if (svc.database) out[serviceDatabaseKey(svc.name)] = url(host, port, svc.database);
    // Aurora readers: read-only queries can go to the reader endpoint, which spreads them over the readers.
    if (rds.readerEndpoint) out.DATABASE_READ_URL = url(rds.readerEndpoint, rds.port);
    if (wantsUrlParts(ctx.config)) {
      Object.assign(out, { DB_HOST: rds.endpoint, DB_PORT: String(rds.port), DB_NAME: rds.dbName, DB_USER: role.username, DB_PASSWORD: role.password });
    }
  }
  if (ctx.config.cache) {
    const cache = ctx.output('elasticache');
    const auth = await readSecretJson(ctx, cache.authSecretArn);
    if (!auth?.token) throw new StepError('secrets', `derive REDIS_URL: the AUTH token secret ${cache.authSecretArn} has no token`);
    // Without TLS the cache has no AUTH token, so the URL carries no password.
    // A preview shares the parent's cache in a logical database of its own (the parent's is 0).
    const db = ctx.preview?.cacheDb ? `/${ctx.preview.cacheDb}` : '';
    out.REDIS_URL = cache.transitEncryption
      ? `rediss://:${encodeURIComponent(auth.token)}@${cache.primaryEndpoint}:${cache.port}${db}`
      : `redis://${cache.primaryEndpoint}:${cache.port}${db}`;
  }
  if (ctx.config.auth?.cognito) {
    const c = ctx.output('cognito');
    out.COGNITO_USER_POOL_ID = c.userPoolId;
    out.COGNITO_CLIENT_ID = c.clientId;
    // Loaded only here: an app without Cognito never loads its SDK package.
    const { cognitoClientSecret } = await import('../../src/aws/cognito-client-secret.js');
    out.COGNITO_CLIENT_SECRET = await cognitoClientSecret(ctx, c);
  }
  for (const v of Object.values(out)) ctx.log.secret(v);
  return out;
}

/** The whole JSON the secret should hold: kept keys, generated, asked and derived ones. */
async function desired(ctx: StepContext, have: Record<string, string>): Promise<Record<string, string>> {
  const want: Record<string, string> = { ...have };
  const missing: string[] = [];
  for (const [key, spec] of Object.entries(ctx.config.secrets)) {
    if ('generate' in spec) {
      // Generated once, then kept on every later run.
      want[key] = have[key] ?? generateValue(spec.generate);
    } else {
      const given = ctx.settings.secretValues?.[key];
      if (given !== undefined) want[key] = given;
      else if (have[key] === undefined && !spec.optional) missing.push(key);
    }
  }
  if (missing.length) {
    throw new StepError('secrets', `fill secret: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required but neither given nor stored`, {
      hint: `Set ${missing.map((k) => `${k}=...`).join(' ')} in the environment, or run deploy-wizard secrets set ${missing[0]}, then run again.`,
    });
  }
  // A key the config marks replaceDerived keeps the user's value; every other derived key is the wizard's.
  const mine = await derived(ctx);
  for (const [k, v] of Object.entries(mine)) if (!ctx.config.secrets[k]?.replaceDerived) want[k] = v;
  for (const v of Object.values(want)) ctx.log.secret(v);
  return want;
}

const same = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

export const secrets: StepCode<'secrets'> = {
  // Values are deliberately not inputs (a hash of a short key is guessable): verify compares the live secret instead.
  async inputs(ctx) {
    // Services' own DATABASE_URL shapes (only when there are some, so other configs keep their input hash).
    const shapes = Object.values(ctx.config.services).flatMap((svc) => (svc.database ? [[svc.name, svc.database]] : []));
    return { spec: ctx.config.secrets, derived: derivedKeys(ctx.config), name: appSecretName(ctx), ...(shapes.length ? { shapes } : {}) };
  },

  async plan(ctx) {
    const cur = await current(ctx);
    const keys = [...Object.keys(ctx.config.secrets), ...derivedKeys(ctx.config)];
    if (!cur.arn) return [{ action: 'create', resource: `secret ${appSecretName(ctx)}`, detail: keys.join(', ') }];
    if (cur.deleted)
      return [{ action: 'update', resource: `secret ${appSecretName(ctx)}`, detail: 'scheduled for deletion: restore it (asks first, or --yes)' }];
    const newKeys = keys.filter((k) => cur.value[k] === undefined);
    const changed = Object.keys(ctx.settings.secretValues ?? {}).filter((k) => cur.value[k] !== undefined && cur.value[k] !== ctx.settings.secretValues![k]);
    const items: PlanItem[] = [
      {
        action: newKeys.length || changed.length ? 'update' : 'keep',
        resource: `secret ${appSecretName(ctx)}`,
        detail:
          [newKeys.length ? `add ${newKeys.join(', ')}` : '', changed.length ? `change ${changed.join(', ')}` : ''].filter(Boolean).join('; ') || undefined,
      },
    ];
    return items;
  },

  async apply(ctx) {
    const name = appSecretName(ctx);
    let cur = await current(ctx);
    if (cur.deleted) {
      if (!ctx.settings.restoreSecrets) {
        throw new StepError('secrets', `restore secret: ${name} is scheduled for deletion`, {
          hint: 'Run again and confirm the restore, or pass --yes to restore it without asking. Its keys come back with it.',
        });
      }
      ctx.log.warn(`restoring ${name}, which was scheduled for deletion`);
      await ctx.aws.secrets.send(new RestoreSecretCommand({ SecretId: name }));
      cur = await current(ctx);
    }
    const want = await desired(ctx, cur.value);
    const now = ctx.clock.now().toISOString();
    const prev = ctx.previous()?.changedAt ?? {};
    const changedAt = Object.fromEntries(Object.keys(want).map((k) => [k, cur.value[k] === want[k] && prev[k] ? prev[k]! : now]));
    let arn = cur.arn;
    if (!arn) {
      const token = String(ctx.intents.get('app-secret')?.clientRequestToken ?? randomUUID());
      await ctx.intents.record('app-secret', { secret: name, clientRequestToken: token });
      ctx.log.info(`creating secret ${name} with ${Object.keys(want).length} keys`);
      try {
        arn = (
          await ctx.aws.secrets.send(
            new CreateSecretCommand({
              Name: name,
              Description: `deploy-wizard: environment for ${ctx.app} (${ctx.env})`,
              SecretString: JSON.stringify(want),
              ClientRequestToken: token,
              Tags: ownershipTags(ctx, 'secrets'),
            }),
          )
        ).ARN;
      } catch (e) {
        // Created by the attempt a crash interrupted: fall through to the update path.
        if (!isError(e, 'ResourceExistsException')) throw e;
        return secrets.apply(ctx);
      }
    } else if (!same(cur.value, want)) {
      const changed = Object.keys(want).filter((k) => cur.value[k] !== want[k]);
      ctx.log.info(`updating secret ${name}: ${changed.join(', ')}`);
      await ctx.aws.secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(want) }));
    }
    // Read back: every key the task definition will reference must be there, or ECS fails at task start.
    const stored = await current(ctx);
    const lost = Object.keys(want).filter((k) => stored.value[k] === undefined);
    if (lost.length) throw new StepError('secrets', `check secret: ${name} is missing ${lost.join(', ')} after writing it`);
    return { arn: arn!, name, keys: Object.keys(want).sort(), changedAt };
  },

  async verify(ctx, out) {
    const cur = await current(ctx);
    if (!cur.arn || cur.deleted) return [{ name: `secret ${out.name}`, ok: false, detail: cur.deleted ? 'scheduled for deletion' : 'missing' }];
    const checks: Check[] = [];
    const missing = out.keys.filter((k) => cur.value[k] === undefined);
    checks.push({ name: `secret ${out.name} keys`, ok: missing.length === 0, detail: missing.length ? `missing ${missing.join(', ')}` : undefined });
    const given = Object.entries(ctx.settings.secretValues ?? {})
      .filter(([k, v]) => cur.value[k] !== v)
      .map(([k]) => k);
    checks.push({ name: 'asked values', ok: given.length === 0, detail: given.length ? `new values for ${given.join(', ')}` : undefined });
    const want = await derived(ctx);
    const stale = Object.entries(want)
      .filter(([k, v]) => cur.value[k] !== v)
      .map(([k]) => k);
    checks.push({ name: 'derived values', ok: stale.length === 0, detail: stale.length ? `stale ${stale.join(', ')}` : undefined });
    return checks;
  },

  summary(out) {
    return { rows: [['Secret', `${out.name} (${out.keys.length} keys; deploy-wizard secrets list)`]] };
  },
};
