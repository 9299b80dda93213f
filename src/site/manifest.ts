import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface SiteFile {
  /** Path under the site directory with forward slashes: the object key. */
  key: string;
  /** Hex MD5 of the content: what S3 reports as the ETag of an object put in one piece with SSE-S3. */
  md5: string;
  size: number;
}

// What never belongs on a public site even when it sits in the build directory:
// version control, the wizard's state, credentials and keys, dependencies.
const SKIP = new Set(['.git', '.DS_Store', 'Thumbs.db', '.deploy-wizard', '.npmrc', '.aws', 'node_modules', '.ssh']);
/** .env files, private keys and certificates (id_rsa, id_ed25519, *.pem, *.key): secrets, whatever directory they are found in. */
export const neverPublished = (name: string) =>
  SKIP.has(name) || name === '.env' || name.startsWith('.env.') || /^id_[a-z0-9]+(\.pub)?$/i.test(name) || /\.(pem|key|p12|pfx)$/i.test(name);

/** Every file under dir (sorted by key), hashed while streaming so a large asset is never held in memory. */
export async function siteManifest(dir: string): Promise<SiteFile[]> {
  const out: SiteFile[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      // A site directory pointed too wide must not publish secrets; symlinks are neither files nor directories here, so never followed.
      if (neverPublished(e.name)) continue;
      const key = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(key);
      else if (e.isFile()) out.push({ key, ...(await md5Of(join(dir, key))) });
    }
  };
  await walk('');
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function md5Of(path: string): Promise<{ md5: string; size: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('md5');
    let size = 0;
    createReadStream(path)
      .on('data', (c) => {
        size += c.length;
        h.update(c);
      })
      .on('error', reject)
      .on('end', () => resolve({ md5: h.digest('hex'), size }));
  });
}

/** One digest for the whole site: it changes when any file's name or content does. */
export const manifestDigest = (files: readonly SiteFile[]) =>
  createHash('sha256')
    .update(files.map((f) => `${f.key}\0${f.md5}`).join('\n'))
    .digest('hex');
