import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCompose, parseProcfile, scanRepo, splitCommand } from '../../../src/init/scan-repo.js';
import { classifyEnvKey } from '../../../src/init/classify-env-key.js';
import { defaultAnswers, draftConfig } from '../../../src/init/draft-config.js';
import { parseConfig } from '../../../src/config/load-config.js';

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dw-scan-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('what init reads from a repo', () => {
  it('classifies .env.example keys: derived data stores, generated app secrets, asked vendor keys', () => {
    const kinds = Object.fromEntries(
      [
        'DATABASE_URL',
        'REDIS_URL',
        'JWT_SECRET',
        'OPENAI_API_KEY',
        'SECRET_KEY_BASE',
        'STRIPE_WEBHOOK_SECRET',
        'SESSION_SIGNING_KEY',
        'GITHUB_CLIENT_SECRET',
        'TELEGRAM_BOT_TOKEN',
        'UPLOADS_BUCKET',
        'COGNITO_USER_POOL_ID',
        'NODE_ENV',
        'DB_HOST',
      ].map((k) => [k, classifyEnvKey(k).kind]),
    );
    expect(kinds).toEqual({
      DATABASE_URL: 'derived',
      REDIS_URL: 'derived',
      JWT_SECRET: 'generate',
      OPENAI_API_KEY: 'ask',
      SECRET_KEY_BASE: 'generate',
      STRIPE_WEBHOOK_SECRET: 'ask',
      SESSION_SIGNING_KEY: 'generate',
      GITHUB_CLIENT_SECRET: 'ask',
      TELEGRAM_BOT_TOKEN: 'ask',
      UPLOADS_BUCKET: 'bucket',
      COGNITO_USER_POOL_ID: 'derived',
      NODE_ENV: 'platform',
      DB_HOST: 'derived',
    });
  });

  it('reads a Procfile (release is the migration) and a compose file (built services by published port; postgres and redis images are data stores)', () => {
    const p = parseProcfile('web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq\nrelease: bin/rails db:migrate\n');
    expect(p.processes.map((x) => [x.name, x.kind])).toEqual([
      ['web', 'web'],
      ['worker', 'worker'],
    ]);
    expect(p.release).toEqual(['/bin/sh', '-c', 'bin/rails db:migrate']);
    const c = parseCompose(`
services:
  web:
    build: { context: ./frontend, dockerfile: Dockerfile.prod }
    ports: ["127.0.0.1:3000:3000/tcp"]
  ai_service:
    build: ./ai
    expose: ["8000"]
  sidekiq:
    build: .
    command: ["bundle", "exec", "sidekiq"]
  db: { image: "ankane/pgvector:latest" }
  cache: { image: "redis:7-alpine" }
`);
    expect(c.processes).toEqual([
      { name: 'web', kind: 'web', port: 3000, context: 'frontend', dockerfile: 'frontend/Dockerfile.prod', source: 'docker-compose' },
      { name: 'ai-service', kind: 'web', port: 8000, context: 'ai', dockerfile: 'ai/Dockerfile', source: 'docker-compose' },
      { name: 'sidekiq', kind: 'worker', command: ['bundle', 'exec', 'sidekiq'], context: '.', dockerfile: 'Dockerfile', source: 'docker-compose' },
    ]);
    expect(c.components).toEqual(['database', 'cache']);
    expect(splitCommand(`sh -c "echo 'hi there'" --flag`)).toEqual(['sh', '-c', "echo 'hi there'", '--flag']);
  });

  it("the issue's Next.js repo: Postgres and Redis preselected, JWT_SECRET generated, OPENAI_API_KEY asked, port 3000 and /api/health, web and worker from the Procfile", async () => {
    const dir = repo({
      'package.json': JSON.stringify({ name: 'shop', dependencies: { next: '15.0.0' } }),
      Dockerfile: 'FROM node:20\n',
      '.env.example': 'DATABASE_URL=\nREDIS_URL=\nJWT_SECRET=\nOPENAI_API_KEY=\n',
      Procfile: 'web: npm start\nworker: node worker.js\n',
    });
    const scan = await scanRepo(dir);
    const a = defaultAnswers(scan, 'us-east-1');
    expect(a).toMatchObject({ port: 3000, healthCheckPath: '/api/health', components: ['database', 'cache'], useProcesses: true });
    expect(a.secrets).toEqual({ JWT_SECRET: 'generate', OPENAI_API_KEY: 'ask' });
    const config = parseConfig(JSON.stringify(draftConfig(scan, a)), 'draft', 'prod');
    expect(Object.values(config.services).map((s) => [s.name, s.kind, s.image])).toEqual([
      ['web', 'web', 'app'],
      ['worker', 'worker', 'app'],
    ]);
    expect(config.database).toBeDefined();
    expect(config.cache).toBeDefined();
  });

  it.each([
    ['FastAPI', { 'requirements.txt': 'fastapi==0.115\nuvicorn\n' }, 8000, '/health'],
    ['Django', { 'pyproject.toml': '[project]\ndependencies = ["Django>=5"]\n' }, 8000, '/health/'],
    ['Rails', { Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 7.1"\n' }, 3000, '/up'],
    ['Express', { 'package.json': JSON.stringify({ dependencies: { express: '4' } }) }, 3000, '/health'],
  ])('%s: port and health path from the framework, EXPOSE first', async (_name, files, port, health) => {
    const scan = await scanRepo(repo({ ...files, Dockerfile: 'FROM x\n' }));
    expect(defaultAnswers(scan, 'us-east-1')).toMatchObject({ port, healthCheckPath: health });
    const exposed = await scanRepo(repo({ ...files, Dockerfile: 'FROM x\nEXPOSE 9090\n' }));
    expect(defaultAnswers(exposed, 'us-east-1').port).toBe(9090);
  });
});

describe('init without a terminal', () => {
  it("writes the repo's answers with the flags over them, asking nothing", async () => {
    const { initCommand } = await import('../../../src/commands/init.js');
    const dir = repo({
      Dockerfile: 'FROM x\nEXPOSE 8080\n',
      Procfile: 'web: ./server\nworker: ./worker\n',
      '.env.example': 'DATABASE_URL=\nAPI_SIGNING_KEY=\nSENTRY_DSN=\nLEGACY_FLAG=\n',
    });
    let stderr = '';
    const io = {
      cwd: dir,
      stdin: process.stdin,
      stdout: { write: () => true } as any,
      stderr: { write: (s: string) => ((stderr += s), true) } as any,
      isTTY: false,
      env: {},
      signal: new AbortController().signal,
      argv: ['init'],
    };
    const opts = { env: 'prod', configPath: 'deploy-wizard.json', nonInteractive: true, yes: false, json: false, verbose: false };
    expect(
      await initCommand(
        { ...opts, init: { app: 'flagged', single: true, with: 'none', optional: 'SENTRY_DSN', skip: 'LEGACY_FLAG', healthPath: '/healthz' } },
        io,
      ),
    ).toBe(0);
    const { readFileSync } = await import('node:fs');
    const config = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    expect(config).toEqual({
      app: 'flagged',
      region: 'us-east-1',
      image: { context: '.', dockerfile: 'Dockerfile' },
      service: { port: 8080, healthCheckPath: '/healthz', cpu: 512, memory: 1024, desiredCount: 1 },
      secrets: { API_SIGNING_KEY: { generate: 'hex-32' }, SENTRY_DSN: { prompt: 'SENTRY_DSN', optional: true } },
    });
    expect(stderr).toContain('Wrote deploy-wizard.json');
    // A second run never replaces it without a terminal to confirm on.
    await expect(initCommand(opts, io)).rejects.toThrow('init: deploy-wizard.json exists');
  });
});
