import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dw-init-flags-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nEXPOSE 8000\n');
  writeFileSync(join(dir, 'Procfile'), 'web: gunicorn app:app\nworker: python worker.py\n');
  mkdirSync(join(dir, 'gui', 'dist'), { recursive: true });
  writeFileSync(join(dir, 'gui', 'dist', 'index.html'), '<!doctype html>');
  return dir;
}

describe('init --non-interactive: domain and site as flags', () => {
  it('writes domain (zone from the name) and site, and moves the web service off "/*" for the site', async () => {
    const dir = repo();
    const r = await runCli(['init', '--non-interactive', '--app', 'shop', '--domain', 'app.shop.example.com', '--site', 'gui/dist', '--spa'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    expect(c.domain).toEqual({ name: 'app.shop.example.com', zone: 'shop.example.com' });
    expect(c.site).toEqual({ dir: 'gui/dist', spa: true });
    expect(c.services.web.routes).toEqual(['/api/*']);
    expect(c.services.worker.routes).toBeUndefined();
  });

  it('names a domain outside the zone, and a zone or --spa given alone, before writing anything', async () => {
    const dir = repo();
    const r = await runCli(['init', '--non-interactive', '--domain', 'app.example.org', '--zone', 'example.com', '--spa'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--domain app.example.org: not in the zone example.com');
    expect(r.stderr).toContain('--spa: give --site DIR too');
    const z = await runCli(['init', '--non-interactive', '--zone', 'example.com'], { cwd: dir });
    expect(z.code).toBe(2);
    expect(z.stderr).toContain('--zone example.com: give --domain too');
  });
});
