// What a key in .env.example tells init. Keys the wizard derives (the
// database URL, Redis, buckets, Cognito) also say which components the app
// needs; keys that are the app's own randomness are generated; keys a vendor
// issues are asked. Vendor rules come first: STRIPE_WEBHOOK_SECRET ends in
// _SECRET, but only Stripe can give it.

export type Component = 'database' | 'cache' | 'buckets' | 'cognito';
export type KeyKind = 'derived' | 'bucket' | 'platform' | 'generate' | 'ask';

export interface KeyVerdict {
  kind: KeyKind;
  component?: Component;
  /** DB_HOST and friends: derived only with database.urlParts. */
  urlParts?: boolean;
}

const DERIVED: [RegExp, KeyVerdict][] = [
  [/^DATABASE_URL$/, { kind: 'derived', component: 'database' }],
  [/^DB_(HOST|PORT|NAME|USER|PASSWORD)$/, { kind: 'derived', component: 'database', urlParts: true }],
  [/^REDIS_URL$/, { kind: 'derived', component: 'cache' }],
  [/^COGNITO_(USER_POOL_ID|CLIENT_ID|CLIENT_SECRET)$/, { kind: 'derived', component: 'cognito' }],
  // Not secrets: the bucket's name, set in plain environment once the bucket is named.
  [/^(S3_BUCKET|AWS_S3_BUCKET|[A-Z0-9_]+_BUCKET)(_NAME)?$/, { kind: 'bucket', component: 'buckets' }],
];

/** Set by the platform or the wizard, never a secret to store. */
const PLATFORM =
  /^(AWS_[A-Z_]+|PORT|HOST|NODE_ENV|RAILS_ENV|RACK_ENV|DJANGO_SETTINGS_MODULE|PYTHONUNBUFFERED|TZ|LOG_LEVEL|DEBUG|NEXT_PUBLIC_[A-Z0-9_]+|VITE_[A-Z0-9_]+)$/;

const VENDOR = [
  /^(STRIPE|TWILIO|SENDGRID|MAILGUN|POSTMARK|RESEND|SENTRY|OPENAI|ANTHROPIC|GROQ|CLAUDE|VOYAGE|PINECONE|GITHUB|GOOGLE|SLACK|TELEGRAM|DISCORD|SHOPIFY|PAYPAL|ALGOLIA|MAPBOX)_/,
  /_(API_KEY|APIKEY|TOKEN|ACCESS_TOKEN|DSN|CLIENT_ID|CLIENT_SECRET|ACCESS_KEY|ACCESS_KEY_ID|SECRET_ACCESS_KEY|WEBHOOK_SECRET|WEBHOOK_URL|PUBLISHABLE_KEY|PRICE_ID)$/,
];

const GENERATED = [/^(SECRET_KEY_BASE|SECRET_KEY|APP_KEY|APP_SECRET)$/, /_(SECRET|SIGNING_KEY|SIGNING_SECRET|ENCRYPTION_KEY|HMAC_KEY|SALT|PEPPER)$/];

export function classifyEnvKey(key: string): KeyVerdict {
  for (const [re, verdict] of DERIVED) if (re.test(key)) return verdict;
  if (PLATFORM.test(key)) return { kind: 'platform' };
  if (VENDOR.some((re) => re.test(key))) return { kind: 'ask' };
  if (GENERATED.some((re) => re.test(key))) return { kind: 'generate' };
  return { kind: 'ask' };
}
