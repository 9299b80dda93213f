import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ROOT, standinEnv } from '../helpers/cli.js';
import { KEY, terminal } from '../helpers/terminal.js';

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dw-init-'));
  mkdirSync(join(dir, 'web'));
  writeFileSync(join(dir, 'web', 'Dockerfile'), 'FROM scratch\nEXPOSE 4000\n');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@acme/Shop-Front' }));
  writeFileSync(join(dir, '.env.example'), 'DATABASE_URL=postgres://x\nSTRIPE_KEY=sk_test\nSESSION_SECRET=abc\nDEBUG_TOKEN=\n');
  return dir;
}

describe('init on a real terminal', () => {
  it('asks what it needs, offers what it found, and writes a config that loads', async () => {
    const dir = repo();
    const t = terminal(['init'], dir);
    await t.waitFor('App name');
    expect(t.screen()).toContain('shop-front'); // from package.json
    t.type(KEY.enter);
    await t.waitFor('AWS region');
    t.type(KEY.enter); // AWS_REGION from the environment
    await t.waitFor('Using web/Dockerfile');
    await t.waitFor(/Port the app listens on[\s\S]*4000/); // from EXPOSE
    t.type(KEY.enter);
    await t.waitFor('Health check path');
    t.type('\x7f'.repeat(10) + '/healthz' + KEY.enter);
    await t.waitFor('.env.example says database'); // DATABASE_URL: Postgres is already selected
    t.type(KEY.down + KEY.down + KEY.space + KEY.enter); // and buckets
    await t.waitFor('Bucket names');
    t.type('\x7f'.repeat(10) + 'uploads,reports' + KEY.enter);
    await t.waitFor('Bucket name prefix');
    t.type(KEY.enter);
    await t.waitFor('Serve the app at your own domain');
    t.type(KEY.enter); // no domain yet
    await t.waitFor('A static frontend to serve from the CDN');
    t.type(KEY.enter); // none
    await t.waitFor('Found 3 keys in .env.example'); // DATABASE_URL is derived, not asked
    await t.waitFor('STRIPE_KEY');
    t.type(KEY.enter); // ask at deploy
    await t.waitFor('SESSION_SECRET');
    t.type(KEY.enter); // generate: what it proposes for an app's own secret
    await t.waitFor('DEBUG_TOKEN');
    t.type(KEY.down + KEY.down + KEY.down + KEY.enter); // leave out
    expect(await t.exited).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    expect(config).toMatchObject({
      app: 'shop-front',
      region: 'us-east-1',
      image: { dockerfile: 'web/Dockerfile' },
      service: { port: 4000, healthCheckPath: '/healthz' },
      database: { extensions: ['vector'], name: 'shop_front' },
      buckets: { prefix: 'shop-front-', names: ['uploads', 'reports'] },
      secrets: { STRIPE_KEY: { prompt: 'STRIPE_KEY' }, SESSION_SECRET: { generate: 'hex-32' } },
    });
    expect(config.secrets.DEBUG_TOKEN).toBeUndefined();
    expect(config.cache).toBeUndefined();
  });

  it('a multi-service repo: services from the Procfile, data stores and keys from .env.example, the cost as choices are made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-init-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'next-shop', dependencies: { next: '15.0.0' } }));
    writeFileSync(join(dir, 'Procfile'), 'web: npm start\nworker: node worker.js\nrelease: npx prisma migrate deploy\n');
    writeFileSync(join(dir, '.env.example'), 'DATABASE_URL=\nREDIS_URL=\nJWT_SECRET=\nOPENAI_API_KEY=\n');
    const t = terminal(['init'], dir);
    // Waited for, not read at once: a prompt's lines reach the terminal in more than one write.
    await t.waitFor('Procfile: web (web), worker (worker), release (migrations)');
    await t.waitFor('App name');
    t.type(KEY.enter);
    await t.waitFor('AWS region');
    t.type(KEY.enter);
    await t.waitFor('Deploy the 2 processes from Procfile as services');
    t.type(KEY.enter); // yes
    await t.waitFor(/Port the app listens on[\s\S]*3000/); // Next.js
    t.type(KEY.enter);
    await t.waitFor(/Health check path[\s\S]*\/api\/health/);
    t.type(KEY.enter);
    await t.waitFor('What does the app need?');
    t.type(KEY.enter); // Postgres and Redis, as .env.example says
    await t.waitFor('Serve the app at your own domain');
    t.type(KEY.enter); // no domain yet
    await t.waitFor('A static frontend to serve from the CDN');
    t.type(KEY.enter); // none
    await t.waitFor(/Estimated monthly cost[\s\S]*Fargate worker \(worker\)/);
    await t.waitFor(/Estimated monthly cost[\s\S]*RDS PostgreSQL[\s\S]*ElastiCache Redis/);
    await t.waitFor('JWT_SECRET');
    t.type(KEY.enter); // generate, as proposed
    await t.waitFor('OPENAI_API_KEY');
    t.type(KEY.enter); // ask at deploy, as proposed
    expect(await t.exited).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    expect(config).toMatchObject({
      app: 'next-shop',
      services: {
        web: { port: 3000, routes: ['/*'], healthCheckPath: '/api/health' },
        worker: { command: ['/bin/sh', '-c', 'node worker.js'] },
      },
      database: { name: 'next_shop' },
      cache: {},
      secrets: { JWT_SECRET: { generate: 'hex-32' }, OPENAI_API_KEY: { prompt: 'OPENAI_API_KEY' } },
      migrations: { command: ['/bin/sh', '-c', 'npx prisma migrate deploy'] },
    });
    expect(config.services.worker.port).toBeUndefined();
  });

  it('offers the hosted zones it finds and the built frontend it sees, and writes domain and site', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-init-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nEXPOSE 8000\n');
    mkdirSync(join(dir, 'web', 'dist'), { recursive: true });
    writeFileSync(join(dir, 'web', 'dist', 'index.html'), '<!doctype html>');
    // Named to sort before every zone other tests make (t…), so it is the first one offered.
    const zone = `a${Date.now().toString(36)}.example.com`;
    await new Route53Client({ region: 'us-east-1', endpoint: standinEnv().AWS_ENDPOINT_URL }).send(
      new CreateHostedZoneCommand({ Name: zone, CallerReference: zone }),
    );
    const t = terminal(['init'], dir);
    await t.waitFor('App name');
    t.type('\x7f'.repeat(40) + 'shop' + KEY.enter);
    await t.waitFor('AWS region');
    t.type(KEY.enter);
    await t.waitFor('Port the app listens on');
    t.type(KEY.enter);
    await t.waitFor('Health check path');
    t.type(KEY.enter);
    await t.waitFor('What does the app need?');
    t.type(KEY.enter);
    await t.waitFor(/Serve the app at your own domain over HTTPS\? \(Route 53 zones in this account: \d+\)/);
    await t.waitFor(`Yes, a name in ${zone}`);
    t.type(KEY.down + KEY.down + KEY.enter); // past "no" and "type it": the first zone found
    await t.waitFor(`Domain name (in ${zone})`);
    t.type(KEY.enter); // shop.<zone>
    await t.waitFor(/A static frontend to serve from the CDN[\s\S]*web\/dist\//);
    t.type(KEY.enter); // web/dist, as found
    await t.waitFor('single-page app');
    t.type(KEY.enter); // yes
    expect(await t.exited).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    expect(config).toMatchObject({
      domain: { name: `shop.${zone}`, zone },
      site: { dir: 'web/dist', spa: true },
      services: { web: { port: 8000, routes: ['/api/*'] } },
    });
  });

  it('with no AWS credentials, npx deploy-wizard asks nothing: exit 2 naming the credentials, before the first question', async () => {
    const dir = repo();
    const t = terminal([], dir, {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      // No instance metadata lookup: this machine is not on EC2, and the test sends nothing off it.
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(await t.exited).toBe(2);
    expect(t.screen()).toContain('check AWS credentials: no AWS credentials found');
    expect(t.screen()).not.toContain('App name');
    expect(existsSync(join(dir, 'deploy-wizard.json'))).toBe(false);
  });

  it('exits 130 on Ctrl-C at a prompt and writes nothing', async () => {
    const dir = repo();
    const t = terminal([], dir); // `npx deploy-wizard` with no config starts with the questions
    await t.waitFor('App name');
    t.type(KEY.enter);
    await t.waitFor('AWS region');
    t.type(KEY.ctrlC);
    expect(await t.exited).toBe(130);
    expect(existsSync(join(dir, 'deploy-wizard.json'))).toBe(false);
    expect(existsSync(join(dir, '.deploy-wizard'))).toBe(false);
  });

  it('npx deploy-wizard with no config: asks, writes the config, asks a secret masked, shows plan and cost, confirms, deploys through first-boot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-tty-'));
    cpSync(join(ROOT, 'fixtures/sample-app'), dir, {
      recursive: true,
      filter: (src) => !src.includes('/.deploy-wizard') && !src.endsWith('deploy-wizard.json'),
    });
    writeFileSync(join(dir, '.env.example'), 'API_TOKEN=\n');
    const app = `tty${Date.now().toString(36).slice(-5)}`;
    const secretValue = 'tty-secret-value-4242';
    const t = terminal([], dir);
    await t.waitFor('App name');
    t.type('\x7f'.repeat(40) + app + KEY.enter);
    await t.waitFor('AWS region');
    t.type(KEY.enter);
    await t.waitFor('Port the app listens on');
    t.type(KEY.enter); // 8080, from EXPOSE
    await t.waitFor('Health check path');
    t.type(KEY.enter);
    await t.waitFor('What does the app need?');
    t.type(KEY.enter); // nothing extra
    await t.waitFor('Serve the app at your own domain');
    t.type(KEY.enter); // no domain yet
    await t.waitFor('A static frontend to serve from the CDN');
    t.type(KEY.enter); // none
    await t.waitFor('API_TOKEN');
    t.type(KEY.enter); // ask for it at deploy
    await t.waitFor(/API_TOKEN \(API_TOKEN\)/); // the masked prompt for its value
    t.type(secretValue + KEY.enter);
    await t.waitFor('Deploy this?', 60_000);
    expect(t.screen()).toMatch(/\+ create\s+ECR repository/);
    expect(t.screen()).toMatch(/Total\s+\$\s*\d+\.\d\d\/month/);
    t.type(KEY.enter); // Yes
    await t.waitFor(`Deployed ${app} (prod)`, 120_000);
    expect(await t.exited).toBe(0);
    expect(t.screen()).toContain('Prove the app answers (first boot)');
    expect(t.screen()).not.toContain(secretValue);
    const config = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    expect(config).toMatchObject({ app, service: { port: 8080 }, secrets: { API_TOKEN: { prompt: 'API_TOKEN' } } });
    expect(readFileSync(join(dir, '.deploy-wizard', 'prod.state.json'), 'utf8')).not.toContain(secretValue);
  }, 180_000);
});
