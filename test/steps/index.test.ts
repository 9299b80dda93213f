import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { loadAllSteps, loadSteps, manifests } from '../../steps/index.js';
import { parseConfig } from '../../src/config/load-config.js';

/**
 * The AWS SDK client packages a fresh process holds after loading the steps a
 * config asks for and building each of their clients' objects: what a deploy
 * of that config loads. A fresh node, because this worker has loaded them all.
 */
function sdkPackagesFor(configText: string | undefined): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const { loadSteps, manifests } = await import(${JSON.stringify(join(ROOT, 'dist/steps/index.js'))});
    const { parseConfig } = await import(${JSON.stringify(join(ROOT, 'dist/src/config/load-config.js'))});
    const { estimateCost } = await import(${JSON.stringify(join(ROOT, 'dist/src/pipeline/estimate-cost.js'))});
    if (process.env.CONFIG) await loadSteps(parseConfig(process.env.CONFIG, 'test', 'prod'));
    else {
      // Only the manifests: what plan's cost, init's pricing and the CI policy read.
      const config = parseConfig(process.env.WHOLE, 'test', 'prod');
      estimateCost(config, manifests);
      const w = { app: 'a', env: 'prod', account: '123456789012', region: 'us-east-1', partition: 'aws' };
      for (const m of manifests) m.resources?.(w, config);
    }
    const cache = createRequire(import.meta.url).cache;
    const found = new Set(Object.keys(cache).map((k) => /@aws-sdk\\/(client-[a-z0-9-]+)\\//.exec(k)?.[1]).filter(Boolean));
    console.log(JSON.stringify([...found].sort()));
  `;
  const whole = readFileSync(join(ROOT, 'fixtures/examples/whole-apps/postmagiq.json'), 'utf8');
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, CONFIG: configText ?? '', WHOLE: whole },
      encoding: 'utf8',
    }),
  );
}

const OPTIONAL = [
  'client-rds',
  'client-elasticache',
  'client-cognito-identity-provider',
  'client-cloudfront',
  'client-wafv2',
  'client-route-53',
  'client-budgets',
];

describe('steps/index.ts loads only what the config asks for', () => {
  it('an app without a database, cache, users, domain, site, firewall or budget loads none of their SDK packages; a whole app loads them', async () => {
    const sample = readFileSync(join(ROOT, 'fixtures/sample-app/deploy-wizard.json'), 'utf8');
    const small = sdkPackagesFor(sample);
    expect(small).toContain('client-ec2');
    expect(small).toContain('client-ecs');
    for (const p of OPTIONAL) expect(small, p).not.toContain(p);

    const whole = JSON.parse(readFileSync(join(ROOT, 'fixtures/examples/whole-apps/postmagiq.json'), 'utf8'));
    whole.budget = { monthlyUsd: 300, email: ['ops@example.com'] };
    whole.auth = { cognito: {} };
    const all = sdkPackagesFor(JSON.stringify(whole));
    for (const p of OPTIONAL) expect(all, p).toContain(p);
  });

  it("the manifests load no SDK package: every step's cost and CI grants are read without its code", () => {
    expect(sdkPackagesFor(undefined)).toEqual([]);
  });

  it('a step is loaded with its condition; for destroy, every step is, with its teardown', async () => {
    const every = await loadAllSteps();
    expect(every.map((s) => s.id)).toEqual(manifests.map((e) => e.id));
    const rds = every.find((s) => s.id === 'rds')!;
    expect(rds.enabled).toBeTypeOf('function');
    expect(rds.destroy).toBeTypeOf('function');
    const config = parseConfig(readFileSync(join(ROOT, 'fixtures/sample-app/deploy-wizard.json'), 'utf8'), 'test', 'prod');
    const some = await loadSteps(config);
    expect(some.map((s) => s.id)).not.toContain('rds');
    expect(some.map((s) => s.id)).toEqual(manifests.filter((e) => !e.enabled || e.enabled(config)).map((e) => e.id));
    expect(some.find((s) => s.id === 'network')!.destroy).toBeUndefined();
  });
});
