import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RestoreSecretCommand,
  type DescribeSecretCommandOutput,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { StepContext } from '../pipeline/context.js';
import { StepError } from '../errors.js';
import { ownedBy, ownershipTags, type StepId } from '../pipeline/step.js';
import { unlessNotFound, isError } from '../aws/not-found.js';

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
  return unlessNotFound(ctx.aws.secrets.send(new DescribeSecretCommand({ SecretId: name })), 'ResourceNotFoundException');
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
      if (!isError(e, 'ResourceExistsException')) throw e;
      found = await describe(ctx, name);
      if (!found) throw e;
    }
  }
  const tags = found.Tags ?? [];
  if (!ownedBy(ctx, tags)) {
    throw new StepError(step, `adopt secret: ${name} exists but was not created by deploy-wizard`, {
      hint: `Delete or rename it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} if it holds the credentials the wizard should use.`,
    });
  }
  const value = parseSecretObject(await readString(ctx, found.ARN!), name, step);
  for (const v of Object.values(value)) ctx.log.secret(v);
  return { arn: found.ARN!, value };
}

/**
 * A secret's string as a JSON object of string values. Never JSON.parse a
 * secret bare: its error message quotes the start of the input, which would
 * put part of the value on stderr, in --json output and in the state file.
 */
export function parseSecretObject(text: string | undefined, name: string, step = 'secrets'): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '{}');
  } catch {
    throw new StepError(step, `read secret: ${name} does not hold a JSON object (its value is not shown)`, {
      hint: `The wizard keeps key/value pairs in ${name} as JSON. Put the value back as a JSON object (aws secretsmanager put-secret-value --secret-id ${name} --secret-string file://value.json), or delete the secret so the wizard recreates it.`,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StepError(
      step,
      `read secret: ${name} holds a JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, not an object of keys (its value is not shown)`,
      {
        hint: `Put the value back as a JSON object of keys, or delete the secret so the wizard recreates it.`,
      },
    );
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

/** A JSON secret's value by ARN, registered for redaction; undefined when it cannot be read. */
export async function readSecretJson(ctx: StepContext, arn: string): Promise<Record<string, string> | undefined> {
  try {
    const value = parseSecretObject(await readString(ctx, arn), arn);
    for (const v of Object.values(value)) ctx.log.secret(v);
    return value;
  } catch (e) {
    if (isError(e, 'ResourceNotFoundException')) return undefined;
    throw e;
  }
}

/** Whether the secret exists and is scheduled for deletion (a destroy that kept the data ran, then a deploy). Unreadable counts as no. */
export async function scheduledForDeletion(client: SecretsManagerClient, name: string): Promise<boolean> {
  try {
    return (await describeSecretByName(client, name)).deleted;
  } catch {
    return false;
  }
}

/** A JSON secret's keys and values, by name or ARN (`what` names it in a parse error). Errors are the SDK's, for the caller to name. */
export async function getSecretObject(client: SecretsManagerClient, id: string, what = id): Promise<Record<string, string>> {
  return parseSecretObject((await client.send(new GetSecretValueCommand({ SecretId: id }))).SecretString, what);
}

/** A new version of a JSON secret. */
export async function putSecretObject(client: SecretsManagerClient, id: string, value: Record<string, string>): Promise<void> {
  await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: JSON.stringify(value) }));
}

/** The secret's ARN and whether it is scheduled for deletion; the SDK's ResourceNotFoundException when there is none. */
export async function describeSecretByName(client: SecretsManagerClient, name: string): Promise<{ arn: string; deleted: boolean }> {
  const d = await client.send(new DescribeSecretCommand({ SecretId: name }));
  return { arn: d.ARN!, deleted: !!d.DeletedDate };
}
