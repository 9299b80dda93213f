import type { Renderer } from '../pipeline/runner.js';
import type { CommonOptions, Io } from '../options.js';

/** How a run of the pipeline shows its steps: nothing beside --json's events, every line with --verbose, live on a terminal. */
export function pickRenderer(opts: Pick<CommonOptions, 'json' | 'verbose'>, io: Pick<Io, 'isTTY'>): Renderer {
  if (opts.json) return 'silent';
  if (opts.verbose) return 'verbose';
  return io.isTTY ? 'default' : 'simple';
}
