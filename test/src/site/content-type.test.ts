import { describe, expect, it } from 'vitest';
import { cacheControl, contentType, isHashedAsset } from '../../../src/site/content-type.js';

describe('content types and cache headers for a static site', () => {
  it('takes bundler-hashed names for immutable, and ordinary names for not', () => {
    for (const p of [
      'assets/index-D8b4DdsW.js',
      'static/js/main.8f3a2b1c.js',
      'assets/logo-a1b2c3d4.svg',
      '_next/static/chunks/app.js',
      '_app/immutable/start.js',
    ]) {
      expect(isHashedAsset(p), p).toBe(true);
    }
    for (const p of [
      'index.html',
      'favicon.ico',
      'main-component.js',
      'assets/background.png',
      'robots.txt',
      'service-worker.js',
      'team-photo-2024.jpg',
      'hero-image-v2.png',
      'report-20241231.pdf',
      'assets/customerStories.js',
    ]) {
      expect(isHashedAsset(p), p).toBe(false);
    }
  });

  it('keeps hashed assets a year and revalidates HTML and everything else', () => {
    expect(cacheControl('assets/index-D8b4DdsW.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControl('index.html')).toBe('no-cache');
    expect(cacheControl('manifest.webmanifest')).toBe('no-cache');
  });

  it('names the types browsers check (module scripts, styles, fonts, wasm) and falls back to octet-stream', () => {
    expect(contentType('a/b.mjs')).toBe('text/javascript; charset=utf-8');
    expect(contentType('x.CSS')).toBe('text/css; charset=utf-8');
    expect(contentType('f.woff2')).toBe('font/woff2');
    expect(contentType('m.wasm')).toBe('application/wasm');
    expect(contentType('data.bin')).toBe('application/octet-stream');
  });
});
