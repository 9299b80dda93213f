import * as clack from '@clack/prompts';
import { runInit } from '../init/write-config.js';
import type { CommonOptions, Io } from '../options.js';

export async function initCommand(opts: CommonOptions, io: Io): Promise<number> {
  await runInit(opts, io);
  if (io.isTTY && !opts.nonInteractive && !opts.json) clack.outro('Next: deploy-wizard plan, then deploy-wizard deploy');
  return 0;
}
