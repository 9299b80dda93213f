import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { derivedKeys } from '../../../src/secrets/derived-keys.js';
import { keysFor, secretEnvFor } from '../../../src/secrets/secret-version.js';
import { configProblems } from '../../helpers/config-problems.js';

const base = {
  images: { backend: {}, frontend: {} },
  database: { name: 'arbiter' },
  secrets: { NEXTAUTH_SECRET: { generate: 'base64-32' }, STRIPE_KEY: { prompt: 'Stripe key' } },
};
const services = {
  api: { image: 'backend', port: 8000, routes: ['/api/*'], database: { driver: 'asyncpg', urlScheme: 'postgresql+asyncpg' } },
  web: {
    image: 'frontend',
    port: 3000,
    routes: ['/*'],
    secrets: ['STRIPE_KEY', 'DATABASE_URL', { AUTH_SECRET: 'NEXTAUTH_SECRET' }],
    database: { driver: 'node-postgres' },
  },
  worker: { image: 'backend' },
};

describe('secrets shaped per service', () => {
  it('maps a variable to another key, gives a service its own DATABASE_URL shape, and leaves the others theirs', () => {
    const config = parseConfig(JSON.stringify({ app: 'arbiter', region: 'us-east-1', ...base, services }), 'test', 'prod');
    const keys = [...derivedKeys(config), 'NEXTAUTH_SECRET', 'STRIPE_KEY'];
    expect(derivedKeys(config)).toEqual(['DATABASE_URL', 'DATABASE_URL_API', 'DATABASE_URL_WEB']);
    const env = (name: string) => secretEnvFor(config.services[name]!, keys, config).map((e) => `${e.name}=${e.key}`);
    expect(env('web')).toEqual(['AUTH_SECRET=NEXTAUTH_SECRET', 'DATABASE_URL=DATABASE_URL_WEB', 'STRIPE_KEY=STRIPE_KEY']);
    expect(env('api')).toEqual(['DATABASE_URL=DATABASE_URL_API', 'NEXTAUTH_SECRET=NEXTAUTH_SECRET', 'STRIPE_KEY=STRIPE_KEY']);
    // A service that lists nothing gets every key but the other services' own shapes.
    expect(env('worker')).toEqual(['DATABASE_URL=DATABASE_URL', 'NEXTAUTH_SECRET=NEXTAUTH_SECRET', 'STRIPE_KEY=STRIPE_KEY']);
    // A rotated NEXTAUTH_SECRET rolls the web service too, which reads it as AUTH_SECRET.
    expect(keysFor(config.services.web!, ['NEXTAUTH_SECRET'], config)).toEqual(['NEXTAUTH_SECRET']);
  });

  it('names the key: an unknown key, a variable twice or also plain, a shape without a database', () => {
    const with_ = (web: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      configProblems({ ...base, ...extra, service: undefined, image: undefined, services: { ...services, web: { ...services.web, ...web } } });
    expect(with_({ secrets: [{ AUTH_SECRET: 'NOPE' }] })).toMatch(/services\.web\.secrets\[0\]: NOPE is not a secret of this app/);
    expect(with_({ secrets: ['STRIPE_KEY', { STRIPE_KEY: 'NEXTAUTH_SECRET' }] })).toMatch(/services\.web\.secrets\[1\]: STRIPE_KEY is listed twice/);
    expect(with_({ secrets: [{ AUTH_SECRET: 'NEXTAUTH_SECRET' }], environment: { AUTH_SECRET: 'x' } })).toMatch(
      /services\.web\.secrets\[0\]: AUTH_SECRET is also in this service's environment/,
    );
    expect(with_({ secrets: [{ A: 'STRIPE_KEY', B: 'STRIPE_KEY' }] })).toMatch(/one \{ "ENV_NAME": "SECRET_KEY" \} per entry/);
    expect(with_({}, { database: undefined })).toMatch(/services\.api\.database: needs the app-level "database"/);
  });
});
