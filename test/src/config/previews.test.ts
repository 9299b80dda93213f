import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { previewConfig } from '../../../src/preview/preview-config.js';

const base = (extra: Record<string, unknown> = {}) => ({
  app: 'shop',
  region: 'us-east-1',
  image: { context: '.' },
  services: {
    web: { port: 8080, routes: ['/*'], autoscaling: { min: 2, max: 6, cpuTarget: 60 } },
    api: { port: 3000, routes: ['/api/*'] },
    worker: { command: ['node', 'worker.js'] },
  },
  database: { name: 'shop', instanceClass: 'db.t4g.micro', proxy: true },
  buckets: { prefix: 'shop-', names: ['uploads'] },
  cache: {},
  domain: { name: 'app.example.com', zone: 'example.com' },
  previews: { from: 'staging', domain: 'preview.example.com', services: ['web', 'api'], database: 'clone' },
  ...extra,
});
const parse = (c: unknown, env = 'staging') => parseConfig(JSON.stringify(c), 'test', env);
const problems = (c: unknown) => {
  try {
    parse(c);
    return [];
  } catch (e) {
    return (e as { problems?: string[] }).problems ?? [(e as Error).message];
  }
};

describe('previews in the config', () => {
  it("the parent env's name and certificate cover every preview; another env's do not", () => {
    expect(parse(base()).domain!.aliases).toEqual(['*.preview.example.com']);
    expect(parse(base(), 'prod').domain!.aliases).toEqual([]);
  });

  it('is refused, naming the key, where a preview could not run or would reach into the parent', () => {
    const p = (previews: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      problems(base({ previews: { from: 'staging', domain: 'preview.example.com', ...previews }, ...extra }));
    expect(p({ services: ['web', 'admin'] })).toContainEqual(expect.stringContaining('previews.services[1]: no service "admin"'));
    expect(p({ domain: 'preview.other.org' })).toContainEqual(expect.stringContaining('previews.domain: must be a name under the zone example.com'));
    expect(p({ database: 'clone' }, { database: undefined })).toContainEqual(expect.stringContaining('previews.database: "clone" needs the app\'s database'));
    expect(p({ size: { cpu: 256, memory: 4096 } })).toContainEqual(expect.stringContaining('previews.size'));
    expect(p({ from: 'Staging' })).toContainEqual(expect.stringContaining('previews.from'));
    expect(p({}, { edge: { cdn: true } })).toContainEqual(expect.stringContaining('answers only CloudFront'));
    expect(
      p(
        { services: ['files'] },
        {
          volumes: { data: { efs: {} } },
          services: { web: { port: 8080, routes: ['/*'] }, files: { port: 9000, routes: ['/files/*'], mounts: { '/data': 'data' } } },
        },
      ),
    ).toContainEqual(expect.stringContaining('previews.services[0]: files mounts volumes'));
  });

  it("a preview's config: its services only, small, one task, no autoscaling; no domain; the database reached without the parent's proxy", () => {
    const c = previewConfig(parse(base()), { bucketPrefix: 'previews/pr-1/' });
    expect(Object.keys(c.services)).toEqual(['web', 'api']);
    expect(c.services.web).toMatchObject({ cpu: 256, memory: 512, desiredCount: 1 });
    expect(c.services.web!.autoscaling).toBeUndefined();
    expect(c.services.api!.environment.BUCKET_PREFIX).toBe('previews/pr-1/');
    expect(c.domain).toBeUndefined();
    expect(c.database).toMatchObject({ proxy: false, readers: 0 });
    expect(previewConfig(parse(base()), { bucketPrefix: 'p/', cacheKeyPrefix: 'previews:pr-1:' }).services.web!.environment.CACHE_KEY_PREFIX).toBe(
      'previews:pr-1:',
    );
  });
});
