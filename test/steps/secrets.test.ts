import { describe, expect, it } from 'vitest';
import { CreateSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { secrets } from '../../steps/secrets/apply.js';
import { StepError } from '../../src/errors.js';
import { stepContext } from '../helpers/step-context.js';

const SPEC = { JWT_SECRET: { generate: 'hex-32' }, STRIPE_KEY: { prompt: 'Stripe key' }, SENTRY_DSN: { prompt: 'Sentry DSN', optional: true } };

function context(values: Record<string, string>) {
  const t = stepContext({ secrets: SPEC });
  t.ctx.settings = { ...t.ctx.settings, secretValues: values };
  return t;
}

async function stored(ctx: ReturnType<typeof context>['ctx']) {
  const v = await ctx.aws.secrets.send(new GetSecretValueCommand({ SecretId: `${ctx.app}/prod` }));
  const versions = (await ctx.aws.secrets.send(new ListSecretVersionIdsCommand({ SecretId: `${ctx.app}/prod` }))).Versions!.length;
  return { value: JSON.parse(v.SecretString!), versions };
}

describe('secrets', () => {
  it('writes generated and asked keys once; a run with nothing new writes no version; a changed asked value writes one', async () => {
    const { ctx } = context({ STRIPE_KEY: 'sk_test_first' });
    const out = await secrets.apply(ctx);
    expect(out.keys).toEqual(['JWT_SECRET', 'STRIPE_KEY']);
    const first = await stored(ctx);
    expect(first.value.JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(first.value.STRIPE_KEY).toBe('sk_test_first');
    expect(JSON.stringify(out)).not.toContain('sk_test_first');

    await secrets.apply(ctx);
    expect((await stored(ctx)).versions).toBe(first.versions);
    expect((await stored(ctx)).value.JWT_SECRET).toBe(first.value.JWT_SECRET);

    ctx.settings = { ...ctx.settings, secretValues: { STRIPE_KEY: 'sk_test_second' } };
    expect(await secrets.verify(ctx, out)).toContainEqual(expect.objectContaining({ name: 'asked values', ok: false, detail: 'new values for STRIPE_KEY' }));
    await secrets.apply(ctx);
    const after = await stored(ctx);
    expect(after.versions).toBe(first.versions + 1);
    expect(after.value).toMatchObject({ STRIPE_KEY: 'sk_test_second', JWT_SECRET: first.value.JWT_SECRET });
  });

  it('a required asked key neither given nor stored fails naming it; an optional one is simply absent', async () => {
    const { ctx } = context({});
    const err = await secrets.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toBe('fill secret: STRIPE_KEY is required but neither given nor stored');
  });

  it('an existing secret that is not ours is never adopted, and its value is never quoted', async () => {
    const { ctx } = context({ STRIPE_KEY: 'x' });
    await ctx.aws.secrets.send(new CreateSecretCommand({ Name: `${ctx.app}/prod`, SecretString: 'someone-elses-value-0123' }));
    const err = await secrets.apply(ctx).catch((e) => e);
    expect(err.message).toMatch(/adopt secret: .* exists but was not created by deploy-wizard/);
    expect(`${err.message} ${err.hint}`).not.toContain('someone-else');
  });
});

describe('derived keys shaped for the app', () => {
  /** Real role and AUTH secrets in moto, as the rds and elasticache steps leave them, and their outputs. */
  async function withStores(config: Record<string, unknown>, values: Record<string, string> = {}, transitEncryption = true) {
    const t = stepContext(config);
    t.ctx.settings = { ...t.ctx.settings, secretValues: values };
    const role = await t.ctx.aws.secrets.send(
      new CreateSecretCommand({ Name: `${t.app}/prod/db-app`, SecretString: JSON.stringify({ username: `${t.app}_app`, password: 'p@ss/w0rd:x' }) }),
    );
    const auth = await t.ctx.aws.secrets.send(new CreateSecretCommand({ Name: `${t.app}/prod/redis-auth`, SecretString: JSON.stringify({ token: 'tok' }) }));
    t.ctx.output = ((id: string) =>
      ({
        rds: { endpoint: 'db.example.internal', port: 5432, dbName: 'app', appSecretArn: role.ARN, masterSecretArn: role.ARN },
        elasticache: { authSecretArn: auth.ARN, primaryEndpoint: 'cache.example.internal', port: 6379, transitEncryption },
      })[id]) as any;
    await secrets.apply(t.ctx);
    return (await stored(t.ctx)).value;
  }

  it('a SQLAlchemy+asyncpg URL with asyncpg TLS, the parts as keys, and a plain REDIS_URL only when the cache has no TLS', async () => {
    const v = await withStores(
      { database: { name: 'app', driver: 'asyncpg', urlScheme: 'postgresql+asyncpg', urlParts: true }, cache: { transitEncryption: false } },
      {},
      false,
    );
    expect(v.DATABASE_URL).toBe(`postgresql+asyncpg://${v.DB_USER}:p%40ss%2Fw0rd%3Ax@db.example.internal:5432/app?ssl=require`);
    expect([v.DB_HOST, v.DB_PORT, v.DB_NAME, v.DB_PASSWORD]).toEqual(['db.example.internal', '5432', 'app', 'p@ss/w0rd:x']);
    expect(v.REDIS_URL).toBe('redis://cache.example.internal:6379');
  });

  it('the derived key wins unless the config says replaceDerived; then the given value is kept', async () => {
    const derived = await withStores({ database: { name: 'app' }, cache: {} });
    expect(derived.DATABASE_URL).toMatch(/^postgresql:\/\/.*\?sslmode=require$/);
    expect(derived.REDIS_URL).toBe('rediss://:tok@cache.example.internal:6379');
    const mine = await withStores(
      { database: { name: 'app' }, secrets: { DATABASE_URL: { prompt: 'pooled URL', replaceDerived: true } } },
      { DATABASE_URL: 'postgresql://pooler.internal/app' },
    );
    expect(mine.DATABASE_URL).toBe('postgresql://pooler.internal/app');
  });
});
