import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

// `npx deploy-wizard` must work from the published tarball, not just the repo.
describe('packed package', () => {
  it('runs from `npm pack` + `npx ./deploy-wizard-*.tgz --help`, and ships the JSON Schema', () => {
    const out = mkdtempSync(join(tmpdir(), 'dw-pack-'));
    // --ignore-scripts: `npm test` has built dist/ already, and prepack's rebuild would rewrite it under the CLI other tests are running.
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', out, '--silent'], { cwd: ROOT, stdio: 'pipe' });
    const tgz = readdirSync(out).find((f) => /^deploy-wizard-.*\.tgz$/.test(f))!;
    expect(tgz).toBeDefined();
    const listing = execFileSync('tar', ['-tzf', join(out, tgz)], { encoding: 'utf8' });
    expect(listing).toContain('package/dist/src/cli.js');
    expect(listing).toContain('package/schema/deploy-wizard.schema.json');
    expect(listing).not.toMatch(/package\/test\//);
    // Pins the whole dependency tree for npx installs (newer AWS SDK releases drop Node 20).
    expect(listing).toContain('package/npm-shrinkwrap.json');

    const app = mkdtempSync(join(tmpdir(), 'dw-npx-'));
    const help = execFileSync('npx', ['--yes', `./${tgz}`, '--help'], {
      cwd: out,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: join(app, '.npm') },
    });
    expect(help).toContain('Usage: deploy-wizard [command] [flags]');
    expect(help).toMatch(/plan\s+read-only/);

    const schema = JSON.parse(readFileSync(join(ROOT, 'schema/deploy-wizard.schema.json'), 'utf8'));
    expect(schema.required).toEqual(expect.arrayContaining(['app', 'region']));
    expect(schema.allOf).toEqual([
      { oneOf: [{ required: ['image'] }, { required: ['images'] }] },
      { oneOf: [{ required: ['service'] }, { required: ['services'] }] },
    ]);
    expect(schema.properties.services.additionalProperties.properties.autoscaling.additionalProperties).toBe(false);
    expect(schema.properties.database.additionalProperties).toBe(false);
  });
});
