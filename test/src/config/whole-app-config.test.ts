import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { InputError } from '../../../src/errors.js';
import { nextRun, parseSchedule, timezoneProblem } from '../../../src/config/schedule-expression.js';

const whole = () => ({
  app: 'ledger',
  region: 'us-east-1',
  images: { api: { context: 'api' }, ai: { context: 'ai_service', dockerfile: 'ai_service/Dockerfile.prod' } },
  environment: { LOG_LEVEL: 'info' },
  services: {
    web: {
      image: 'api',
      port: 3000,
      routes: ['/*'],
      healthCheckPath: '/up',
      desiredCount: 2,
      autoscaling: { min: 2, max: 6, cpuTarget: 60 },
      environment: { LOG_LEVEL: 'warn' },
    },
    ai: { image: 'ai', port: 8000, routes: ['/ai/*'], healthCheckPath: '/health', cpu: 1024, memory: 2048 },
    worker: { image: 'api', command: ['bundle', 'exec', 'sidekiq'], desiredCount: 1 },
  } as Record<string, any>,
  schedules: { 'nightly-digest': { service: 'worker', command: ['bin/rails', 'digest:send'], cron: '0 2 * * ? *', timezone: 'Europe/Paris' } } as Record<
    string,
    any
  >,
  permissions: [
    { actions: ['bedrock:InvokeModel'], resources: ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0'] },
  ] as any[],
});

function problems(edit: (c: ReturnType<typeof whole>) => void): string[] {
  const c = whole();
  edit(c);
  try {
    parseConfig(JSON.stringify(c), 'test', 'prod');
    return [];
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e.problems;
  }
}

describe('whole-app config', () => {
  it("normalizes the issue's example: kinds, images, merged environment, dockerfile defaults, migrations on the default web service", () => {
    const c = parseConfig(JSON.stringify({ ...whole(), migrations: { command: ['bin/rails', 'db:migrate'] } }), 'test', 'prod');
    expect(Object.values(c.services).map((s) => [s.name, s.kind, s.image])).toEqual([
      ['web', 'web', 'api'],
      ['ai', 'web', 'ai'],
      ['worker', 'worker', 'api'],
    ]);
    expect(c.services.web!.environment).toEqual({ LOG_LEVEL: 'warn' });
    expect(c.services.worker!.environment).toEqual({ LOG_LEVEL: 'info' });
    expect(c.images.api!.dockerfile).toBe('api/Dockerfile');
    expect(c.images.ai!.dockerfile).toBe('ai_service/Dockerfile.prod');
    expect(c.migrations!.service).toBe('web');
    expect(c.services.worker!.routes).toEqual([]);
  });

  it.each([
    ['a worker with routes', (c: any) => (c.services.worker.routes = ['/w/*']), 'services.worker.routes: only a web service (one with a port) has routes'],
    ['two services on /*', (c: any) => (c.services.ai.routes = ['/*']), 'services.ai.routes[0]: "/*" is already the route of web'],
    ['a web service without routes beside another', (c: any) => delete c.services.ai.routes, 'services.ai.routes: required with several web services'],
    ['an image that does not exist', (c: any) => (c.services.worker.image = 'apii'), 'services.worker.image: no image "apii"; images are api, ai'],
    ['no image named with several', (c: any) => delete c.services.worker.image, 'services.worker.image: required with several images'],
    ['a schedule of a missing service', (c: any) => (c.schedules['nightly-digest'].service = 'workr'), 'schedules.nightly-digest.service: no service "workr"'],
    ['a five-field cron', (c: any) => (c.schedules['nightly-digest'].cron = '0 2 * * *'), 'EventBridge cron has 6'],
    [
      'a cron with both days set',
      (c: any) => (c.schedules['nightly-digest'].cron = '0 2 1 * MON *'),
      'exactly one of day-of-month and day-of-week must be "?"',
    ],
    ['an hour of 25', (c: any) => (c.schedules['nightly-digest'].cron = 'cron(0 25 * * ? *)'), 'hours "25" is outside 0-23'],
    ['rate(1 hours)', (c: any) => (c.schedules['nightly-digest'].cron = 'rate(1 hours)'), 'write rate(1 hour)'],
    [
      'a time zone that is not one',
      (c: any) => (c.schedules['nightly-digest'].timezone = 'Europe/Pariss'),
      'schedules.nightly-digest.timezone: "Europe/Pariss" is not an IANA time zone',
    ],
    ['a wildcard action', (c: any) => (c.permissions[0].actions = ['bedrock:*']), 'permissions[0].actions[0]: an action is service:Action'],
    [
      'an IAM action, which the permissions boundary of the roles leaves out',
      (c: any) => (c.permissions[0].actions = ['iam:CreateRole']),
      'permissions[0].actions[0]: IAM, STS and Organizations actions are outside the permissions boundary',
    ],
    ['"*" as the action', (c: any) => (c.permissions[0].actions = ['*']), 'permissions[0].actions[0]'],
    [
      '"*" as the resource of an action IAM scopes',
      (c: any) => (c.permissions[0].resources = ['*']),
      'permissions[0].resources: "*" is accepted only for actions IAM cannot scope',
    ],
    [
      'autoscaling min above max',
      (c: any) => (c.services.web.autoscaling = { min: 5, max: 2, cpuTarget: 50 }),
      'services.web.autoscaling.min: min 5 is above max 2',
    ],
    ['autoscaling without a target', (c: any) => (c.services.web.autoscaling = { min: 1, max: 2 }), 'name at least one target'],
    ['a starting count outside the range', (c: any) => (c.services.web.desiredCount = 9), 'services.web.desiredCount: 9 is outside autoscaling 2-6'],
    ['requests per target on a worker', (c: any) => (c.services.worker.autoscaling = { min: 1, max: 2, requestsPerTarget: 100 }), 'a worker gets no requests'],
    [
      'a secret key a service asks for that does not exist',
      (c: any) => (c.services.worker.secrets = ['NOPE']),
      'services.worker.secrets[0]: NOPE is not a secret of this app',
    ],
    [
      'a secret in a service environment',
      (c: any) => ((c.secrets = { JWT_SECRET: { generate: 'hex-32' } }), (c.services.web.environment.JWT_SECRET = 'x')),
      'services.web.environment.JWT_SECRET: JWT_SECRET is a secret',
    ],
    [
      'a derived key given without replaceDerived',
      (c: any) => ((c.database = { name: 'app' }), (c.secrets = { DATABASE_URL: { prompt: 'url' } })),
      'secrets.DATABASE_URL: DATABASE_URL is derived by the wizard',
    ],
    ['image and images together', (c: any) => (c.image = {}), 'images: use either image (one image) or images (several), not both'],
    ['a migrations service that does not exist', (c: any) => (c.migrations = { command: ['x'], service: 'api' }), 'migrations.service: no service "api"'],
    ['edge.cdn with a site', (c: any) => ((c.edge = { cdn: true }), (c.site = { dir: 'web' })), 'edge.cdn: a site already puts CloudFront in front'],
    [
      'edge.cdn without a web service',
      (c: any) => ((c.edge = { cdn: true }), (c.services = { worker: c.services.worker })),
      'edge.cdn: a CDN in front of the load balancer needs a web service',
    ],
    ['a mount of a volume that is not declared', (c: any) => (c.services.ai.mounts = { '/data': 'store' }), 'services.ai.mounts./data: no volume "store"'],
    [
      'two volumes on different throughput modes',
      (c: any) => (c.volumes = { aa: { efs: { throughputMode: 'elastic' } }, bb: { efs: { throughputMode: 'bursting' } } }),
      'volumes.bb.efs.throughputMode: every volume is on one file system',
    ],
    ['an internal service without a port', (c: any) => (c.services.worker.internal = true), 'services.worker.internal: an internal service needs the port'],
    ['an internal service with routes', (c: any) => (c.services.ai.internal = true), 'services.ai.routes: an internal service has no load balancer route'],
    [
      "an internal service's address that is also a secret",
      (c: any) => (
        (c.services.ai.internal = true),
        delete c.services.ai.routes,
        delete c.services.ai.healthCheckPath,
        (c.secrets = { AI_URL: { prompt: 'url' } })
      ),
      'services.ai: its address is given to the other services as AI_URL',
    ],
    [
      'a schedule key that is not a name',
      (c: any) => (c.schedules['a-very-long-schedule-nm'] = { service: 'worker', cron: 'rate(5 minutes)' }),
      'schedules.a-very-long-schedule-nm',
    ],
  ])('%s is refused, naming the key', (_name, edit, says) => {
    expect(problems(edit).join('\n')).toContain(says);
  });

  it('a schedule name longer than EventBridge allows for this app and env is refused, naming the key', () => {
    const c = { ...whole(), app: 'a'.repeat(32) };
    c.schedules['nightly-digest-sends'] = { service: 'worker', cron: 'rate(5 minutes)' };
    expect(() => parseConfig(JSON.stringify(c), 'test', 'production-eu-west')).toThrow(InputError);
    try {
      parseConfig(JSON.stringify(c), 'test', 'production-eu-west');
    } catch (e) {
      expect((e as InputError).problems.join('\n')).toContain('schedules.nightly-digest-sends: the schedule name');
    }
  });

  it('a derived key with replaceDerived, a service secret list and DB URL parts are accepted', () => {
    expect(
      problems((c: any) => {
        c.database = { name: 'app', urlParts: true, urlScheme: 'postgresql+asyncpg', driver: 'asyncpg' };
        c.secrets = { DATABASE_URL: { prompt: 'a pooled URL', replaceDerived: true } };
        c.services.worker.secrets = ['DATABASE_URL', 'DB_HOST'];
      }),
    ).toEqual([]);
  });
});

describe('schedule expressions', () => {
  it('wraps a bare cron, keeps cron()/rate()/at()', () => {
    expect(parseSchedule('0 2 * * ? *')).toMatchObject({ kind: 'cron', expression: 'cron(0 2 * * ? *)' });
    expect(parseSchedule('cron(5 * * * ? *)')).toMatchObject({ expression: 'cron(5 * * * ? *)' });
    expect(parseSchedule('rate(5 minutes)')).toMatchObject({ kind: 'rate', seconds: 300 });
    expect(parseSchedule('cron(0 18 ? * MON-FRI *)')).toMatchObject({ kind: 'cron' });
    expect(parseSchedule('cron(0 10 L * ? *)')).toMatchObject({ kind: 'cron' });
    expect(parseSchedule('at(2027-01-01T09:00:00)')).toMatchObject({ kind: 'at' });
    expect(timezoneProblem('Europe/Paris')).toBeUndefined();
    expect(timezoneProblem('Mars/Olympus')).toMatch(/not an IANA time zone/);
  });

  it('works out the next run in the schedule time zone, across a DST change', () => {
    const now = new Date('2026-03-28T12:00:00Z'); // Paris moves to CEST on the 29th
    expect(nextRun('0 2 * * ? *', 'UTC', now)?.toISOString()).toBe('2026-03-29T02:00:00.000Z');
    expect(nextRun('0 9 * * ? *', 'Europe/Paris', now)?.toISOString()).toBe('2026-03-29T07:00:00.000Z');
    expect(nextRun('30 8 ? * MON *', 'America/New_York', now)?.toISOString()).toBe('2026-03-30T12:30:00.000Z');
    expect(nextRun('*/15 * * * ? *', 'UTC', now)?.toISOString()).toBe('2026-03-28T12:15:00.000Z');
    expect(nextRun('rate(5 minutes)', 'UTC', now)).toBeUndefined();
  });
});
