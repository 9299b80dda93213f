import { deployApp } from '../deploy/deploy-app.js';
import type { CommonOptions, Io } from '../options.js';

/** `deploy` (the default command): the config deployed, from a first run's questions to the summary. */
export const deployCommand = (opts: CommonOptions, io: Io): Promise<number> => deployApp(opts, io);
