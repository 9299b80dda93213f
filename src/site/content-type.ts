import { extname } from 'node:path';

// Content-Type and Cache-Control for a static site's files, decided by name.
// A small table rather than a dependency: a frontend's build output is a
// known handful of types, and a wrong one (JS as octet-stream) breaks the page.

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.bmp': 'image/bmp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
};

export const contentType = (path: string): string => TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const NO_CACHE = 'no-cache';

/**
 * True for a name a bundler gave a content hash (Vite `index-D8b4DdsW.js`,
 * webpack `main.8f3a2b1c.js`, Next.js `_next/static/...`, SvelteKit
 * `_app/immutable/...`): its bytes never change under that name, so browsers
 * and the CDN may keep it a year. A segment after a `.` or `-` must look like
 * a hash: at least 8 hex characters with a digit and a letter, or base64url
 * with lower and upper case and a digit. So `team-photo-2024.jpg`,
 * `hero-image-v2.png` and `main-component.js` are not hashed, and neither is
 * `report-20241231.pdf` (a date is 8 hex digits, but no letter).
 */
export function isHashedAsset(path: string): boolean {
  if (/(^|\/)_next\/static\//.test(path) || /(^|\/)immutable\//.test(path)) return true;
  const base = path.split('/').pop()!;
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  for (let i = stem.length - 1; i > 0; i--) {
    if (stem[i] !== '.' && stem[i] !== '-') continue;
    const h = stem.slice(i + 1);
    if (h.length < 8 || h.length > 32 || !/^[A-Za-z0-9_-]+$/.test(h)) continue;
    if (/^[0-9a-f]+$/i.test(h) && /\d/.test(h) && /[a-f]/i.test(h)) return true;
    if (/[a-z]/.test(h) && /[A-Z]/.test(h) && /\d/.test(h)) return true;
  }
  return false;
}

/** HTML and anything unhashed is revalidated on every visit (cheap with ETags); hashed assets are kept a year. */
export const cacheControl = (path: string): string => (isHashedAsset(path) && !/\.html?$/i.test(path) ? IMMUTABLE : NO_CACHE);
