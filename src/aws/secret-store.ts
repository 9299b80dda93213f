import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import type { StepContext } from '../context.js';
import { StepError } from '../errors.js';
import { ownershipTags, type StepId } from '../../steps/step.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random letters and digits: safe in URLs, RDS passwords and Redis AUTH tokens alike. */
export function randomAlnum(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  for (const b of bytes) {
    if (b < 248) out += ALNUM[b % 62];
    if (out.length === length) return out;
  }
  return out + randomAlnum(length - out.length);
}

async function describe(ctx: StepContext, name: string): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await ctx.aws.secrets.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return undefined;
    throw e;
  }
}

async function readString(ctx: StepContext, arn: string): Promise<string> {
  const v = await ctx.aws.secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  if (v.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
  ctx.log.secret(v.SecretString);
  return v.SecretString;
}

/**
 * A secret whose value the wizard generates once and keeps: database master
 * passwords, Redis AUTH tokens. It is stored before the resource that uses it
 * is created, so no crash point can lose it; later runs read it back.
 * A secret scheduled for deletion is restored: it still guards live data.
 */
export async function ensureGeneratedSecret(
  ctx: StepContext,
  step: StepId,
  name: string,
  description: string,
  generate: () => Record<string, string>,
): Promise<{ arn: string; value: Record<string, string> }> {
  let found = await describe(ctx, name);
  if (found?.DeletedDate) {
    ctx.log.warn(`secret ${name} was scheduled for deletion; restoring it because the resource it protects still uses it`);
    await ctx.aws.secrets.send(new RestoreSecretCommand({ SecretId: name }));
    found = await describe(ctx, name);
  }
  if (!found) {
    // The token makes CreateSecret idempotent: a retry after a crash cannot make a second version.
    const token = String(ctx.intents.get(`secret:${name}`)?.clientRequestToken ?? randomUUID());
    await ctx.intents.record(`secret:${name}`, { secret: name, clientRequestToken: token });
    const value = generate();
    for (const v of Object.values(value)) ctx.log.secret(v);
    try {
      const res = await ctx.aws.secrets.send(
        new CreateSecretCommand({
          Name: name,
          Description: description,
          SecretString: JSON.stringify(value),
          ClientRequestToken: token,
          Tags: ownershipTags(ctx, step),
        }),
      );
      return { arn: res.ARN!, value };
    } catch (e) {
      if ((e as Error).name !== 'ResourceExistsException') throw e;
      found = await describe(ctx, name);
      if (!found) throw e;
    }
  }
  const tags = found.Tags ?? [];
  if (!tags.some((t) => t.Key === 'deploy-wizard:app' && t.Value === ctx.app)) {
    throw new StepError(step, `adopt secret: ${name} exists but was not created by deploy-wizard`, {
      hint: `Delete or rename it, or tag it deploy-wizard:app=${ctx.app} if it holds the credentials the wizard should use.`,
    });
  }
  return { arn: found.ARN!, value: JSON.parse(await readString(ctx, found.ARN!)) as Record<string, string> };
}

/** The app's one secret, `<app>/<env>`: a JSON object of every key the app gets. */
export const appSecretName = (ctx: Pick<StepContext, 'app' | 'env'>) => `${ctx.app}/${ctx.env}`;

/**
 * Sets keys in the app secret, keeping every other key. Writes a new version
 * only when the content differs, so an unchanged run adds no version.
 */
export async function mergeAppSecret(ctx: StepContext, step: StepId, keys: Record<string, string>): Promise<{ arn: string; changed: boolean }> {
  for (const v of Object.values(keys)) ctx.log.secret(v);
  const name = appSecretName(ctx);
  let found = await describe(ctx, name);
  if (!found) {
    await ensureGeneratedSecret(ctx, step, name, `deploy-wizard: environment for ${ctx.app} (${ctx.env})`, () => keys);
    found = await describe(ctx, name);
    if (!found) throw new Error(`secret ${name} was created but cannot be described`);
  }
  if (found.DeletedDate) {
    throw new StepError(step, `update secret: ${name} is scheduled for deletion`, {
      hint: `Restore it (aws secretsmanager restore-secret --secret-id ${name}) or run again once the secrets step can restore it on confirmation.`,
    });
  }
  const current = JSON.parse(await readString(ctx, found.ARN!)) as Record<string, string>;
  const merged = { ...current, ...keys };
  if (Object.entries(keys).every(([k, v]) => current[k] === v)) return { arn: found.ARN!, changed: false };
  await ctx.aws.secrets.send(new PutSecretValueCommand({ SecretId: found.ARN!, SecretString: JSON.stringify(merged) }));
  return { arn: found.ARN!, changed: true };
}

/** True when the app secret holds these keys with these values (read-only; for verify). */
export async function appSecretHas(ctx: StepContext, keys: Record<string, string>): Promise<boolean> {
  const found = await describe(ctx, appSecretName(ctx));
  if (!found || found.DeletedDate) return false;
  const current = JSON.parse(await readString(ctx, found.ARN!)) as Record<string, string>;
  return Object.entries(keys).every(([k, v]) => current[k] === v);
}

/** A JSON secret's value by ARN, registered for redaction; undefined when it cannot be read. */
export async function readSecretJson(ctx: StepContext, arn: string): Promise<Record<string, string> | undefined> {
  try {
    const value = JSON.parse(await readString(ctx, arn)) as Record<string, string>;
    for (const v of Object.values(value)) ctx.log.secret(v);
    return value;
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return undefined;
    throw e;
  }
}
