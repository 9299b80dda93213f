import {
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
  type ExplicitAuthFlowsType,
  type UpdateUserPoolCommandInput,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { StepContext } from '../../src/pipeline/context.js';
import { isTransient } from '../../src/aws/not-found.js';
import type { Check, PlanItem } from '../../src/pipeline/step.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface CognitoOutput {
  userPoolId: string;
  userPoolArn: string;
  clientId: string;
  clientName: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    cognito: CognitoOutput;
  }
}

export const poolName = (ctx: Pick<StepContext, 'app' | 'env'>) => `${ctx.app}-${ctx.env}`;
const clientName = (ctx: StepContext) => `${ctx.app}-${ctx.env}-web`;
const cfg = (ctx: StepContext) => ctx.config.auth!.cognito!;
const ownTags = (ctx: StepContext) => ({ 'deploy-wizard:app': ctx.app, 'deploy-wizard:env': ctx.env, 'deploy-wizard:step': 'cognito' });

function passwordPolicy(ctx: StepContext) {
  return {
    MinimumLength: cfg(ctx).passwordMinLength,
    RequireUppercase: true,
    RequireLowercase: true,
    RequireNumbers: true,
    RequireSymbols: true,
    TemporaryPasswordValidityDays: 7,
  };
}

/** Every pool named like ours that carries our tags. ListUserPools is paged and returns names only. */
export async function findPools(ctx: StepContext): Promise<UserPoolType[]> {
  const out: UserPoolType[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.aws.cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken }));
    for (const p of page.UserPools ?? []) {
      if (p.Name !== poolName(ctx)) continue;
      const pool = (await ctx.aws.cognito.send(new DescribeUserPoolCommand({ UserPoolId: p.Id }))).UserPool;
      if (pool?.UserPoolTags?.['deploy-wizard:app'] === ctx.app && pool.UserPoolTags['deploy-wizard:env'] === ctx.env) out.push(pool);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

async function findPool(ctx: StepContext): Promise<UserPoolType | undefined> {
  const pools = await findPools(ctx);
  if (pools.length > 1) {
    // Only a create that was not recorded could make twins; keep the oldest and say so.
    pools.sort((a, b) => (a.CreationDate?.getTime() ?? 0) - (b.CreationDate?.getTime() ?? 0));
    ctx.log.warn(`found ${pools.length} user pools named ${poolName(ctx)} with our tags; using the oldest, ${pools[0]!.Id}. Delete the others by hand.`);
  }
  return pools[0];
}

function poolDrift(ctx: StepContext, pool: UserPoolType, mfa: string | undefined): string[] {
  const want = passwordPolicy(ctx);
  const have = pool.Policies?.PasswordPolicy ?? {};
  const drift: string[] = [];
  if (Object.entries(want).some(([k, v]) => have[k as keyof typeof have] !== v)) drift.push('password policy');
  if ((mfa ?? pool.MfaConfiguration ?? 'OFF') !== cfg(ctx).mfa) drift.push(`MFA ${mfa ?? pool.MfaConfiguration} → ${cfg(ctx).mfa}`);
  const protection = ctx.env === 'prod' ? 'ACTIVE' : 'INACTIVE';
  if (pool.DeletionProtection && pool.DeletionProtection !== protection) drift.push(`deletion protection → ${protection}`);
  return drift;
}

async function mfaOf(ctx: StepContext, poolId: string): Promise<string | undefined> {
  return (await ctx.aws.cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }))).MfaConfiguration;
}

async function setMfa(ctx: StepContext, poolId: string): Promise<void> {
  const mfa = cfg(ctx).mfa;
  await ctx.aws.cognito.send(
    new SetUserPoolMfaConfigCommand({
      UserPoolId: poolId,
      MfaConfiguration: mfa,
      ...(mfa === 'OFF' ? {} : { SoftwareTokenMfaConfiguration: { Enabled: true } }),
    }),
  );
}

/**
 * Every setting UpdateUserPool accepts. It resets whatever it is not given
 * (Lambda triggers, email and SMS configuration, message templates, add-ons),
 * so each one is sent back as DescribeUserPool reported it; only what the
 * wizard manages is replaced.
 */
const CARRIED = [
  'LambdaConfig',
  'AutoVerifiedAttributes',
  'SmsVerificationMessage',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'VerificationMessageTemplate',
  'SmsAuthenticationMessage',
  'UserAttributeUpdateSettings',
  'MfaConfiguration',
  'DeviceConfiguration',
  'EmailConfiguration',
  'SmsConfiguration',
  'AdminCreateUserConfig',
  'UserPoolAddOns',
  'DcrConfiguration',
  'AccountRecoverySetting',
  'UserPoolTier',
  'KeyConfiguration',
  'IssuerConfiguration',
  'AcrConfiguration',
] as const satisfies readonly (keyof UpdateUserPoolCommandInput & keyof UserPoolType)[];

/** UpdateUserPool resets every setting it is not given: what an update carries over from the pool as it is. */
function carriedOf(pool: UserPoolType): Record<string, unknown> {
  const carried: Record<string, unknown> = {};
  for (const k of CARRIED) if (pool[k] !== undefined) carried[k] = pool[k];
  if (pool.AdminCreateUserConfig) {
    // Describe still reports the deprecated UnusedAccountValidityDays; Update refuses it next to the password policy's TemporaryPasswordValidityDays.
    const { UnusedAccountValidityDays: _old, ...rest } = pool.AdminCreateUserConfig;
    carried.AdminCreateUserConfig = rest;
  }
  return carried;
}

/** The update that only turns deletion protection off, before destroy --delete-data deletes the pool. */
export function unprotectInput(pool: UserPoolType): UpdateUserPoolCommandInput {
  return { ...carriedOf(pool), UserPoolId: pool.Id, Policies: pool.Policies, DeletionProtection: 'INACTIVE', UserPoolTags: pool.UserPoolTags };
}

export function updateInput(ctx: StepContext, pool: UserPoolType): UpdateUserPoolCommandInput {
  return {
    ...carriedOf(pool),
    UserPoolId: pool.Id,
    Policies: { ...pool.Policies, PasswordPolicy: passwordPolicy(ctx) },
    DeletionProtection: ctx.env === 'prod' ? 'ACTIVE' : 'INACTIVE',
    UserPoolTags: { ...pool.UserPoolTags, ...ownTags(ctx) },
  };
}

async function ensurePool(ctx: StepContext): Promise<UserPoolType> {
  let pool = await findPool(ctx);
  if (!pool) {
    // CreateUserPool has no idempotency token: a crash right after it must lead
    // to adoption (found by name and tags above), never to a second pool.
    await ctx.intents.record('user-pool', { name: poolName(ctx) });
    ctx.log.info(`creating Cognito user pool ${poolName(ctx)}`);
    const input = new CreateUserPoolCommand({
      PoolName: poolName(ctx),
      Policies: { PasswordPolicy: passwordPolicy(ctx) },
      AutoVerifiedAttributes: ['email'],
      UsernameAttributes: ['email'],
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      DeletionProtection: ctx.env === 'prod' ? 'ACTIVE' : 'INACTIVE',
      UserPoolTags: ownTags(ctx),
    });
    // Sent without the SDK's retries: after any error the pool is looked for by name and tags (the call
    // may have landed with its answer lost) before the create is tried again.
    let created: { UserPool?: UserPoolType } | undefined;
    for (let attempt = 1; !created; attempt++) {
      try {
        created = await ctx.aws.cognitoOnce.send(input);
      } catch (e) {
        const landed = await findPool(ctx);
        if (landed) {
          ctx.log.info(`user pool ${poolName(ctx)} was created though its answer was lost; adopting it`);
          created = { UserPool: landed };
          break;
        }
        if (attempt >= 5 || !isTransient(e)) throw e;
        await ctx.clock.sleep(Math.min(8_000, 250 * 2 ** attempt), ctx.signal);
      }
    }
    pool = created.UserPool!;
    await setMfa(ctx, pool.Id!);
    return (await ctx.aws.cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).UserPool!;
  }
  const mfa = await mfaOf(ctx, pool.Id!);
  const drift = poolDrift(ctx, pool, mfa);
  if (drift.some((d) => d !== `MFA ${mfa} → ${cfg(ctx).mfa}`)) {
    ctx.log.info(`updating user pool ${poolName(ctx)}: ${drift.join(', ')}`);
    await ctx.aws.cognito.send(new UpdateUserPoolCommand(updateInput(ctx, pool)));
  }
  if ((mfa ?? 'OFF') !== cfg(ctx).mfa) await setMfa(ctx, pool.Id!);
  return pool;
}

async function findClient(ctx: StepContext, poolId: string): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await ctx.aws.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 60, NextToken }));
    const hit = page.UserPoolClients?.find((c) => c.ClientName === clientName(ctx));
    if (hit) return hit.ClientId;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

async function ensureClient(ctx: StepContext, poolId: string): Promise<string> {
  const flows = cfg(ctx).authFlows as ExplicitAuthFlowsType[];
  const id = await findClient(ctx, poolId);
  if (!id) {
    await ctx.intents.record('user-pool-client', { name: clientName(ctx), pool: poolId });
    ctx.log.info(`creating app client ${clientName(ctx)}`);
    const res = await ctx.aws.cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: clientName(ctx),
        GenerateSecret: true,
        ExplicitAuthFlows: flows,
        PreventUserExistenceErrors: 'ENABLED',
      }),
    );
    return res.UserPoolClient!.ClientId!;
  }
  const client = (await ctx.aws.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: id }))).UserPoolClient!;
  const sameFlows = [...(client.ExplicitAuthFlows ?? [])].sort().join() === [...flows].sort().join();
  if (!sameFlows || client.PreventUserExistenceErrors !== 'ENABLED') {
    ctx.log.info(`updating app client ${clientName(ctx)}: auth flows ${flows.join(', ')}`);
    // Like UpdateUserPool, this resets what it is not given: carry the current settings over.
    await ctx.aws.cognito.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientId: id,
        ClientName: client.ClientName,
        RefreshTokenValidity: client.RefreshTokenValidity,
        AccessTokenValidity: client.AccessTokenValidity,
        IdTokenValidity: client.IdTokenValidity,
        TokenValidityUnits: client.TokenValidityUnits,
        ReadAttributes: client.ReadAttributes,
        WriteAttributes: client.WriteAttributes,
        CallbackURLs: client.CallbackURLs,
        LogoutURLs: client.LogoutURLs,
        AllowedOAuthFlows: client.AllowedOAuthFlows,
        AllowedOAuthScopes: client.AllowedOAuthScopes,
        AllowedOAuthFlowsUserPoolClient: client.AllowedOAuthFlowsUserPoolClient,
        SupportedIdentityProviders: client.SupportedIdentityProviders,
        ExplicitAuthFlows: flows,
        PreventUserExistenceErrors: 'ENABLED',
      }),
    );
  }
  return id;
}

/** The client secret, read for the secrets step; it never goes into outputs or state. */
export const cognito: StepCode<'cognito'> = {
  async inputs(ctx) {
    return { ...cfg(ctx), pool: poolName(ctx) };
  },

  async plan(ctx) {
    const pool = await findPool(ctx);
    const items: PlanItem[] = [];
    if (!pool) {
      items.push({
        action: 'create',
        resource: `Cognito user pool ${poolName(ctx)}`,
        detail: `passwords ≥ ${cfg(ctx).passwordMinLength} chars, MFA ${cfg(ctx).mfa}`,
      });
      items.push({ action: 'create', resource: `app client ${clientName(ctx)}`, detail: 'with a secret (stored only in the app secret)' });
      return items;
    }
    const drift = poolDrift(ctx, pool, await mfaOf(ctx, pool.Id!));
    items.push({ action: drift.length ? 'update' : 'keep', resource: `Cognito user pool ${poolName(ctx)}`, detail: drift.join(', ') || pool.Id });
    items.push({ action: (await findClient(ctx, pool.Id!)) ? 'keep' : 'create', resource: `app client ${clientName(ctx)}` });
    return items;
  },

  async apply(ctx) {
    const pool = await ensurePool(ctx);
    const clientId = await ensureClient(ctx, pool.Id!);
    return { userPoolId: pool.Id!, userPoolArn: pool.Arn!, clientId, clientName: clientName(ctx) };
  },

  async verify(ctx, out) {
    const pool = await findPool(ctx);
    if (!pool || pool.Id !== out.userPoolId) return [{ name: `user pool ${poolName(ctx)}`, ok: false, detail: 'missing' }];
    const drift = poolDrift(ctx, pool, await mfaOf(ctx, pool.Id!));
    const checks: Check[] = [{ name: `user pool ${poolName(ctx)}`, ok: drift.length === 0, detail: drift.join(', ') || undefined }];
    checks.push({ name: `app client ${out.clientName}`, ok: (await findClient(ctx, pool.Id!)) === out.clientId });
    return checks;
  },

  summary(out) {
    return { rows: [['Cognito', `${out.userPoolId}, client ${out.clientId}`]] };
  },
};
