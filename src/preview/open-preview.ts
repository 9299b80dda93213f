import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { PREVIEW_NAME, PREVIEW_NAME_RULE } from './preview-name.js';
import type { Config } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { CommonOptions, Io } from '../options.js';
import { openState } from '../state/open-state.js';
import type { StateBackend } from '../state/state-backend.js';
import type { StateFile } from '../state/state-file.js';
import { systemClock } from '../clock.js';
import { previewEnv } from './preview-of.js';

/** What every preview command opens first, before any AWS call: the parent's config and state, and the preview's store. */
export interface PreviewTarget {
  loaded: LoadedConfig;
  parent: string;
  previews: NonNullable<Config['previews']>;
  parentStore: StateBackend;
  parentState: StateFile;
}

/**
 * The parent env is previews.from: read from the config before it is loaded for that env. An --env given with
 * it must name the same env (it says which parent the command is about).
 */
export async function openParent(opts: CommonOptions, io: Io, envGiven: boolean): Promise<PreviewTarget> {
  const path = resolve(io.cwd, opts.configPath);
  let from: unknown;
  try {
    from = (JSON.parse(await readFile(path, 'utf8')) as { previews?: { from?: unknown } })?.previews?.from;
  } catch {
    // loadConfig says what is wrong with the file.
  }
  const parent = typeof from === 'string' ? from : opts.env;
  const loaded = await loadConfig(path, parent);
  const previews = loaded.config.previews;
  if (!previews)
    throw new InputError('preview: this config has no previews', ['previews: add { "from": "staging", "domain": "preview.example.com" } to the config'], {
      hint: 'Nothing has been created.',
    });
  if (envGiven && opts.env !== previews.from)
    throw new InputError(`preview: --env ${opts.env} is not the previews' parent`, [
      `--env: previews.from is ${previews.from}; leave --env out, or pass --env ${previews.from}`,
    ]);
  const parentStore = openState(loaded, { ...opts, env: parent }, io);
  const parentState = await parentStore.load(loaded.config.app, systemClock.now());
  return { loaded, parent, previews, parentStore, parentState };
}

/** A preview's name is checked before anything is read or made. */
export function checkPreviewName(name: string | undefined, what = 'NAME'): string {
  if (!name) throw new InputError('preview: no name', [`${what}: name the preview, such as pr-42`]);
  if (!PREVIEW_NAME.test(name)) throw new InputError(`preview: "${name}" is not a preview name`, [`${what} ${name}: ${PREVIEW_NAME_RULE}`]);
  return name;
}

/** The preview's own state, beside the parent's. */
export const previewStore = (t: PreviewTarget, opts: CommonOptions, io: Io, name: string) =>
  openState(t.loaded, { ...opts, env: previewEnv(t.parent, name) }, io);
