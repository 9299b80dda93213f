import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../../src/config/load-config.js';
import { InputError } from '../../../src/errors.js';
import { EXAMPLES } from '../../helpers/cli.js';

const base = { app: 'demo-app', region: 'us-east-1', image: { context: '.' }, service: { port: 3000 } };

function problemsOf(config: unknown, env = 'prod'): string[] {
  try {
    parseConfig(JSON.stringify(config), 'test.json', env);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).exitCode).toBe(2);
    return (e as InputError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));

  it('finds the shared examples', () => expect(examples.length).toBeGreaterThanOrEqual(4));

  it.each(examples)('loads %s as is, for prod and staging', async (file) => {
    for (const env of ['prod', 'staging']) {
      const { config } = await loadConfig(join(EXAMPLES, file), env);
      expect(config.app).toMatch(/^[a-z]/);
      expect(Object.values(config.services)[0]!.port).toBeGreaterThan(0);
    }
  });

  it('deep-merges environments.<env> over the base', async () => {
    const prod = (await loadConfig(join(EXAMPLES, 'agencio-predict.json'), 'prod')).config;
    const staging = (await loadConfig(join(EXAMPLES, 'agencio-predict.json'), 'staging')).config;
    expect(prod.services.web!.desiredCount).toBe(2);
    expect(staging.services.web!.desiredCount).toBe(1);
    expect(staging.services.web!.port).toBe(3000); // untouched keys come from the base
    expect(staging.database?.instanceClass).toBe('db.t4g.micro');
    expect(staging.database?.engineVersion).toBe('16.4');
    expect(prod.database?.instanceClass).toBe('db.t4g.small');
  });

  it('needs only app, region, image and service', () => {
    const c = parseConfig(JSON.stringify(base), 'x', 'prod');
    expect(c.images.default!.dockerfile).toBe('Dockerfile');
    expect(c.services.web).toMatchObject({ kind: 'web', image: 'default', routes: ['/*'] });
    expect(c.database).toBeUndefined();
    expect(c.buckets).toBeUndefined();
  });

  it('suggests the closest key for a typo', () => {
    expect(problemsOf({ ...base, databse: { name: 'x' } })).toEqual(['databse: unknown key; did you mean "database"?']);
    expect(problemsOf({ ...base, service: { port: 3000, helthCheckPath: '/h' } })[0]).toContain(
      'service.helthCheckPath: unknown key; did you mean "healthCheckPath"?',
    );
    expect(problemsOf({ ...base, secrets: { K: { generat: 'hex-32' } } })[0]).toBe('secrets.K: unknown key "generat"; did you mean "generate"?');
  });

  it('reports every problem at once, each with its key path', () => {
    const problems = problemsOf({
      app: 'demo-app',
      region: 'us-east-1',
      service: { port: 70000 },
      buckets: { prefix: 'Bad_', names: ['x'] },
      cache: { nodeTyp: 'cache.t4g.micro' },
    });
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        'image: required but missing',
        expect.stringMatching(/^service\.port: .*65535/),
        expect.stringMatching(/^buckets\.names\[0\]: bucket name "Bad_x" may hold only lowercase/),
        'cache.nodeTyp: unknown key; did you mean "nodeType"?',
      ]),
    );
  });

  it('checks bucket names against the S3 rules', () => {
    expect(problemsOf({ ...base, buckets: { prefix: 'a', names: ['b'] } })[0]).toMatch(/"ab" must be 3-63/);
    expect(problemsOf({ ...base, buckets: { prefix: 'x', names: ['n..m'] } })[0]).toMatch(/two adjacent dots/);
    expect(problemsOf({ ...base, buckets: { prefix: '', names: ['192.168.1.1'] } })[0]).toMatch(/IP address/);
    expect(problemsOf({ ...base, buckets: { prefix: 'p-', names: ['a', 'a'] } })[0]).toMatch(/listed twice/);
  });

  it('rejects a port out of range and a bad Fargate size', () => {
    expect(problemsOf({ ...base, service: { port: 0 } })[0]).toMatch(/^service\.port/);
    expect(problemsOf({ ...base, service: { port: 80, cpu: 512, memory: 512 } })[0]).toBe(
      'service.memory: 512 MiB does not fit cpu 512; Fargate accepts 1024, 2048, 3072, 4096 MiB',
    );
  });

  it('rejects an engine version that cannot host pgvector', () => {
    expect(problemsOf({ ...base, database: { name: 'd', engineVersion: '14.1', extensions: ['vector'] } })[0]).toMatch(
      /^database\.engineVersion: PostgreSQL 14\.1 does not support the "vector" extension; it needs 15\.2 or later/,
    );
    expect(() => parseConfig(JSON.stringify({ ...base, database: { name: 'd', engineVersion: '15.2', extensions: ['vector'] } }), 'x', 'prod')).not.toThrow();
  });

  it('checks every overlay, naming the overlay path', () => {
    const problems = problemsOf({ ...base, environments: { staging: { servce: { port: 1 } }, dev: { service: { desiredCount: -1 } } } });
    expect(problems).toEqual([
      'environments.staging.servce: unknown key; did you mean "service"?',
      expect.stringMatching(/^environments\.dev\.service\.desiredCount: /),
    ]);
  });

  it('suggests the env name for an --env near miss', () => {
    expect(problemsOf({ ...base, environments: { staging: {} } }, 'stagin')).toEqual([
      '--env stagin: there is no environments.stagin; did you mean "staging"?',
    ]);
  });

  it('reports invalid JSON as bad input', () => {
    expect(() => parseConfig('{ "app": ', 'broken.json', 'prod')).toThrow(/broken\.json is not valid JSON/);
  });
});
