import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeExampleApp, readState, ROOT, runCli } from '../helpers/cli.js';
import { giveDomain } from '../helpers/hosted-zone.js';
import { loadAllSteps } from '../../steps/index.js';
import { expectOk } from '../helpers/expect-ok.js';
import { stepStatuses } from '../helpers/events.js';
import { startCostExplorer } from '../helpers/cost-explorer.js';

// `npx deploy-wizard` must work from the published tarball, not just the repo: the bundle (bundle/, made by
// scripts/bundle.mjs), with every runtime dependency inside it, so the install downloads nothing else.
describe('packed package', () => {
  it('installs with no dependency of its own, answers --help through npx, and deploys a whole app through every step from the bundle, then changes nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dw-pack-'));
    // --ignore-scripts: `npm test` has built dist/ and bundle/ already, and prepack's rebuild would rewrite them under the CLI other tests are running.
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', out, '--silent'], { cwd: ROOT, stdio: 'pipe' });
    const tgz = readdirSync(out).find((f) => /^deploy-wizard-.*\.tgz$/.test(f))!;
    expect(tgz).toBeDefined();
    const listing = execFileSync('tar', ['-tzf', join(out, tgz)], { encoding: 'utf8' });
    expect(listing).toContain('package/bundle/cli.js');
    expect(listing).toContain('package/bundle/cli.js.map');
    expect(listing).not.toContain('package/dist/');
    expect(listing).toContain('package/schema/deploy-wizard.schema.json');
    expect(listing).toContain('package/templates/');
    expect(listing).not.toMatch(/package\/test\//);
    const pkg = JSON.parse(execFileSync('tar', ['-xzOf', join(out, tgz), 'package/package.json'], { encoding: 'utf8' }));
    expect(pkg.bin).toEqual({ 'deploy-wizard': 'bundle/cli.js' });
    expect(pkg.dependencies ?? {}).toEqual({});

    // Installed from an empty cache, as a first `npx` is: the package alone.
    const prefix = mkdtempSync(join(tmpdir(), 'dw-install-'));
    const cache = join(prefix, '.npm');
    execFileSync('npm', ['install', '--prefix', prefix, '--cache', cache, '--no-audit', '--no-fund', '--loglevel=error', join(out, tgz)], { stdio: 'pipe' });
    expect(readdirSync(join(prefix, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['deploy-wizard']);

    const help = execFileSync('npx', ['--yes', `./${tgz}`, '--help'], { cwd: out, encoding: 'utf8', env: { ...process.env, npm_config_cache: cache } });
    expect(help).toContain('Usage: deploy-wizard [command] [flags]');
    expect(help).toMatch(/plan\s+read-only/);

    // The bundle does a whole deploy with every step of the pipeline: network, images through the Docker API, RDS
    // with pgvector (node-postgres), ElastiCache, buckets, a user pool, secrets, roles, services, schedules, the
    // domain's certificates and records, the site on the CDN with its function, the WAF, alarms, a budget with its
    // anomaly monitor, an EFS volume, an internal service and first boot; then a re-run changes nothing. Every SDK client and dependency it carries is used.
    const cli = join(prefix, 'node_modules/deploy-wizard/bundle/cli.js');
    const { dir, app, secrets } = makeExampleApp('whole-apps/postmagiq', (c) => {
      c.auth = { cognito: { passwordMinLength: 12, mfa: 'OPTIONAL' } };
      c.budget = { monthlyUsd: 300, email: ['ops@example.com'], scope: 'app', anomalyDetection: { thresholdUsd: 20 } };
      // A volume and an internal service: EFS and Service Connect (Cloud Map) too.
      c.volumes = { files: { efs: {} } };
      Object.assign(c.services.worker, { port: 9000, internal: true, mounts: { '/data': 'files' } });
    });
    await giveDomain(dir, app);
    // Cost Explorer (the budget's tags and anomaly monitor) answered by its stand-in, in front of moto; billing has
    // seen the tags already (else each deploy tries to activate them again, as it should).
    const ce = await startCostExplorer(inject('standins').env.AWS_ENDPOINT_URL!, { seen: ['deploy-wizard:app', 'deploy-wizard:env'] });
    onTestFinished(() => ce.close());
    Object.assign(secrets, { AWS_ENDPOINT_URL: ce.url });
    const deployed = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: secrets, cli });
    expectOk(deployed);
    const state = readState(dir);
    expect(Object.keys(state.steps).sort()).toEqual((await loadAllSteps()).map((s) => s.id).sort());
    expect(state.steps.pgvector.outputs.extensions.vector).toMatch(/^0\.\d+\.\d+$/);
    expect(state.steps['first-boot'].outputs.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    const again = await runCli(['deploy', '--non-interactive', '--json'], { cwd: dir, env: secrets, cli });
    expectOk(again);
    expect(stepStatuses(again.stdout)).toEqual(['unchanged']);

    const schema = JSON.parse(readFileSync(join(ROOT, 'schema/deploy-wizard.schema.json'), 'utf8'));
    expect(schema.required).toEqual(expect.arrayContaining(['app', 'region']));
    expect(schema.allOf).toEqual([
      { oneOf: [{ required: ['image'] }, { required: ['images'] }] },
      { oneOf: [{ required: ['service'] }, { required: ['services'] }] },
    ]);
    expect(schema.properties.services.additionalProperties.properties.autoscaling.additionalProperties).toBe(false);
    expect(schema.properties.database.additionalProperties).toBe(false);
  }, 300_000);
});
