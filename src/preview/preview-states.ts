import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';
import type { CommonOptions, Io } from '../options.js';
import type { StateFile } from '../state/state-file.js';
import { STATE_DIR } from '../state/state-paths.js';
import { openState, stateLocationFor } from '../state/open-state.js';
import { stateKeys } from '../state/state-location.js';
import { createAwsClients } from '../aws/clients.js';
import { clientOptionsFor } from '../aws/client-options.js';
import { systemClock } from '../clock.js';
import { parsePreviewEnv, previewEnv } from './preview-of.js';

/**
 * The envs of a parent's previews, found where their states are (this disk or the state bucket): each preview
 * keeps a state of its own beside the parent's, named <parent>--<name>.
 */
export async function previewEnvs(loaded: LoadedConfig, opts: CommonOptions, io: Io, parent: string): Promise<string[]> {
  const loc = stateLocationFor(loaded, opts, io);
  const prefix = previewEnv(parent, '');
  if (loc.backend === 'local') {
    const files = await readdir(join(loaded.dir, STATE_DIR)).catch(() => [] as string[]);
    return files.flatMap((f) => (f.startsWith(prefix) && f.endsWith('.state.json') ? [f.slice(0, -'.state.json'.length)] : [])).sort();
  }
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const s3 = createAwsClients(clientOptionsFor(opts, io, opts.region ?? loaded.config.region)).stateS3(loc.region);
  const base = stateKeys(loc, loaded.config.app, prefix).state.slice(0, -'.state.json'.length);
  const out: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: base, ContinuationToken }));
    for (const o of page.Contents ?? []) {
      const env = o.Key?.endsWith('.state.json') ? o.Key.slice(base.length - prefix.length, -'.state.json'.length) : undefined;
      if (env && parsePreviewEnv(env)?.parent === parent) out.push(env);
    }
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  return out.sort();
}

/** The states of a parent's previews that are up (read unlocked: for listing, pruning and picking a free cache database). */
export async function previewStates(loaded: LoadedConfig, opts: CommonOptions, io: Io, parent: string): Promise<StateFile[]> {
  const envs = await previewEnvs(loaded, opts, io, parent);
  const states = await Promise.all(envs.map((env) => openState(loaded, { ...opts, env }, io).load(loaded.config.app, systemClock.now())));
  return states.filter((s) => s.preview && !s.preview.downAt);
}
