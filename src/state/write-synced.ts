import { open } from 'node:fs/promises';

/**
 * Creates `path` (it must not exist), mode 0600, writes `text` and fsyncs it:
 * a file that is whole on disk before anything renames or links it into place.
 */
export async function writeSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
