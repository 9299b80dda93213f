import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestDigest, siteManifest } from '../../../src/site/manifest.js';

describe('siteManifest', () => {
  it('lists every file with the MD5 S3 reports as its ETag, and never .env files, .git or .DS_Store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-site-'));
    mkdirSync(join(dir, 'assets'));
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, '.well-known'));
    writeFileSync(join(dir, 'index.html'), '<h1>hi</h1>');
    writeFileSync(join(dir, 'assets', 'app-Ab12Cd34.js'), 'x');
    writeFileSync(join(dir, '.well-known', 'security.txt'), 'Contact: a@b.c');
    writeFileSync(join(dir, '.env'), 'SECRET=1');
    writeFileSync(join(dir, '.env.production'), 'SECRET=2');
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
    writeFileSync(join(dir, '.DS_Store'), '');
    const files = await siteManifest(dir);
    expect(files.map((f) => f.key)).toEqual(['.well-known/security.txt', 'assets/app-Ab12Cd34.js', 'index.html']);
    expect(files.find((f) => f.key === 'index.html')).toEqual({ key: 'index.html', md5: createHash('md5').update('<h1>hi</h1>').digest('hex'), size: 11 });
    const before = manifestDigest(files);
    // Keys, credentials and dependencies are never published, and a symlink inside is never followed.
    for (const f of ['.npmrc', 'id_rsa', 'id_ed25519.pub', 'server.pem', 'tls.key']) writeFileSync(join(dir, f), 'secret');
    for (const d of ['.aws', 'node_modules/x', '.ssh']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, '.aws', 'credentials'), 'secret');
    writeFileSync(join(dir, 'node_modules', 'x', 'index.js'), 'x');
    symlinkSync('/etc', join(dir, 'etc'));
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    expect((await siteManifest(dir)).map((f) => f.key)).toEqual(['.well-known/security.txt', 'assets/app-Ab12Cd34.js', 'index.html']);
    writeFileSync(join(dir, 'index.html'), '<h1>hello</h1>');
    expect(manifestDigest(await siteManifest(dir))).not.toBe(before);
  });
});
